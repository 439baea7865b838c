using System.Runtime.CompilerServices;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Permissions;
using HostNetAudit.Engine.Pods;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Workloads;

namespace HostNetAudit.Engine.Offline;

/// <summary>
/// Objects read from files, asked the same questions as a live cluster with the same mappers and evaluators.
/// The files are read once, by the first question, on the thread that asks it.
/// </summary>
internal sealed class EvidenceSet : EvidenceSource
{
    public const string OfflineContext = "offline";
    private readonly Lazy<IReadOnlyList<EvidenceObject>> objects;

    public EvidenceSet(IReadOnlyList<EvidenceObject> objects, IEngineLog log)
        : this(() => objects, log)
    {
    }

    private EvidenceSet(Func<IReadOnlyList<EvidenceObject>> read, IEngineLog log)
        : base(log)
    {
        objects = new Lazy<IReadOnlyList<EvidenceObject>>(read, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public override string Context => OfflineContext;

    public IReadOnlyList<EvidenceObject> Objects => objects.Value;

    protected override string Origin
    {
        get
        {
            var files = Objects.Select(o => o.Source).Distinct(StringComparer.Ordinal).ToList();
            return string.Join(", ", files.Take(3)) + (files.Count > 3 ? ", ..." : string.Empty);
        }
    }

    /// <summary>The evidence of files or folders (see <see cref="EvidenceReader"/>), read at the first question.</summary>
    public static EvidenceSet Open(IReadOnlyList<string> paths, IEngineLog log, CancellationToken cancellationToken) =>
        new(() => EvidenceReader.Read(paths, log, cancellationToken), log);

    public IEnumerable<EvidenceObject> OfKind(string kind, string? group = null) =>
        Objects.Where(o => string.Equals(o.Kind, kind, StringComparison.Ordinal) && (group is null || string.Equals(o.Group, group, StringComparison.Ordinal)));

    /// <summary>Every pod of the evidence is at hand: <paramref name="accept"/> decides, including the node.</summary>
    protected override IAsyncEnumerable<HostNetworkPod> ListPodsAsync(string? ns, string? nodeName, Func<JsonElement, bool> accept, int pageSize, CancellationToken cancellationToken) =>
        Stream(
            OfKind("Pod", string.Empty)
                .Where(o => (ns is null || PodMapper.Namespace(o.Object) == ns) && accept(o.Object))
                .Select(o =>
                {
                    var pod = PodMapper.Map(o.Object, Context);
                    pod.SourcePath = o.Source;
                    pod.SourceLine = o.Line;
                    return pod;
                }),
            cancellationToken);

    protected override IAsyncEnumerable<HostNetworkWorkload> ListWorkloadsAsync(WorkloadQuery query, CancellationToken cancellationToken) =>
        Stream(Workloads(query), cancellationToken);

    protected override Task<PolicyInputs> ReadPolicyObjectsAsync(NamespacePolicyQuery query, CancellationToken cancellationToken) =>
        Task.Run(() => PolicyInputReader.FromEvidence(this, Log), cancellationToken);

    /// <summary>The RBAC objects and service accounts of the files; aggregated ClusterRoles get the rules their
    /// clusterRoleSelectors select, as the aggregation controller would store them.</summary>
    protected override Task<RbacSnapshot> ReadRbacAsync(int pageSize, CancellationToken cancellationToken) =>
        Task.Run(
            () => RbacSnapshot.From(
                Objects.Where(o => (o.Group == PermissionCatalog.Rbac && o.Kind is "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding") || (o.Group.Length == 0 && o.Kind == "ServiceAccount"))
                    .Select(o => o.Object),
                computeAggregation: true),
            cancellationToken);

    /// <summary>Finds an owner object among the evidence (its kind and name, in the namespace; any API group, as
    /// exports of old clusters hold extensions/v1beta1 objects) and returns its own controller.</summary>
    protected override Task<OwnerRef?> LookupOwnerAsync(OwnerRef owner, string ns, CancellationToken cancellationToken)
    {
        var match = OfKind(owner.Kind).FirstOrDefault(o => string.Equals(o.Name, owner.Name, StringComparison.Ordinal) && string.Equals(o.Namespace ?? "default", ns, StringComparison.Ordinal));
        return Task.FromResult(match is null ? null : OwnerRef.ControllerOf(match.Object.Get("metadata")));
    }

    /// <summary>Pods and templates are exported without their Namespace objects, so a namespace with none of them
    /// says nothing (Test-NamespacePolicy reads Namespace objects and reports absent ones itself).</summary>
    protected override Task ReportIfNamespaceMissingAsync(string ns, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The same checks over the evidence's pods and templates (any API version of the kind's group); only violations
    /// are kept. Evidence without pods, or without any workload, says nothing about what runs or is templated: then
    /// every namespace gets that as its error, so the fix is the targeted policy, not a label that might refuse them.
    /// </summary>
    protected override Task<Dictionary<string, PodSecurity.NamespaceViolations>> FindPodSecurityViolationsAsync(
        IReadOnlyDictionary<string, PodSecurity.EnforceTarget> targets, int parallelism, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                IEnumerable<JsonElement> Objects(string kind, string groupVersion)
                {
                    var slash = groupVersion.IndexOf('/', StringComparison.Ordinal);
                    return OfKind(kind, slash < 0 ? string.Empty : groupVersion[..slash]).Select(o => o.Object);
                }

                var result = PodSecurity.ViolationInventory.CollectFrom(targets, Objects);
                var missing = !Objects("Pod", "v1").Any() ? "pods"
                    : !PodSecurity.ViolationInventory.TemplateKinds.Any(k => Objects(k.Kind, k.GroupVersion).Any()) ? "workloads (Deployments, DaemonSets, StatefulSets, Jobs, CronJobs ...)"
                    : null;
                if (missing is not null)
                {
                    var error = new HostNetAuditException("EvidenceIncomplete", FailureCategory.ObjectNotFound, Context, $"the evidence holds no {missing}, so what runs or is templated there is unknown");
                    foreach (var violations in result.Values)
                    {
                        violations.Errors.Add(error);
                    }
                }

                return result;
            },
            cancellationToken);

    /// <summary>Files cannot be probed: -Probe belongs to the connection parameter sets only.</summary>
    protected override Task ProbeAsync(IReadOnlyList<NamespaceFindings> results, ExemptionSet exemptions, int parallelism, CancellationToken cancellationToken) => Task.CompletedTask;

    private static async IAsyncEnumerable<T> Stream<T>(IEnumerable<T> items, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    private IEnumerable<HostNetworkWorkload> Workloads(WorkloadQuery query)
    {
        var kinds = query.EffectiveKinds;
        foreach (var obj in Objects)
        {
            var resource = WorkloadResource.ForObject(obj.Kind, obj.Group);
            if (resource is null || !kinds.Contains(resource.Kind) || !WorkloadMapper.IsHostNetworkWorkload(obj.Object, resource.Kind))
            {
                continue;
            }

            var workload = WorkloadMapper.Map(obj.Object, resource.Kind, Context);
            workload.SourcePath = obj.Source;
            workload.SourceLine = obj.Line;
            if (query.NamespaceFilter is not null && !query.NamespaceFilter(workload.Namespace))
            {
                continue;
            }

            yield return workload;
        }
    }
}

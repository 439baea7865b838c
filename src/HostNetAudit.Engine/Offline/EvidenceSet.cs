using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Pods;
using HostNetAudit.Engine.Workloads;

namespace HostNetAudit.Engine.Offline;

/// <summary>Objects read from files, queried with the same mappers as a live cluster.</summary>
internal sealed partial class EvidenceSet : IEvidenceSet
{
    public const string OfflineContext = "offline";
    private readonly IEngineLog log;

    public EvidenceSet(IReadOnlyList<EvidenceObject> objects, IEngineLog log)
    {
        Objects = objects;
        this.log = log;
    }

    public string Context => OfflineContext;

    public IReadOnlyList<EvidenceObject> Objects { get; }

    public IEnumerable<EvidenceObject> OfKind(string kind, string? group = null) =>
        Objects.Where(o => string.Equals(o.Kind, kind, StringComparison.Ordinal) && (group is null || string.Equals(o.Group, group, StringComparison.Ordinal)));

    public IEnumerable<HostNetworkPod> GetHostNetworkPods(PodQuery query)
    {
        var owners = new OwnerResolver(LookupOwner);
        foreach (var obj in OfKind("Pod", string.Empty))
        {
            if (!PodMapper.IsHostNetworkPod(obj.Object))
            {
                continue;
            }

            var pod = PodMapper.Map(obj.Object, Context);
            pod.SourcePath = obj.Source;
            pod.SourceLine = obj.Line;
            if (query.NamespaceFilter is not null && !query.NamespaceFilter(pod.Namespace))
            {
                continue;
            }

            owners.ResolveAsync(pod, CancellationToken.None).GetAwaiter().GetResult();
            yield return pod;
        }

        log.Debug($"Offline owner lookups: {owners.Lookups}.");
    }

    public IEnumerable<HostNetworkWorkload> GetHostNetworkWorkloads(WorkloadQuery query)
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

    /// <summary>Finds an owner object among the evidence and returns its own controller.</summary>
    private Task<OwnerRef?> LookupOwner(string kind, string ns, string name, CancellationToken cancellationToken)
    {
        var match = OfKind(kind).FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal) && string.Equals(o.Namespace ?? "default", ns, StringComparison.Ordinal));
        if (match is null)
        {
            return Task.FromResult<OwnerRef?>(null);
        }

        var (ownerKind, ownerName, _) = PodSpecInspector.ControllerOf(match.Object.Get("metadata"));
        return Task.FromResult(ownerKind is null || ownerName is null ? (OwnerRef?)null : new OwnerRef(ownerKind, ownerName));
    }
}

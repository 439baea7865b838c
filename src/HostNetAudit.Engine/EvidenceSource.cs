using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Audit;
using HostNetAudit.Engine.Permissions;
using HostNetAudit.Engine.Pods;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine;

/// <summary>
/// What every evidence source answers, written once for a live cluster (<see cref="ClusterSession"/>) and for
/// offline files (<see cref="Offline.EvidenceSet"/>). They differ only in the primitives below: how they list pods
/// and workload templates, read the policy objects, look up a pod's owner, tell that a namespace does not exist,
/// and probe. Thread-safe when the primitives are: each question keeps its state in locals, and the owner cache
/// locks.
/// </summary>
internal abstract class EvidenceSource : IEvidenceSource
{
    private const string AuditActivity = "Invoke-HostNetworkAudit";
    private readonly OwnerResolver owners;

    protected EvidenceSource(IEngineLog log)
    {
        Log = log;
        owners = new OwnerResolver(LookupOwnerAsync);
    }

    public abstract string Context { get; }

    protected IEngineLog Log { get; }

    /// <summary>Where the evidence came from, as a report names it: the API server's URL, or the files.</summary>
    protected abstract string Origin { get; }

    /// <summary>Requests sent and bytes received so far (files: none), for the verbose line after a listing.</summary>
    protected virtual (long Requests, long Bytes) Traffic => (0, 0);

    /// <summary>
    /// The hostNetwork pods: one list per literal namespace (else one for all), each pod named after its top
    /// controller. <see cref="PodQuery.NodeName"/> lets a cluster narrow its list; the filter below decides for
    /// every source alike, so -Node, -Namespace and hostNetwork mean the same live and offline.
    /// </summary>
    public async IAsyncEnumerable<HostNetworkPod> GetHostNetworkPodsAsync(PodQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool Accept(JsonElement pod) =>
            PodMapper.IsHostNetworkPod(pod) &&
            (query.NamespaceFilter is null || query.NamespaceFilter(PodMapper.Namespace(pod))) &&
            (query.NodeFilter is null || (PodMapper.NodeName(pod) is { } node && query.NodeFilter(node)));

        var (requestsBefore, bytesBefore) = Traffic;
        var lookupsBefore = owners.Lookups;
        var found = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var scopes = query.Namespaces.Count > 0 ? query.Namespaces.Select(ns => (string?)ns).ToArray() : new string?[] { null };
        foreach (var ns in scopes)
        {
            await foreach (var pod in ListPodsAsync(ns, query.NodeName, Accept, query.PageSize, cancellationToken).ConfigureAwait(false))
            {
                await owners.ResolveAsync(pod, cancellationToken).ConfigureAwait(false);
                found++;
                seen.Add(pod.Namespace);
                yield return pod;
            }
        }

        // A literal name that yielded nothing (listed on its own, or beside wildcards in one list) must exist.
        foreach (var ns in query.Namespaces.Concat(query.NamedNamespaces).Distinct(StringComparer.Ordinal).Where(n => !seen.Contains(n)))
        {
            await ReportIfNamespaceMissingAsync(ns, cancellationToken).ConfigureAwait(false);
        }

        var (requests, bytes) = Traffic;
        Log.Verbose($"{Context}: {found} hostNetwork pod(s) from {requests - requestsBefore} request(s) ({owners.Lookups - lookupsBefore} owner lookup(s)), {(bytes - bytesBefore) / 1024.0:0.#} KB received.");
    }

    /// <summary>The workload templates that would create hostNetwork pods; a literal namespace that yielded none and
    /// does not exist is reported (NamespaceNotFound), so a typo does not look like a clean result.</summary>
    public async IAsyncEnumerable<HostNetworkWorkload> GetHostNetworkWorkloadsAsync(WorkloadQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var workload in ListWorkloadsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            seen.Add(workload.Namespace);
            yield return workload;
        }

        foreach (var ns in query.Namespaces.Concat(query.NamedNamespaces).Where(n => !seen.Contains(n)).Distinct(StringComparer.Ordinal))
        {
            await ReportIfNamespaceMissingAsync(ns, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<NamespacePolicyResult>> TestNamespacePoliciesAsync(NamespacePolicyQuery query, CancellationToken cancellationToken) =>
        (await JudgeNamespacesAsync(query, reportProgress: false, cancellationToken).ConfigureAwait(false)).Results.Select(r => r.ToRecord()).ToList();

    /// <summary>
    /// Who can get a hostNetwork pod admitted in the namespaces the query selects: the verdicts, then one list each of
    /// roles, cluster roles, their bindings and service accounts, analyzed together (Permissions/).
    /// </summary>
    public async Task<IReadOnlyList<HostNetworkPermission>> GetHostNetworkPermissionsAsync(NamespacePolicyQuery query, CancellationToken cancellationToken)
    {
        // The RBAC lists do not depend on the verdicts: sent with the policy lists, not after them.
        var rbacTask = ReadRbacAsync(query.PageSize, cancellationToken);
        var judgedTask = JudgeNamespacesAsync(query, reportProgress: false, cancellationToken);
        await Concurrent.WhenAllAsync(judgedTask, rbacTask).ConfigureAwait(false);
        return Analyze(await judgedTask.ConfigureAwait(false), await rbacTask.ConfigureAwait(false), cancellationToken).Records;
    }

    /// <summary>
    /// The audit: the policy objects, the hostNetwork pods, the RBAC objects and the workload templates are
    /// independent, so their lists go out together (the API client bounds how many are in flight) and the audit
    /// costs a few round trips, not one per list. Each part's failures are handled as when they ran alone.
    /// </summary>
    public async Task<AuditReport> AuditAsync(NamespacePolicyQuery query, CancellationToken cancellationToken)
    {
        var rbacTask = ReadRbacOrNullAsync(query.PageSize, cancellationToken);
        var workloadsTask = ListAuditWorkloadsAsync(query, cancellationToken);
        var judgedTask = JudgeNamespacesAsync(query, reportProgress: true, cancellationToken);
        await Concurrent.WhenAllAsync(judgedTask, rbacTask, workloadsTask).ConfigureAwait(false);
        var judged = await judgedTask.ConfigureAwait(false);
        var (inputs, results, exemptions, psa) = judged;
        IReadOnlyDictionary<string, NamespaceIdentities>? identities = null;
        if (await rbacTask.ConfigureAwait(false) is { } rbac)
        {
            Log.Progress(2, AuditActivity, $"{Context}: analyzing roles, bindings and service accounts", -1, completed: false);
            var (records, covered) = Analyze(judged, rbac, cancellationToken);
            identities = NamespaceIdentities.Of(records, covered);
        }

        var workloads = await workloadsTask.ConfigureAwait(false);

        // The fix: a Pod Security label where nothing running or templated would break, else the targeted policy.
        // Only failing namespaces without hostNetwork pods or templates are inventoried (Audit/FixAdvisor).
        var selected = results.Where(r => query.NamespaceFilter is null || query.NamespaceFilter(r.Namespace.Name)).ToList();
        var labelFixes = await FixAdvisor.DecideAsync(
            inputs,
            psa,
            selected,
            workloads,
            (targets, token) => FindPodSecurityViolationsAsync(targets, query.ProbeParallelism, token),
            Log,
            cancellationToken).ConfigureAwait(false);
        Log.Progress(2, AuditActivity, Context, 100, completed: true);
        return AuditReportBuilder.Build(
            new AuditReportBuilder.Evidence(Context, Origin, inputs.ServerVersion, inputs.Live, results.Select(r => r.ToRecord()).ToList(), inputs.HostNetworkPodObjects, workloads, exemptions)
            {
                Identities = identities,
                LabelFixes = labelFixes,
            },
            query);
    }

    /// <summary>Everything the evaluators read: the policy objects and, at the same time, the hostNetwork pods (pods the
    /// credentials may not list leave the pod counts unknown, with a warning).</summary>
    public async Task<PolicyInputs> ReadPolicyInputsAsync(NamespacePolicyQuery query, CancellationToken cancellationToken)
    {
        var inputsTask = ReadPolicyObjectsAsync(query, cancellationToken);
        var podsTask = ListAllHostNetworkPodsAsync(query.PageSize, cancellationToken);
        await Concurrent.WhenAllAsync(inputsTask, podsTask).ConfigureAwait(false);
        var inputs = await inputsTask.ConfigureAwait(false);
        if (await podsTask.ConfigureAwait(false) is not { } found)
        {
            return inputs;
        }

        var pods = new Dictionary<string, List<PodRecord>>(StringComparer.Ordinal);
        foreach (var pod in found)
        {
            if (!pods.TryGetValue(pod.Namespace, out var list))
            {
                list = new List<PodRecord>();
                pods[pod.Namespace] = list;
            }

            list.Add(new PodRecord(pod.Namespace, pod.Name, pod.OwnerKind, pod.OwnerName));
            inputs.HostNetworkPodObjects.Add(pod);
        }

        inputs.HostNetworkPods = pods;
        return inputs;
    }

    /// <summary>
    /// The targeted hostNetwork policy for this source (Set-HostNetworkPolicy, New-HostNetworkPolicyManifest): the
    /// exemptions files read strictly, the inventory listed, the plan generated; its warnings are written as warnings
    /// here (ExemptionMatchesNothing ...) and kept on the plan.
    /// </summary>
    public async Task<HostNetworkPolicyPlan> PlanHostNetworkPolicyAsync(HostNetworkPolicyRequest request, CancellationToken cancellationToken)
    {
        var exemptions = request.ExemptionPaths.Count == 0 ? ExemptionSet.Empty : ExemptionSet.Load(request.ExemptionPaths, Log, DateTimeOffset.UtcNow, cancellationToken);
        var inventory = await ReadTargetedInventoryAsync(request.PageSize, cancellationToken).ConfigureAwait(false);
        var plan = Policy.Targeted.TargetedPolicyGenerator.Generate(exemptions, inventory, new Policy.Targeted.TargetedPolicyOptions
        {
            Context = Context,
            ValidationAction = request.ValidationAction,
            IncludeUnmatched = request.IncludeUnmatched,
            Force = request.Force,
        });
        foreach (var warning in Policy.Targeted.TargetedPolicyGenerator.ToWrite(plan.Warnings))
        {
            Log.Warning($"{Context}: {warning.Message}");
        }

        var manifest = request.ManifestEngine is { } engine ? Policy.Targeted.TargetedPolicyManifest.Write(plan, engine) : null;
        return Policy.Targeted.TargetedPolicyService.ToBoundary(plan, Context, manifest);
    }

    /// <summary>
    /// What the targeted policy generator needs (Policy/Targeted): the namespaces, the running hostNetwork pods with
    /// their top owners, and the hostNetwork workload templates. Unlike the audit, pods the credentials may not list stop
    /// the generation (a policy generated without them would refuse what it did not see); a workload kind that cannot be
    /// listed is a warning, as everywhere.
    /// </summary>
    public async Task<Policy.Targeted.TargetedInventory> ReadTargetedInventoryAsync(int pageSize, CancellationToken cancellationToken)
    {
        var inputs = await ReadPolicyObjectsAsync(new NamespacePolicyQuery { PageSize = pageSize }, cancellationToken).ConfigureAwait(false);
        var pods = new List<HostNetworkPod>();
        await foreach (var pod in GetHostNetworkPodsAsync(new PodQuery { PageSize = pageSize }, cancellationToken).ConfigureAwait(false))
        {
            pods.Add(pod);
        }

        var workloads = new List<HostNetworkWorkload>();
        await foreach (var workload in GetHostNetworkWorkloadsAsync(new WorkloadQuery { PageSize = pageSize }, cancellationToken).ConfigureAwait(false))
        {
            workloads.Add(workload);
        }

        return new Policy.Targeted.TargetedInventory(inputs.Namespaces.Select(n => n.Name).ToList(), pods, workloads);
    }

    public virtual void Dispose()
    {
    }

    /// <summary>Pod objects of one namespace (null: every namespace) that <paramref name="accept"/> keeps, mapped to
    /// records (owners are resolved by the caller). <paramref name="nodeName"/> may narrow what is read.</summary>
    protected abstract IAsyncEnumerable<HostNetworkPod> ListPodsAsync(string? ns, string? nodeName, Func<JsonElement, bool> accept, int pageSize, CancellationToken cancellationToken);

    /// <summary>The hostNetwork workload templates the query selects.</summary>
    protected abstract IAsyncEnumerable<HostNetworkWorkload> ListWorkloadsAsync(WorkloadQuery query, CancellationToken cancellationToken);

    /// <summary>Namespaces, policies and what configures the admission engines (not yet the pods).</summary>
    protected abstract Task<PolicyInputs> ReadPolicyObjectsAsync(NamespacePolicyQuery query, CancellationToken cancellationToken);

    /// <summary>(owner, namespace of the object it owns) → that owner object's own controller, or null when it has none
    /// or cannot be read.</summary>
    protected abstract Task<OwnerRef?> LookupOwnerAsync(OwnerRef owner, string ns, CancellationToken cancellationToken);

    /// <summary>Writes NamespaceNotFound when a literal namespace that yielded nothing does not exist.</summary>
    protected abstract Task ReportIfNamespaceMissingAsync(string ns, CancellationToken cancellationToken);

    /// <summary>Roles, ClusterRoles, RoleBindings, ClusterRoleBindings and ServiceAccounts (a cluster: one list each).</summary>
    protected abstract Task<RbacSnapshot> ReadRbacAsync(int pageSize, CancellationToken cancellationToken);

    /// <summary>
    /// The running pods and workload templates of the <paramref name="targets"/> namespaces that their new enforce level
    /// would refuse (a cluster: the read-only lists Set-NamespacePodSecurity's preview sends; files: the evidence).
    /// </summary>
    protected abstract Task<Dictionary<string, PodSecurity.NamespaceViolations>> FindPodSecurityViolationsAsync(
        IReadOnlyDictionary<string, PodSecurity.EnforceTarget> targets, int parallelism, CancellationToken cancellationToken);

    /// <summary>Verifies the verdicts with server-side dry-run creates of the reference pod and its twin.</summary>
    protected abstract Task ProbeAsync(IReadOnlyList<NamespaceFindings> results, ExemptionSet exemptions, int parallelism, CancellationToken cancellationToken);

    /// <summary>
    /// Every hostNetwork pod of the cluster, with the owners looked up together once the list is read (one lookup per
    /// distinct owner); null when the credentials may not list pods (a warning says so).
    /// </summary>
    private async Task<List<HostNetworkPod>?> ListAllHostNetworkPodsAsync(int pageSize, CancellationToken cancellationToken)
    {
        var (requestsBefore, bytesBefore) = Traffic;
        var lookupsBefore = owners.Lookups;
        var pods = new List<HostNetworkPod>();
        try
        {
            await foreach (var pod in ListPodsAsync(null, null, PodMapper.IsHostNetworkPod, pageSize, cancellationToken).ConfigureAwait(false))
            {
                pods.Add(pod);
            }
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
        {
            Log.Warning($"Context '{Context}': hostNetwork pods cannot be listed ({ex.Message}); HostNetworkPodCount is left empty.");
            return null;
        }

        await Concurrent.WhenAllAsync(pods.Select(pod => owners.ResolveAsync(pod, cancellationToken)).ToArray()).ConfigureAwait(false);
        var (requests, bytes) = Traffic;
        Log.Verbose($"{Context}: {pods.Count} hostNetwork pod(s) ({owners.Lookups - lookupsBefore} owner lookup(s)); {requests - requestsBefore} request(s) and {(bytes - bytesBefore) / 1024.0:0.#} KB so far by every list in flight.");
        return pods;
    }

    /// <summary>The RBAC objects, or null (with a warning) where the server does not serve them or the role may not list them.</summary>
    private async Task<RbacSnapshot?> ReadRbacOrNullAsync(int pageSize, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadRbacAsync(pageSize, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            // 404: the server does not serve the RBAC API (another authorizer decides); 403: the role lacks the lists.
            Log.Warning($"Context '{Context}': roles, bindings or service accounts cannot be listed ({ex.Message}); the report does not say who can get hostNetwork pods admitted.");
            return null;
        }
    }

    /// <summary>The audit's workload templates; none (with a warning) when the role may not list them.</summary>
    private async Task<List<HostNetworkWorkload>> ListAuditWorkloadsAsync(NamespacePolicyQuery query, CancellationToken cancellationToken)
    {
        var workloads = new List<HostNetworkWorkload>();
        try
        {
            await foreach (var workload in GetHostNetworkWorkloadsAsync(new WorkloadQuery { NamespaceFilter = query.NamespaceFilter, PageSize = query.PageSize }, cancellationToken).ConfigureAwait(false))
            {
                workloads.Add(workload);
            }
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
        {
            Log.Warning($"Context '{Context}': workload templates cannot be listed ({ex.Message}); the report lists none.");
            workloads.Clear();
        }

        return workloads;
    }

    private (IReadOnlyList<HostNetworkPermission> Records, IReadOnlyList<NamespaceAdmission> Covered) Analyze(
        (PolicyInputs Inputs, IReadOnlyList<NamespaceFindings> Results, ExemptionSet Exemptions, PodSecurityConfiguration? Psa) judged, RbacSnapshot rbac, CancellationToken cancellationToken)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var analyzed = PermissionAnalyzer.Analyze(
            new PermissionEvidence { Context = Context, Rbac = rbac, Results = judged.Results, Policy = judged.Inputs, PodSecurity = judged.Psa, Exemptions = judged.Exemptions },
            cancellationToken);
        Log.Verbose($"{Context}: {rbac.ClusterRoleBindings.Count + rbac.RoleBindings.Count} binding(s) and {rbac.ServiceAccounts.Count} service account(s) analyzed in {stopwatch.ElapsedMilliseconds} ms: {analyzed.Records.Count} path(s) in {analyzed.Covered.Count} namespace(s).");
        return analyzed;
    }

    private async Task<(PolicyInputs Inputs, IReadOnlyList<NamespaceFindings> Results, ExemptionSet Exemptions, PodSecurityConfiguration? Psa)> JudgeNamespacesAsync(
        NamespacePolicyQuery query, bool reportProgress, CancellationToken cancellationToken)
    {
        var (psa, exemptions) = NamespacePolicyService.LoadConfiguration(query, Log);
        if (reportProgress)
        {
            Log.Progress(2, AuditActivity, $"{Context}: reading namespaces, admission policies and hostNetwork pods", -1, completed: false);
        }

        var inputs = await ReadPolicyInputsAsync(query, cancellationToken).ConfigureAwait(false);
        var results = NamespacePolicyService.Evaluate(inputs, query, psa, exemptions, Log, cancellationToken);
        if (query.Probe && results.Count > 0)
        {
            if (reportProgress)
            {
                Log.Progress(2, AuditActivity, $"{Context}: probing {results.Count} namespace(s) with dry-run creates", -1, completed: false);
            }

            await ProbeAsync(results, exemptions, query.ProbeParallelism, cancellationToken).ConfigureAwait(false);
        }

        return (inputs, results, exemptions, psa);
    }
}

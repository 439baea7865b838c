using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Permissions;
using HostNetAudit.Engine.Pods;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Workloads;

namespace HostNetAudit.Engine;

/// <summary>
/// One live cluster: the API client plus what was learned about the server (selector support, owners). Lists
/// are paged and narrowed on the server; a request per namespace is never sent except to tell that a literal
/// namespace does not exist, and for the probe's dry-run creates.
/// </summary>
internal sealed partial class ClusterSession : EvidenceSource, IClusterSession
{
    private const string HostNetworkSelector = "spec.hostNetwork=true";
    private readonly PagedLister lister;
    private readonly Func<OwnerRef, string, CancellationToken, Task<OwnerRef?>> ownerLookup;

    // Learned from the first pod list; a race between two lists at most asks once more.
    private bool? hostNetworkSelectorSupported;

    public ClusterSession(KubeApiClient api, IEngineLog log)
        : base(log)
    {
        Api = api;
        lister = new PagedLister(api, log);
        ownerLookup = OwnerResolver.Live(api, log);
        PodSecurity = new PodSecurity.PodSecurityRemediation(api, lister, log, GetServerVersionAsync);
        PolicyReports = new Reports.PolicyReportPublisher(api, lister, log);
        HostNetworkPolicy = new Remediation.HostNetworkPolicyRemediation(api, log, GenerateTargetedPolicyAsync);
    }

    public IPodSecurityRemediation PodSecurity { get; }

    public IPolicyReportPublisher PolicyReports { get; }
    public IHostNetworkPolicyRemediation HostNetworkPolicy { get; }

    public KubeApiClient Api { get; }

    public override string Context => Api.Context;

    /// <summary>Who the credentials are, when the server cannot say (shown with probe results).</summary>
    public string IdentityHint { get; init; } = "the kubeconfig user";

    protected override string Origin => Api.Server;

    protected override (long Requests, long Bytes) Traffic => (Api.RequestCount, Api.BytesReceived);

    public async Task<string?> GetServerVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var document = await Api.SendJsonAsync(new ApiRequest(HttpMethod.Get, "/version", "GetVersion", "get", "version"), cancellationToken).ConfigureAwait(false);
            return document.RootElement.Get("gitVersion").AsString();
        }
        catch (KubeApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    public override void Dispose() => Api.Dispose();

    internal static bool IsFieldLabelNotSupported(KubeApiException ex) =>
        ex.StatusCode == HttpStatusCode.BadRequest &&
        (ex.StatusMessage ?? ex.Message).Contains("field label not supported", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// One list (cluster-wide, or one namespace): with the hostNetwork field selector while the server supports it,
    /// else every pod filtered as each page arrives; a node named literally narrows it with spec.nodeName. A
    /// namespace RBAC does not let us list is reported as a non-terminating error and the other namespaces go on;
    /// a cluster-wide 403 ends the command.
    /// </summary>
    protected override async IAsyncEnumerable<HostNetworkPod> ListPodsAsync(string? ns, string? nodeName, Func<JsonElement, bool> accept, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ApiRequest(HttpMethod.Get, ns is null ? "/api/v1/pods" : $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods", "ListPods", "list", "pods", ns);
        var nodeSelector = NodeSelector(nodeName);
        while (true)
        {
            var useSelector = hostNetworkSelectorSupported != false;
            var selector = string.Join(",", new[] { useSelector ? HostNetworkSelector : null, nodeSelector }.Where(s => s is not null));
            var source = lister.ListAsync(request.WithQuery("fieldSelector", selector), pageSize, accept, cancellationToken);
            await using (var items = source.GetAsyncEnumerator(cancellationToken))
            {
                while (true)
                {
                    bool moved;
                    try
                    {
                        moved = await items.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (KubeApiException ex) when (useSelector && IsFieldLabelNotSupported(ex))
                    {
                        break;
                    }
                    catch (KubeApiException ex) when (ns is not null && ex.StatusCode == HttpStatusCode.Forbidden)
                    {
                        Log.Error(ex);
                        yield break;
                    }

                    if (!moved)
                    {
                        yield break;
                    }

                    if (useSelector)
                    {
                        hostNetworkSelectorSupported = true;
                    }

                    yield return PodMapper.Map(items.Current, Context);
                }
            }

            // The server refused the selector: remember it for this session and list every pod instead.
            hostNetworkSelectorSupported = false;
            Log.Verbose($"{Context}: the API server does not support the field selector {HostNetworkSelector} (Kubernetes before 1.28); listing every pod and filtering on the client.");
        }
    }

    protected override IAsyncEnumerable<HostNetworkWorkload> ListWorkloadsAsync(WorkloadQuery query, CancellationToken cancellationToken) =>
        new WorkloadLister(Api, lister, Log).ListAsync(query, cancellationToken);

    protected override Task<PolicyInputs> ReadPolicyObjectsAsync(NamespacePolicyQuery query, CancellationToken cancellationToken) =>
        PolicyInputReader.FromClusterAsync(this, query, Log, cancellationToken);

    /// <summary>One paged list each, cluster-wide, all five at once; the aggregation controller's stored rules are taken as they are.</summary>
    protected override async Task<RbacSnapshot> ReadRbacAsync(int pageSize, CancellationToken cancellationToken)
    {
        const string rbac = "/apis/rbac.authorization.k8s.io/v1/";
        var roles = new List<RbacRole>();
        var clusterRoles = new List<RbacRole>();
        var roleBindings = new List<RbacBinding>();
        var clusterRoleBindings = new List<RbacBinding>();
        var serviceAccounts = new List<ServiceAccountInfo>();
        async Task ListAsync(string path, string operation, string resource, Action<JsonElement> add)
        {
            await foreach (var item in lister.ListAsync(new ApiRequest(HttpMethod.Get, path, operation, "list", resource), pageSize, null, cancellationToken).ConfigureAwait(false))
            {
                add(item);
            }
        }

        // Five independent lists, sent together; each fills its own list.
        await Concurrent.WhenAllAsync(
            ListAsync(rbac + "roles", "ListRoles", "roles.rbac.authorization.k8s.io", o => roles.Add(RbacSnapshot.ReadRole(o, "Role"))),
            ListAsync(rbac + "clusterroles", "ListClusterRoles", "clusterroles.rbac.authorization.k8s.io", o => clusterRoles.Add(RbacSnapshot.ReadRole(o, "ClusterRole"))),
            ListAsync(rbac + "rolebindings", "ListRoleBindings", "rolebindings.rbac.authorization.k8s.io", o => roleBindings.Add(RbacSnapshot.ReadBinding(o, "RoleBinding"))),
            ListAsync(rbac + "clusterrolebindings", "ListClusterRoleBindings", "clusterrolebindings.rbac.authorization.k8s.io", o => clusterRoleBindings.Add(RbacSnapshot.ReadBinding(o, "ClusterRoleBinding"))),
            ListAsync("/api/v1/serviceaccounts", "ListServiceAccounts", "serviceaccounts", o => serviceAccounts.Add(RbacSnapshot.ReadServiceAccount(o)))).ConfigureAwait(false);
        Log.Verbose($"{Context}: {roles.Count} role(s), {clusterRoles.Count} cluster role(s), {roleBindings.Count} role binding(s), {clusterRoleBindings.Count} cluster role binding(s), {serviceAccounts.Count} service account(s).");
        return RbacSnapshot.Create(roles, clusterRoles, roleBindings, clusterRoleBindings, serviceAccounts, computeAggregation: false);
    }

    protected override Task<OwnerRef?> LookupOwnerAsync(OwnerRef owner, string ns, CancellationToken cancellationToken) =>
        ownerLookup(owner, ns, cancellationToken);

    /// <summary>The read-only lists of Set-NamespacePodSecurity's own preview: per namespace for a few, one cluster-wide per kind for many.</summary>
    protected override Task<Dictionary<string, PodSecurity.NamespaceViolations>> FindPodSecurityViolationsAsync(
        IReadOnlyDictionary<string, PodSecurity.EnforceTarget> targets, int parallelism, CancellationToken cancellationToken) =>
        new PodSecurity.ViolationInventory(lister, Log, Context).CollectAsync(targets, parallelism, cancellationToken);

    protected override Task ProbeAsync(IReadOnlyList<NamespaceFindings> results, ExemptionSet exemptions, int parallelism, CancellationToken cancellationToken) =>
        new PolicyProber(Api, Log, IdentityHint).ProbeAsync(results, exemptions, parallelism, cancellationToken);

    /// <summary>
    /// GET the namespace; a 404 is written as NamespaceNotFound (ObjectNotFound, target the namespace). Any
    /// other answer (it exists, or we may not tell: 403, faults) says nothing more: the lists already spoke.
    /// </summary>
    protected override async Task ReportIfNamespaceMissingAsync(string ns, CancellationToken cancellationToken)
    {
        var request = new ApiRequest(HttpMethod.Get, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}", "GetNamespace", "get", "namespaces", null, ns);
        try
        {
            using var document = await Api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            Log.Error(new HostNetAuditException(
                "NamespaceNotFound",
                FailureCategory.ObjectNotFound,
                ns,
                $"The namespace '{ns}' does not exist in context '{Context}'.",
                ex));
        }
        catch (KubeApiException ex)
        {
            Log.Debug($"{Context}: could not tell whether namespace '{ns}' exists: {ex.Message}");
        }
    }

    /// <summary>
    /// spec.nodeName=&lt;node&gt; for a node named literally. Node names are lowercase DNS subdomains, matched without
    /// regard to case like every name the cmdlets take, so the selector asks for the lowercase name; a name no node
    /// can have sends no selector (the filter then finds nothing, as it does offline).
    /// </summary>
    private static string? NodeSelector(string? nodeName)
    {
        var name = nodeName?.ToLowerInvariant();
        return name is not null && name.Length <= 253 && NodeNamePattern().IsMatch(name) ? "spec.nodeName=" + name : null;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NodeNamePattern();
}

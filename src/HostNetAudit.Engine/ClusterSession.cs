using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Pods;
using HostNetAudit.Engine.Workloads;

namespace HostNetAudit.Engine;

/// <summary>One cluster: the API client plus what was learned about the server (selector support, owners).</summary>
internal sealed partial class ClusterSession : IClusterSession
{
    private const string HostNetworkSelector = "spec.hostNetwork=true";
    private readonly IEngineLog log;
    private readonly PagedLister lister;
    private readonly OwnerResolver owners;
    private bool? hostNetworkSelectorSupported;

    public ClusterSession(KubeApiClient api, IEngineLog log)
    {
        Api = api;
        this.log = log;
        lister = new PagedLister(api, log);
        owners = new OwnerResolver(OwnerResolver.Live(api, log));
        PodSecurity = new PodSecurity.PodSecurityRemediation(api, lister, log, GetServerVersionAsync);
    }

    public IPodSecurityRemediation PodSecurity { get; }

    public KubeApiClient Api { get; }

    public string Context => Api.Context;

    public string Server => Api.Server;

    /// <summary>Owner lookups made so far.</summary>
    public int OwnerLookups => owners.Lookups;

    public async IAsyncEnumerable<HostNetworkPod> GetHostNetworkPodsAsync(PodQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var requestsBefore = Api.RequestCount;
        var bytesBefore = Api.BytesReceived;
        var lookupsBefore = owners.Lookups;
        var found = 0;
        var scopes = query.Namespaces.Count > 0 ? query.Namespaces.Select(ns => (string?)ns).ToArray() : new string?[] { null };
        foreach (var ns in scopes)
        {
            var inScope = 0;
            await foreach (var pod in ListPodsAsync(ns, query, cancellationToken).ConfigureAwait(false))
            {
                found++;
                inScope++;
                yield return pod;
            }

            if (ns is not null && inScope == 0)
            {
                await ReportIfNamespaceMissingAsync(ns, cancellationToken).ConfigureAwait(false);
            }
        }

        log.Verbose($"{Context}: {found} hostNetwork pod(s) from {Api.RequestCount - requestsBefore} request(s) ({owners.Lookups - lookupsBefore} owner lookup(s)), {(Api.BytesReceived - bytesBefore) / 1024.0:0.#} KB received.");
    }

    /// <summary>
    /// One list (cluster-wide, or one namespace): with the field selector while the server supports it,
    /// else every pod filtered as each page arrives. A namespace RBAC does not let us list is reported as a
    /// non-terminating error and the other namespaces go on; a cluster-wide 403 ends the command.
    /// </summary>
    private async IAsyncEnumerable<HostNetworkPod> ListPodsAsync(string? ns, PodQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ApiRequest(HttpMethod.Get, ns is null ? "/api/v1/pods" : $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods", "ListPods", "list", "pods", ns);
        bool Accept(JsonElement pod)
        {
            if (!PodMapper.IsHostNetworkPod(pod))
            {
                return false;
            }

            var podNamespace = PodMapper.Namespace(pod);
            return podNamespace is null || query.NamespaceFilter is null || query.NamespaceFilter(podNamespace);
        }

        while (true)
        {
            var useSelector = hostNetworkSelectorSupported != false;
            var source = lister.ListAsync(useSelector ? request.WithQuery("fieldSelector", HostNetworkSelector) : request, query.PageSize, Accept, cancellationToken);
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
                        log.Error(ex);
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

                    var pod = PodMapper.Map(items.Current, Context);
                    await owners.ResolveAsync(pod, cancellationToken).ConfigureAwait(false);
                    yield return pod;
                }
            }

            // The server refused the selector: remember it for this session and list every pod instead.
            hostNetworkSelectorSupported = false;
            log.Verbose($"{Context}: the API server does not support the field selector {HostNetworkSelector} (Kubernetes before 1.28); listing every pod and filtering on the client.");
        }
    }

    public IAsyncEnumerable<HostNetworkWorkload> GetHostNetworkWorkloadsAsync(WorkloadQuery query, CancellationToken cancellationToken) =>
        WithMissingNamespacesReported(new WorkloadLister(Api, lister, log).ListAsync(query, cancellationToken), query.Namespaces, cancellationToken);

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

    public void Dispose() => Api.Dispose();

    internal static bool IsFieldLabelNotSupported(KubeApiException ex) =>
        ex.StatusCode == HttpStatusCode.BadRequest &&
        (ex.StatusMessage ?? ex.Message).Contains("field label not supported", StringComparison.OrdinalIgnoreCase);
}

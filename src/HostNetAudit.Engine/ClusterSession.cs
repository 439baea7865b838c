using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Pods;

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
        var scopes = query.Namespaces.Count > 0
            ? query.Namespaces.Select(ns => (Namespace: (string?)ns, Path: $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods"))
            : new[] { (Namespace: (string?)null, Path: "/api/v1/pods") };
        foreach (var scope in scopes)
        {
            var request = new ApiRequest(HttpMethod.Get, scope.Path, "ListPods", "list", "pods", scope.Namespace);
            bool Accept(JsonElement pod)
            {
                if (!PodMapper.IsHostNetworkPod(pod))
                {
                    return false;
                }

                var ns = PodMapper.Namespace(pod);
                return ns is null || query.NamespaceFilter is null || query.NamespaceFilter(ns);
            }

            var useSelector = hostNetworkSelectorSupported != false;
            var fallback = false;
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
                        fallback = true;
                        break;
                    }

                    if (!moved)
                    {
                        break;
                    }

                    hostNetworkSelectorSupported ??= useSelector ? true : null;
                    var pod = PodMapper.Map(items.Current, Context);
                    await owners.ResolveAsync(pod, cancellationToken).ConfigureAwait(false);
                    yield return pod;
                }
            }

            if (!fallback)
            {
                continue;
            }

            hostNetworkSelectorSupported = false;
            log.Verbose($"{Context}: the API server does not support the field selector {HostNetworkSelector} (Kubernetes before 1.28); listing every pod and filtering on the client.");
            await foreach (var item in lister.ListAsync(request, query.PageSize, Accept, cancellationToken).ConfigureAwait(false))
            {
                var pod = PodMapper.Map(item, Context);
                await owners.ResolveAsync(pod, cancellationToken).ConfigureAwait(false);
                yield return pod;
            }
        }
    }

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

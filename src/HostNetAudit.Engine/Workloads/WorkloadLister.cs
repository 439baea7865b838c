using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Workloads;

/// <summary>
/// Lists the hostNetwork workloads of a live cluster: one paged list per kind (cluster-wide, or per
/// literal namespace), filtered as each page arrives and streamed. A kind RBAC does not let us list is
/// skipped with a warning naming the missing permission; a kind the server does not serve is skipped.
/// </summary>
internal sealed class WorkloadLister
{
    private readonly KubeApiClient api;
    private readonly PagedLister lister;
    private readonly IEngineLog log;

    public WorkloadLister(KubeApiClient api, PagedLister lister, IEngineLog log)
    {
        this.api = api;
        this.lister = lister;
        this.log = log;
    }

    public async IAsyncEnumerable<HostNetworkWorkload> ListAsync(WorkloadQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var requestsBefore = api.RequestCount;
        var bytesBefore = api.BytesReceived;
        var found = 0;
        var scopes = query.Namespaces.Count > 0 ? query.Namespaces.Select(ns => (string?)ns).ToArray() : new string?[] { null };
        // Every kind and scope is listed at once (the client bounds the requests in flight); the templates are
        // written in kind order as each list completes, so the order does not depend on which answered first.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lists = query.EffectiveKinds
            .SelectMany(kind => scopes.Select(ns => CollectAsync(WorkloadResource.Of(kind), ns, query, stop.Token)))
            .ToList();
        try
        {
            foreach (var list in lists)
            {
                foreach (var workload in await list.ConfigureAwait(false))
                {
                    found++;
                    yield return workload;
                }
            }
        }
        finally
        {
            // Stopped early or failed: the other lists end too, and nothing is left running unobserved.
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(lists).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or KubeApiException or HostNetAuditException)
            {
                // The failure the caller sees is the first one, thrown above.
            }
        }

        log.Verbose($"{api.Context}: {found} hostNetwork workload(s) from {api.RequestCount - requestsBefore} request(s), {(api.BytesReceived - bytesBefore) / 1024.0:0.#} KB received.");
    }

    private async Task<List<HostNetworkWorkload>> CollectAsync(WorkloadResource resource, string? ns, WorkloadQuery query, CancellationToken cancellationToken)
    {
        var workloads = new List<HostNetworkWorkload>();
        await foreach (var workload in ListScopeAsync(resource, ns, query, cancellationToken).ConfigureAwait(false))
        {
            workloads.Add(workload);
        }

        return workloads;
    }

    private async IAsyncEnumerable<HostNetworkWorkload> ListScopeAsync(WorkloadResource resource, string? ns, WorkloadQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool Accept(JsonElement item)
        {
            if (!WorkloadMapper.IsHostNetworkWorkload(item, resource.Kind))
            {
                return false;
            }

            var itemNamespace = item.Get("metadata", "namespace").AsString();
            return itemNamespace is null || query.NamespaceFilter is null || query.NamespaceFilter(itemNamespace);
        }

        foreach (var groupVersion in resource.GroupVersions)
        {
            var request = new ApiRequest(HttpMethod.Get, resource.ListPath(groupVersion, ns), resource.Operation, "list", resource.Resource, ns);
            var notServed = false;
            await using (var items = lister.ListAsync(request, query.PageSize, Accept, cancellationToken).GetAsyncEnumerator(cancellationToken))
            {
                while (true)
                {
                    bool moved;
                    try
                    {
                        moved = await items.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
                    {
                        var group = WorkloadResource.GroupOf(groupVersion);
                        var scope = ns is null ? "at the cluster scope" : $"in namespace '{ns}'";
                        log.Warning($"Context '{api.Context}': cannot list {resource.Resource} {scope} (RBAC needs 'list' on '{resource.Resource}' in API group '{group}'); {resource.KindName} templates {scope} were not checked.");
                        yield break;
                    }
                    catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
                    {
                        notServed = true;
                        break;
                    }

                    if (!moved)
                    {
                        yield break;
                    }

                    yield return WorkloadMapper.Map(items.Current, resource.Kind, api.Context);
                }
            }

            if (notServed)
            {
                log.Verbose($"{api.Context}: the API server does not serve {resource.Resource} in {groupVersion}; skipped.");
            }
        }
    }
}

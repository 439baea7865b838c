using HostNetAudit.Abstractions;

namespace HostNetAudit.Engine.Pods;

/// <summary>The controller of an owner object (a ReplicaSet's Deployment, a Job's CronJob).</summary>
internal readonly record struct OwnerRef(string Kind, string Name);

/// <summary>
/// Walks a pod's owner up to the top controller: Pod→ReplicaSet→Deployment, Pod→Job→CronJob. Costs at
/// most one lookup per distinct owner, never one per pod.
/// </summary>
internal sealed class OwnerResolver
{
    private readonly Func<string, string, string, CancellationToken, Task<OwnerRef?>> lookup;
    private readonly Dictionary<string, OwnerRef?> cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <param name="lookup">(kind, namespace, name) → that object's own controller, or null when it has none
    /// or cannot be read.</param>
    public OwnerResolver(Func<string, string, string, CancellationToken, Task<OwnerRef?>> lookup)
    {
        this.lookup = lookup;
    }

    /// <summary>Lookups made (for tests and benchmarks).</summary>
    public int Lookups { get; private set; }

    public async Task ResolveAsync(HostNetworkPod pod, CancellationToken cancellationToken)
    {
        if (pod.OwnerKind is not ("ReplicaSet" or "Job") || pod.OwnerName is null)
        {
            return;
        }

        var key = pod.OwnerKind + "\0" + pod.Namespace + "\0" + pod.OwnerName;
        OwnerRef? parent;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!cache.TryGetValue(key, out parent))
            {
                Lookups++;
                parent = await lookup(pod.OwnerKind, pod.Namespace, pod.OwnerName, cancellationToken).ConfigureAwait(false);
                cache[key] = parent;
            }
        }
        finally
        {
            gate.Release();
        }

        if (parent is { } top && IsTopController(pod.OwnerKind, top.Kind))
        {
            pod.OwnerKind = top.Kind;
            pod.OwnerName = top.Name;
        }
    }

    private static bool IsTopController(string childKind, string parentKind) =>
        (childKind == "ReplicaSet" && parentKind == "Deployment") || (childKind == "Job" && parentKind == "CronJob");

    public static string ResourceOf(string kind) => kind switch
    {
        "ReplicaSet" => "replicasets",
        "Job" => "jobs",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no owner lookup for this kind"),
    };

    public static string GroupVersionOf(string kind) => kind switch
    {
        "ReplicaSet" => "apps/v1",
        "Job" => "batch/v1",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no owner lookup for this kind"),
    };

    /// <summary>Builds an error-tolerant live lookup: 404 and 403 leave the owner as it is (403 warned once).</summary>
    public static Func<string, string, string, CancellationToken, Task<OwnerRef?>> Live(Api.KubeApiClient api, IEngineLog log)
    {
        var warned = new HashSet<string>(StringComparer.Ordinal);
        return async (kind, ns, name, cancellationToken) =>
        {
            var resource = ResourceOf(kind);
            var request = new Api.ApiRequest(HttpMethod.Get, $"/apis/{GroupVersionOf(kind)}/namespaces/{Uri.EscapeDataString(ns)}/{resource}/{Uri.EscapeDataString(name)}", "Get" + kind, "get", resource, ns, name);
            try
            {
                using var document = await api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
                var (ownerKind, ownerName, _) = PodSpecInspector.ControllerOf(Json.JsonExtensions.Get(document.RootElement, "metadata"));
                return ownerKind is null || ownerName is null ? null : new OwnerRef(ownerKind, ownerName);
            }
            catch (Api.KubeApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return null;
            }
            catch (Api.KubeApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Forbidden)
            {
                lock (warned)
                {
                    if (warned.Add(resource))
                    {
                        log.Warning($"Context '{api.Context}': cannot get {resource} (RBAC needs 'get' on '{resource}'); owners are shown as {kind} instead of their controller.");
                    }
                }

                return null;
            }
        };
    }
}

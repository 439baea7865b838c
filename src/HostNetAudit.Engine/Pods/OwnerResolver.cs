using System.Net;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Pods;

/// <summary>An object's controller, as its ownerReference names it.</summary>
internal readonly record struct OwnerRef(string ApiVersion, string Kind, string Name)
{
    /// <summary>The API group ("" for core).</summary>
    public string Group => ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;

    /// <summary>The controller ownerReference (controller: true), else the first one; null without either.</summary>
    public static OwnerRef? ControllerOf(JsonElement metadata)
    {
        var (kind, name, _) = PodSpecInspector.ControllerOf(metadata);
        if (kind is null || name is null)
        {
            return null;
        }

        var reference = metadata.Get("ownerReferences").Items().FirstOrDefault(o => o.Get("kind").AsString() == kind && o.Get("name").AsString() == name);
        return Of(reference.Get("apiVersion").AsString(), kind, name);
    }

    /// <summary>A reference; a hand-written manifest may leave out the apiVersion of a built-in workload kind.</summary>
    public static OwnerRef Of(string? apiVersion, string kind, string name) =>
        new(string.IsNullOrEmpty(apiVersion) ? kind switch
        {
            "Deployment" or "DaemonSet" or "StatefulSet" or "ReplicaSet" => "apps/v1",
            "Job" or "CronJob" => "batch/v1",
            "ReplicationController" or "Node" => "v1",
            _ => string.Empty,
        } : apiVersion, kind, name);
}

/// <summary>
/// Walks a pod's owner up to its top controller through any controller ownerReference: Pod→ReplicaSet→Deployment,
/// Pod→Job→CronJob, Pod→ReplicaSet→Rollout (argoproj.io), Pod→TaskRun→PipelineRun (a custom controller's own
/// kinds). The built-in workloads that hold a pod template (Deployment, DaemonSet, StatefulSet, CronJob,
/// ReplicationController) and Nodes are the top without a lookup: they are what exemptions and fixes name, even
/// where an operator owns them. Costs at most one lookup per distinct owner object, never one per pod. Where an
/// owner cannot be read (RBAC, or it is gone), the pod keeps the last owner that could be read.
/// </summary>
internal sealed class OwnerResolver
{
    // A controller chain longer than this is a loop in the data, not a real hierarchy.
    private const int MaxHops = 10;
    private readonly Func<OwnerRef, string, CancellationToken, Task<OwnerRef?>> lookup;
    // One lookup per owner object, shared by the pods that resolve it at the same time.
    private readonly Dictionary<string, Task<OwnerRef?>> cache = new(StringComparer.Ordinal);
    private int lookups;

    /// <param name="lookup">(owner, namespace of the object it owns) → that owner's own controller, or null when it
    /// has none or cannot be read (the lookup says why, once).</param>
    public OwnerResolver(Func<OwnerRef, string, CancellationToken, Task<OwnerRef?>> lookup)
    {
        this.lookup = lookup;
    }

    /// <summary>Lookups made (for tests and benchmarks).</summary>
    public int Lookups => Volatile.Read(ref lookups);

    /// <summary>Sets the pod's owner to its top controller (kind, name and API version).</summary>
    /// <param name="pod">The record, whose OwnerKind, OwnerName and OwnerApiVersion name the pod's own controller.</param>
    /// <param name="cancellationToken">Stops the walk.</param>
    public async Task ResolveAsync(HostNetworkPod pod, CancellationToken cancellationToken)
    {
        if (pod.OwnerKind is null || pod.OwnerName is null)
        {
            return;
        }

        var owner = OwnerRef.Of(pod.OwnerApiVersion, pod.OwnerKind, pod.OwnerName);
        var top = owner;
        var seen = new HashSet<OwnerRef> { owner };
        for (var hop = 0; hop < MaxHops && !IsTop(top); hop++)
        {
            var key = string.Join("\0", top.Group, top.Kind, pod.Namespace, top.Name);
            var parent = await LookupOnceAsync(key, top, pod.Namespace, cancellationToken).ConfigureAwait(false);
            if (parent is not { } next || !seen.Add(next))
            {
                break;
            }

            top = next;
        }

        pod.OwnerKind = top.Kind;
        pod.OwnerName = top.Name;
        pod.OwnerApiVersion = top.ApiVersion;
    }

    /// <summary>The owner's own controller, looked up once; a lookup that failed (not a 403 or 404, which answer
    /// null) is forgotten, so the next pod asks again.</summary>
    private async Task<OwnerRef?> LookupOnceAsync(string key, OwnerRef owner, string ns, CancellationToken cancellationToken)
    {
        Task<OwnerRef?>? task;
        lock (cache)
        {
            if (!cache.TryGetValue(key, out task))
            {
                Interlocked.Increment(ref lookups);
                task = lookup(owner, ns, cancellationToken);
                cache[key] = task;
            }
        }

        try
        {
            return await task.ConfigureAwait(false);
        }
        catch
        {
            lock (cache)
            {
                if (cache.TryGetValue(key, out var cached) && cached == task)
                {
                    cache.Remove(key);
                }
            }

            throw;
        }
    }

    /// <summary>A built-in workload that holds a pod template, or a Node (the owner of static pods' mirror pods).</summary>
    private static bool IsTop(OwnerRef owner) => (owner.Group, owner.Kind) switch
    {
        ("apps" or "extensions", "Deployment" or "DaemonSet" or "StatefulSet") => true,
        ("batch", "CronJob") => true,
        ("", "ReplicationController" or "Node") => true,
        _ => false,
    };

    /// <summary>
    /// The live lookup: GET the owner (its resource found through discovery, once per group/version, except for the
    /// built-in workload kinds) and read its controller. 404 ends the walk; 403 too, with one warning per resource
    /// naming the RBAC rule that is missing.
    /// </summary>
    public static Func<OwnerRef, string, CancellationToken, Task<OwnerRef?>> Live(KubeApiClient api, IEngineLog log)
    {
        var resources = new OwnerResources(api, log);
        var warned = new HashSet<string>(StringComparer.Ordinal);
        return async (owner, ns, cancellationToken) =>
        {
            var resource = await resources.FindAsync(owner, cancellationToken).ConfigureAwait(false);
            if (resource is null)
            {
                return null;
            }

            var root = owner.Group.Length == 0 ? "/api/" + owner.ApiVersion : "/apis/" + owner.ApiVersion;
            var scope = resource.Value.Namespaced ? $"/namespaces/{Uri.EscapeDataString(ns)}" : string.Empty;
            var qualified = owner.Group.Length == 0 ? resource.Value.Name : resource.Value.Name + "." + owner.Group;
            var request = new ApiRequest(HttpMethod.Get, $"{root}{scope}/{resource.Value.Name}/{Uri.EscapeDataString(owner.Name)}", "Get" + owner.Kind, "get", qualified, resource.Value.Namespaced ? ns : null, owner.Name);
            try
            {
                using var document = await api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
                return OwnerRef.ControllerOf(document.RootElement.Get("metadata"));
            }
            catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
            {
                lock (warned)
                {
                    if (warned.Add(qualified))
                    {
                        var group = owner.Group.Length == 0 ? "the core API group" : $"API group '{owner.Group}'";
                        log.Warning($"Context '{api.Context}': cannot get {qualified} (RBAC needs 'get' on '{resource.Value.Name}' in {group}); pods controlled through a {owner.Kind} show it as their owner, not what controls it.");
                    }
                }

                return null;
            }
        };
    }

    /// <summary>Where an owner kind is served: the built-in workload kinds by heart, any other kind by discovery.</summary>
    private sealed class OwnerResources
    {
        private static readonly Dictionary<string, (string Name, bool Namespaced)> BuiltIn = new(StringComparer.Ordinal)
        {
            ["apps/ReplicaSet"] = ("replicasets", true),
            ["apps/Deployment"] = ("deployments", true),
            ["apps/DaemonSet"] = ("daemonsets", true),
            ["apps/StatefulSet"] = ("statefulsets", true),
            ["batch/Job"] = ("jobs", true),
            ["batch/CronJob"] = ("cronjobs", true),
            ["/ReplicationController"] = ("replicationcontrollers", true),
        };

        private readonly KubeApiClient api;
        private readonly IEngineLog log;
        // Once per group/version, shared by the lookups that run at the same time.
        private readonly Dictionary<string, Task<Dictionary<string, (string Name, bool Namespaced)>?>> discovered = new(StringComparer.Ordinal);

        public OwnerResources(KubeApiClient api, IEngineLog log)
        {
            this.api = api;
            this.log = log;
        }

        public async Task<(string Name, bool Namespaced)?> FindAsync(OwnerRef owner, CancellationToken cancellationToken)
        {
            if (BuiltIn.TryGetValue(owner.Group + "/" + owner.Kind, out var known))
            {
                return known;
            }

            if (owner.ApiVersion.Length == 0)
            {
                return null;
            }

            Task<Dictionary<string, (string Name, bool Namespaced)>?>? discovery;
            lock (discovered)
            {
                if (!discovered.TryGetValue(owner.ApiVersion, out discovery))
                {
                    discovery = DiscoverAsync(owner, cancellationToken);
                    discovered[owner.ApiVersion] = discovery;
                }
            }

            var kinds = await discovery.ConfigureAwait(false);

            if (kinds is not null && kinds.TryGetValue(owner.Kind, out var found))
            {
                return found;
            }

            log.Verbose($"{api.Context}: {owner.ApiVersion} serves no kind {owner.Kind}; the owner {owner.Kind}/{owner.Name} is shown as it is.");
            return null;
        }

        /// <summary>GET /apis/group/version: the kinds it serves (subresources left out); null when it cannot be read.</summary>
        private async Task<Dictionary<string, (string Name, bool Namespaced)>?> DiscoverAsync(OwnerRef owner, CancellationToken cancellationToken)
        {
            var path = owner.Group.Length == 0 ? "/api/" + owner.ApiVersion : "/apis/" + owner.ApiVersion;
            try
            {
                using var document = await api.SendJsonAsync(new ApiRequest(HttpMethod.Get, path, "Discovery", "get", owner.ApiVersion), cancellationToken).ConfigureAwait(false);
                var kinds = new Dictionary<string, (string Name, bool Namespaced)>(StringComparer.Ordinal);
                foreach (var resource in document.RootElement.Get("resources").Items())
                {
                    if (resource.Get("name").AsString() is { } name && !name.Contains('/', StringComparison.Ordinal) && resource.Get("kind").AsString() is { } kind)
                    {
                        kinds.TryAdd(kind, (name, resource.Get("namespaced").IsTrue()));
                    }
                }

                return kinds;
            }
            catch (KubeApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                log.Verbose($"{api.Context}: {path} cannot be read ({(int)ex.StatusCode}); owners of kinds in {owner.ApiVersion} are shown as they are.");
                return null;
            }
        }
    }
}

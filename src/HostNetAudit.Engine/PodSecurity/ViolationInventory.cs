using System.Net;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.PodSecurity;

/// <summary>What a namespace's new enforce level is checked against: the level, its label version and the resolved minor.</summary>
internal sealed record EnforceTarget(LevelVersion Target, int Minor);

/// <summary>The pods and templates of one namespace that its new enforce level refuses, and what could not be read.</summary>
internal sealed class NamespaceViolations
{
    public List<PodSecurityViolation> Items { get; } = new();

    public List<HostNetAuditException> Errors { get; } = new();
}

/// <summary>
/// Lists running pods and workload templates (Deployments, DaemonSets, StatefulSets, ReplicaSets and Jobs
/// without a controller, CronJobs, ReplicationControllers) and checks each against its namespace's new
/// enforce level. Namespace by namespace for a few namespaces; one paged cluster-wide list per kind for many,
/// so the cost follows the number of kinds, not of namespaces. The kinds are listed at once (one round trip); lists
/// are streamed: only violations are kept.
/// </summary>
internal sealed class ViolationInventory
{
    /// <summary>Above this many namespaces, one cluster-wide list per kind replaces per-namespace lists.</summary>
    public const int ClusterWideThreshold = 16;

    /// <summary>The kinds read: pods and every kind that holds a pod template.</summary>
    public static readonly (string Kind, string Group, string Resource)[] Kinds =
    {
        ("ReplicaSet", "apps/v1", "replicasets"),
        ("Job", "batch/v1", "jobs"),
        ("Pod", "v1", "pods"),
        ("Deployment", "apps/v1", "deployments"),
        ("DaemonSet", "apps/v1", "daemonsets"),
        ("StatefulSet", "apps/v1", "statefulsets"),
        ("CronJob", "batch/v1", "cronjobs"),
        ("ReplicationController", "v1", "replicationcontrollers"),
    };

    /// <summary>The kinds whose pod templates are checked (every kind listed but Pod).</summary>
    public static IEnumerable<(string Kind, string GroupVersion)> TemplateKinds => Kinds.Where(k => k.Kind != "Pod").Select(k => (k.Kind, k.Group));

    private readonly PagedLister lister;
    private readonly IEngineLog log;
    private readonly string context;

    public ViolationInventory(PagedLister lister, IEngineLog log, string context)
    {
        this.lister = lister;
        this.log = log;
        this.context = context;
    }

    public async Task<Dictionary<string, NamespaceViolations>> CollectAsync(IReadOnlyDictionary<string, EnforceTarget> targets, int throttleLimit, CancellationToken cancellationToken)
    {
        var result = targets.Keys.ToDictionary(ns => ns, _ => new NamespaceViolations(), StringComparer.Ordinal);
        if (targets.Count == 0)
        {
            return result;
        }

        if (targets.Count > ClusterWideThreshold)
        {
            log.Verbose($"{context}: checking {targets.Count} namespaces with one cluster-wide list per kind.");
            await ScanAsync(null, targets, result, cancellationToken).ConfigureAwait(false);
            return result;
        }

        await Parallel.ForEachAsync(
            targets.Keys,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, throttleLimit), CancellationToken = cancellationToken },
            async (ns, token) => await ScanAsync(ns, targets, result, token).ConfigureAwait(false)).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The same check over objects already at hand (offline evidence): <paramref name="objects"/> gives the objects of
    /// one kind and API group/version; only violations are kept.
    /// </summary>
    public static Dictionary<string, NamespaceViolations> CollectFrom(IReadOnlyDictionary<string, EnforceTarget> targets, Func<string, string, IEnumerable<JsonElement>> objects)
    {
        var result = targets.Keys.ToDictionary(ns => ns, _ => new NamespaceViolations(), StringComparer.Ordinal);
        var owners = new Dictionary<(string Namespace, string Kind, string Name), string>();
        foreach (var (kind, groupVersion, _) in Kinds)
        {
            foreach (var item in objects(kind, groupVersion).Where(i => InScope(i, targets)))
            {
                Inspect(kind, item, targets, result, owners);
            }
        }

        NameTopOwners(result, owners, null);
        return result;
    }

    /// <summary>
    /// One namespace (or, null, all): the kinds are listed at once, so the check costs one round trip (plus paging)
    /// rather than one per kind; pods name their top controller once every list is read.
    /// </summary>
    private async Task ScanAsync(string? ns, IReadOnlyDictionary<string, EnforceTarget> targets, Dictionary<string, NamespaceViolations> result, CancellationToken cancellationToken)
    {
        var owners = new System.Collections.Concurrent.ConcurrentDictionary<(string Namespace, string Kind, string Name), string>();
        await Task.WhenAll(Kinds.Select(k => ListKindAsync(ns, k, targets, result, owners, cancellationToken))).ConfigureAwait(false);
        NameTopOwners(result, owners, ns);
    }

    private async Task ListKindAsync(
        string? ns,
        (string Kind, string Group, string Resource) kindInfo,
        IReadOnlyDictionary<string, EnforceTarget> targets,
        Dictionary<string, NamespaceViolations> result,
        IDictionary<(string Namespace, string Kind, string Name), string> owners,
        CancellationToken cancellationToken)
    {
        var (kind, groupVersion, resource) = kindInfo;
        var prefix = groupVersion == "v1" ? "/api/v1" : "/apis/" + groupVersion;
        var path = ns is null ? $"{prefix}/{resource}" : $"{prefix}/namespaces/{Uri.EscapeDataString(ns)}/{resource}";
        var request = new ApiRequest(HttpMethod.Get, path, "List" + kind + "s", "list", resource, ns);
        try
        {
            await foreach (var item in lister.ListAsync(request, 500, i => InScope(i, targets), cancellationToken).ConfigureAwait(false))
            {
                Inspect(kind, item, targets, result, owners);
            }
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            log.Verbose($"{context}: {resource} ({groupVersion}) is not served; skipped.");
        }
        catch (KubeApiException ex)
        {
            var affected = ns is null ? result.Keys.ToList() : new List<string> { ns };
            foreach (var name in affected)
            {
                lock (result[name].Errors)
                {
                    result[name].Errors.Add(ex);
                }
            }
        }
    }

    /// <summary>A pod owned by a ReplicaSet or Job that has a controller of its own is named after that one (its Deployment or CronJob).</summary>
    private static void NameTopOwners(Dictionary<string, NamespaceViolations> result, IDictionary<(string Namespace, string Kind, string Name), string> owners, string? only)
    {
        foreach (var (ns, entry) in result)
        {
            if (only is not null && ns != only)
            {
                continue;
            }

            foreach (var item in entry.Items.Where(i => i.Kind == "Pod" && i.Owner is not null))
            {
                var slash = item.Owner!.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0 && owners.TryGetValue((ns, item.Owner[..slash], item.Owner[(slash + 1)..]), out var top))
                {
                    item.Owner = top;
                }
            }
        }
    }

    private static bool InScope(JsonElement item, IReadOnlyDictionary<string, EnforceTarget> targets) =>
        item.Get("metadata", "namespace").AsString() is { } ns && targets.ContainsKey(ns);

    private static void Inspect(
        string kind,
        JsonElement item,
        IReadOnlyDictionary<string, EnforceTarget> targets,
        Dictionary<string, NamespaceViolations> result,
        IDictionary<(string Namespace, string Kind, string Name), string> owners)
    {
        var metadata = item.Get("metadata");
        var ns = metadata.Get("namespace").AsString()!;
        var name = metadata.Get("name").AsString() ?? string.Empty;
        var controller = Controller(metadata);
        var spec = item.Get("spec");
        JsonElement templateMetadata;
        JsonElement podSpec;
        string? state;
        string? owner = null;
        switch (kind)
        {
            case "Pod":
                var phase = item.Get("status", "phase").AsString();
                if (phase is "Succeeded" or "Failed")
                {
                    return; // finished pods run nothing; their controller's template is checked
                }

                templateMetadata = metadata;
                podSpec = spec;
                state = phase ?? "Pending";
                if (controller is { } c)
                {
                    owner = c.Kind + "/" + c.Name; // named after its top controller once every list is read
                }

                break;
            case "ReplicaSet":
            case "Job":
                if (controller is { } parent)
                {
                    owners[(ns, kind, name)] = parent.Kind + "/" + parent.Name;
                    return; // its Deployment or CronJob holds the template
                }

                if (kind == "Job" && IsFinished(item))
                {
                    return;
                }

                templateMetadata = spec.Get("template", "metadata");
                podSpec = spec.Get("template", "spec");
                state = kind == "Job" ? (spec.Get("suspend").IsTrue() ? "suspended" : "active") : Replicas(spec);
                break;
            case "CronJob":
                templateMetadata = spec.Get("jobTemplate", "spec", "template", "metadata");
                podSpec = spec.Get("jobTemplate", "spec", "template", "spec");
                state = spec.Get("suspend").IsTrue() ? "suspended" : "schedule '" + spec.Get("schedule").AsString() + "'";
                break;
            case "DaemonSet":
                templateMetadata = spec.Get("template", "metadata");
                podSpec = spec.Get("template", "spec");
                var scheduled = item.Get("status", "desiredNumberScheduled").AsInt() ?? 0;
                state = scheduled == 0 ? "scheduled on no node" : $"on {scheduled} {(scheduled == 1 ? "node" : "nodes")}";
                break;
            default:
                templateMetadata = spec.Get("template", "metadata");
                podSpec = spec.Get("template", "spec");
                state = Replicas(spec);
                break;
        }

        var target = targets[ns];
        var failures = PodSecurityChecks.Evaluate(templateMetadata, podSpec, target.Target.Level, target.Minor);
        if (failures.Count == 0)
        {
            return;
        }

        var entry = result[ns];
        lock (entry.Items)
        {
            entry.Items.Add(new PodSecurityViolation
            {
                Kind = kind,
                Namespace = ns,
                Name = name,
                Owner = owner,
                State = state,
                Level = target.Target.ToString(),
                Reasons = failures.Select(f => f.ToString()).ToArray(),
            });
        }
    }

    private static string Replicas(JsonElement spec)
    {
        var replicas = spec.Get("replicas").AsInt() ?? 1;
        return replicas == 1 ? "1 replica" : $"{replicas} replicas";
    }

    private static bool IsFinished(JsonElement job) =>
        job.Get("status", "conditions").Items().Any(c => c.Get("type").AsString() is "Complete" or "Failed" && c.Get("status").AsString() == "True");

    private static (string Kind, string Name)? Controller(JsonElement metadata)
    {
        foreach (var owner in metadata.Get("ownerReferences").Items())
        {
            if (owner.Get("controller").IsTrue())
            {
                return (owner.Get("kind").AsString() ?? "?", owner.Get("name").AsString() ?? "?");
            }
        }

        return null;
    }
}

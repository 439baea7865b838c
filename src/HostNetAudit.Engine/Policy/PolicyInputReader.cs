using System.Globalization;
using System.Net;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Vap;

namespace HostNetAudit.Engine.Policy;

/// <summary>
/// Gathers the policy side of what the evaluators read: from files (every object of the evidence), or from a
/// cluster with one discovery pass and one paged list per resource kind, never a request per namespace. The
/// hostNetwork pods are added by <see cref="EvidenceSource.ReadPolicyInputsAsync"/>, the same way for both.
/// </summary>
internal static class PolicyInputReader
{
    private static readonly HashSet<string> PolicyGroups = new(PolicyKinds.All.Select(k => k.Group).Append(PolicyKinds.ConstraintsGroup), StringComparer.Ordinal);

    /// <summary>Offline: Namespace objects and every policy-side object of the evidence.</summary>
    public static PolicyInputs FromEvidence(EvidenceSet evidence, IEngineLog log)
    {
        var inputs = new PolicyInputs { Live = false, Context = evidence.Context };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var obj in evidence.Objects)
        {
            if (obj.Kind == "Namespace" && obj.Group.Length == 0)
            {
                var ns = NamespaceInfo.From(obj.Object, obj.Source);
                if (ns.Name.Length > 0 && seen.Add(ns.Name))
                {
                    inputs.Namespaces.Add(ns);
                }
                else
                {
                    log.Debug($"Namespace '{ns.Name}' appears again in '{obj.Source}'; the first occurrence is used.");
                }

                continue;
            }

            if (obj.Kind == "ConfigMap" && obj.Group.Length == 0)
            {
                if (obj.Name == "kyverno" && inputs.KyvernoConfigMap is null)
                {
                    inputs.KyvernoConfigMap = new PolicyObject(obj.Object, obj.Source, obj.SourceName);
                    inputs.KyvernoConfigMapState = ConfigMapState.Found;
                }

                continue;
            }

            if (PolicyGroups.Contains(obj.Group))
            {
                inputs.Add(new PolicyObject(obj.Object, obj.Source, obj.SourceName));
            }
        }

        inputs.WebhooksKnown = inputs.Of("admissionregistration.k8s.io", "ValidatingWebhookConfiguration").Count > 0;
        ReadParams(inputs, evidence);
        return inputs;
    }

    /// <summary>The paramKinds of the ValidatingAdmissionPolicies that bindings use.</summary>
    private static IEnumerable<(ParamKind Kind, List<JsonElement> Refs)> ParamKinds(PolicyInputs inputs)
    {
        var bindings = inputs.Of("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding")
            .ToLookup(b => b.Spec.Get("policyName").AsString() ?? string.Empty, StringComparer.Ordinal);
        return inputs.Of("admissionregistration.k8s.io", "ValidatingAdmissionPolicy")
            .Select(p => (Kind: ParamKind.Of(p.Spec), Refs: bindings[p.Name].Select(b => b.Spec.Get("paramRef")).Where(r => r.Exists())))
            .Where(p => p.Kind is not null && p.Refs.Any())
            .GroupBy(p => p.Kind!.Value.Key, StringComparer.Ordinal)
            .Select(g => (g.First().Kind!.Value, g.SelectMany(p => p.Refs).ToList()));
    }

    /// <summary>
    /// Offline params: every object of the paramKind's group and kind in the evidence. A kind is not served when the
    /// evidence holds CustomResourceDefinitions but none defines it; a CRD also says whether it is namespaced.
    /// </summary>
    private static void ReadParams(PolicyInputs inputs, EvidenceSet evidence)
    {
        var crds = evidence.OfKind("CustomResourceDefinition", "apiextensions.k8s.io").ToList();
        foreach (var (kind, _) in ParamKinds(inputs))
        {
            var crd = crds.FirstOrDefault(c => c.Object.Get("spec", "group").AsString() == kind.Group && c.Object.Get("spec", "names", "kind").AsString() == kind.Kind);
            var objects = evidence.Objects.Where(o => o.Group == kind.Group && o.Kind == kind.Kind).ToList();
            if (kind.Group.Length > 0 && crds.Count > 0 && crd is null && objects.Count == 0)
            {
                inputs.Params[kind.Key] = new ParamSet(kind, ParamKindState.NotServed, namespaced: true);
                continue;
            }

            var namespaced = crd is not null
                ? !string.Equals(crd.Object.Get("spec", "scope").AsString(), "Cluster", StringComparison.Ordinal)
                : objects.Count == 0 || objects.Any(o => o.Namespace is not null);
            var set = new ParamSet(kind, ParamKindState.Read, namespaced);
            set.Objects.AddRange(objects.Select(o => new PolicyObject(o.Object, o.Source, o.SourceName)));
            inputs.Params[kind.Key] = set;
        }
    }

    /// <summary>
    /// Live params: for each paramKind, discovery of its resource, then one cluster-wide list, narrowed by a field
    /// selector on the name (or the label selector) when every binding refers to its params the same way. A 403
    /// makes them unreadable, naming the permission.
    /// </summary>
    private static async Task ReadParamsAsync(PolicyInputs inputs, KubeApiClient api, PagedLister lister, int pageSize, IEngineLog log, CancellationToken cancellationToken)
    {
        foreach (var (kind, refs) in ParamKinds(inputs))
        {
            var discovery = kind.Group.Length == 0 ? $"/api/{kind.Version}" : $"/apis/{kind.Group}/{kind.Version}";
            JsonElement resource = default;
            try
            {
                using var list = await api.SendJsonAsync(new ApiRequest(HttpMethod.Get, discovery, "Discovery", "get", kind.Group.Length == 0 ? "api" : kind.Group), cancellationToken).ConfigureAwait(false);
                resource = list.RootElement.Get("resources").Items()
                    .FirstOrDefault(r => r.Get("kind").AsString() == kind.Kind && !(r.Get("name").AsString() ?? "/").Contains('/', StringComparison.Ordinal)).Clone();
            }
            catch (KubeApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable)
            {
                log.Debug($"Discovery of {kind.ApiVersion} failed: {ex.Message}");
            }

            if (resource.ValueKind != JsonValueKind.Object)
            {
                inputs.Params[kind.Key] = new ParamSet(kind, ParamKindState.NotServed, namespaced: true);
                continue;
            }

            var name = resource.Get("name").AsString()!;
            var namespaced = resource.Get("namespaced").IsTrue();
            var path = kind.Group.Length == 0 ? $"/api/{kind.Version}/{name}" : $"/apis/{kind.Group}/{kind.Version}/{name}";
            var request = new ApiRequest(HttpMethod.Get, path, "ListParams", "list", kind.Group.Length == 0 ? name : name + "." + kind.Group);
            var names = refs.Select(r => r.Get("name").AsString()).Distinct(StringComparer.Ordinal).ToList();
            var selectors = refs.Select(r => r.Get("selector").GetRawTextOrEmpty()).Distinct(StringComparer.Ordinal).ToList();
            if (names.Count == 1 && names[0] is { Length: > 0 } only)
            {
                request = request.WithQuery("fieldSelector", "metadata.name=" + only);
            }
            else if (names.All(string.IsNullOrEmpty) && selectors.Count == 1 && LabelSelector.ToQuery(refs[0].Get("selector")) is { Length: > 0 } query)
            {
                request = request.WithQuery("labelSelector", query);
            }

            var set = new ParamSet(kind, ParamKindState.Read, namespaced);
            try
            {
                await foreach (var item in lister.ListAsync(request, pageSize, null, cancellationToken).ConfigureAwait(false))
                {
                    set.Objects.Add(new PolicyObject(WithTypeMeta(item.Clone(), kind.ApiVersion, kind.Kind), null));
                }

                log.Verbose($"{inputs.Context}: {set.Objects.Count} param(s) of kind {kind}.");
            }
            catch (KubeApiException ex) when (ex.StatusCode is not null && ex.ErrorId is not "Unauthorized")
            {
                var group = kind.Group.Length == 0 ? "\"\" (core)" : kind.Group;
                var why = ex.StatusCode == HttpStatusCode.Forbidden
                    ? $"the audit may not list {name} (RBAC must allow 'list' on '{name}' in API group {group}), which hold the params of ValidatingAdmissionPolicies with paramKind {kind}"
                    : $"listing the params of kind {kind} failed ({ex.Message})";
                log.Warning($"Context '{inputs.Context}': {why}; the bindings that use them are reported Unknown.");
                set = new ParamSet(kind, ParamKindState.Unreadable, namespaced, $"{char.ToUpperInvariant(why[0])}{why[1..]}");
            }

            inputs.Params[kind.Key] = set;
        }
    }

    /// <summary>
    /// Live: the version, discovery and the namespaces together; then one paged list per kind the server serves, all
    /// at once (the client bounds how many are in flight); then the params and the kyverno ConfigMap, which depend on
    /// what those lists found. What the lists add is merged in a fixed order, so concurrency changes no result.
    /// </summary>
    public static async Task<PolicyInputs> FromClusterAsync(ClusterSession session, NamespacePolicyQuery query, IEngineLog log, CancellationToken cancellationToken)
    {
        var api = session.Api;
        var lister = new PagedLister(api, log);
        var inputs = new PolicyInputs { Live = true, Context = session.Context };
        var versionTask = session.GetServerVersionAsync(cancellationToken);
        var servedTask = DiscoverAsync(api, log, cancellationToken);

        // Namespaces: the one list that must succeed.
        var namespacesTask = Task.Run(
            async () =>
            {
                var namespaces = new List<NamespaceInfo>();
                var request = new ApiRequest(HttpMethod.Get, "/api/v1/namespaces", "ListNamespaces", "list", "namespaces");
                await foreach (var item in lister.ListAsync(request, query.PageSize, null, cancellationToken).ConfigureAwait(false))
                {
                    namespaces.Add(NamespaceInfo.From(item.Clone(), null));
                }

                return namespaces;
            },
            cancellationToken);
        await Concurrent.WhenAllAsync(versionTask, servedTask, namespacesTask).ConfigureAwait(false);

        var version = await versionTask.ConfigureAwait(false);
        inputs.ServerVersion = version;
        inputs.ServerMinor = ParseMinor(version);
        var served = await servedTask.ConfigureAwait(false);
        inputs.ServedGroups = new HashSet<string>(served.Keys.Select(k => k.Group), StringComparer.Ordinal);
        inputs.Namespaces.AddRange(await namespacesTask.ConfigureAwait(false));

        var lists = new List<Task<KindList>>();
        foreach (var kind in PolicyKinds.All)
        {
            var groupVersion = kind.Versions.FirstOrDefault(v => served.TryGetValue((kind.Group, v), out var resources) && resources.Contains(kind.Resource));
            if (groupVersion is not null)
            {
                lists.Add(ListKindAsync(inputs.Context, lister, kind.Engine, kind.Group, groupVersion, kind.Resource, kind.Kind, query.PageSize, log, cancellationToken));
            }
        }

        // Gatekeeper constraint kinds are whatever the templates created: discovered, one list each.
        var constraintVersion = new[] { "v1beta1", "v1", "v1alpha1" }.FirstOrDefault(v => served.ContainsKey((PolicyKinds.ConstraintsGroup, v)));
        if (constraintVersion is not null)
        {
            foreach (var resource in served[(PolicyKinds.ConstraintsGroup, constraintVersion)].Where(r => !r.Contains('/', StringComparison.Ordinal)).OrderBy(r => r, StringComparer.Ordinal))
            {
                lists.Add(ListKindAsync(inputs.Context, lister, PolicyEngine.Gatekeeper, PolicyKinds.ConstraintsGroup, constraintVersion, resource, resource, query.PageSize, log, cancellationToken));
            }
        }

        await Concurrent.WhenAllAsync(lists.ToArray()).ConfigureAwait(false);
        foreach (var list in lists)
        {
            var (objects, unreadable) = await list.ConfigureAwait(false);
            foreach (var obj in objects)
            {
                inputs.Add(obj);
            }

            if (unreadable is not null)
            {
                inputs.Unreadable.Add(unreadable);
            }
        }

        inputs.WebhooksKnown = !inputs.Unreadable.Any(u => u.Resource == "validatingwebhookconfigurations");
        var paramsTask = ReadParamsAsync(inputs, api, lister, query.PageSize, log, cancellationToken);
        var configMapTask = inputs.ServedGroups.Contains("kyverno.io") || inputs.ServedGroups.Contains("policies.kyverno.io")
            ? ReadKyvernoConfigMapAsync(inputs, api, log, cancellationToken)
            : Task.CompletedTask;
        await Concurrent.WhenAllAsync(paramsTask, configMapTask).ConfigureAwait(false);
        return inputs;
    }

    private static async Task<KindList> ListKindAsync(string context, PagedLister lister, PolicyEngine engine, string group, string version, string resource, string kind, int pageSize, IEngineLog log, CancellationToken cancellationToken)
    {
        var operation = "List" + CultureInfo.InvariantCulture.TextInfo.ToTitleCase(resource);
        var request = new ApiRequest(HttpMethod.Get, $"/apis/{group}/{version}/{resource}", operation, "list", resource + "." + group);
        var objects = new List<PolicyObject>();
        try
        {
            await foreach (var item in lister.ListAsync(request, pageSize, null, cancellationToken).ConfigureAwait(false))
            {
                var obj = item.Clone();
                objects.Add(new PolicyObject(WithTypeMeta(obj, group + "/" + version, kind), null));
            }

            log.Verbose($"{context}: {objects.Count} {resource}.{group}.");
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            log.Debug($"{context}: {resource}.{group}/{version} disappeared after discovery.");
        }
        catch (KubeApiException ex) when (ex.StatusCode is not null && ex.ErrorId is not "Unauthorized")
        {
            var why = ex.StatusCode == HttpStatusCode.Forbidden
                ? $"the audit may not list {resource}.{group} (RBAC must allow 'list' on '{resource}' in API group '{group}')"
                : $"listing {resource}.{group} failed ({ex.Message})";
            log.Warning($"Context '{context}': {why}; every namespace those objects could affect is reported Unknown unless another mechanism decides it.");
            return new KindList(Array.Empty<PolicyObject>(), new UnreadableKind(engine, kind, resource, group, $"{char.ToUpperInvariant(why[0])}{why[1..]}, so whether one of them refuses hostNetwork pods here is unknown."));
        }

        return new KindList(objects, null);
    }

    /// <summary>Items of a typed list carry no kind/apiVersion: add them so evaluators see what they are.</summary>
    private static JsonElement WithTypeMeta(JsonElement obj, string apiVersion, string kind)
    {
        if (obj.Get("kind").Exists() && obj.Get("apiVersion").Exists())
        {
            return obj;
        }

        var node = System.Text.Json.Nodes.JsonNode.Parse(obj.GetRawText())!.AsObject();
        node["apiVersion"] ??= apiVersion;
        node["kind"] ??= kind;
        return JsonSerializer.SerializeToElement(node);
    }

    private static async Task ReadKyvernoConfigMapAsync(PolicyInputs inputs, KubeApiClient api, IEngineLog log, CancellationToken cancellationToken)
    {
        // Kyverno's namespace is where its webhook service lives; "kyverno" by default.
        var ns = inputs.Of("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")
            .Where(w => w.Name.StartsWith("kyverno-resource-validating-webhook-cfg", StringComparison.Ordinal))
            .SelectMany(w => w.Object.Get("webhooks").Items())
            .Select(h => h.Get("clientConfig", "service", "namespace").AsString())
            .FirstOrDefault(n => n is not null) ?? "kyverno";
        var request = new ApiRequest(HttpMethod.Get, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/configmaps/kyverno", "GetConfigMap", "get", "configmaps", ns, "kyverno");
        try
        {
            using var document = await api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
            inputs.KyvernoConfigMap = new PolicyObject(document.RootElement.Clone(), null);
            inputs.KyvernoConfigMapState = ConfigMapState.Found;
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            inputs.KyvernoConfigMapState = ConfigMapState.NotFound;
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
        {
            log.Warning($"Context '{inputs.Context}': the kyverno ConfigMap in '{ns}' cannot be read (RBAC must allow 'get' on 'configmaps' there); Kyverno's default resource filters (which skip kube-system, kube-public, kube-node-lease and Kyverno's namespace) are assumed.");
        }
    }

    /// <summary>
    /// What /apis is asked for: aggregated discovery (every group's versions and resources in one answer, GA in 1.30,
    /// beta from 1.27), else the legacy group list. kubectl asks the same way.
    /// </summary>
    private const string DiscoveryAccept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

    /// <summary>
    /// The policy groups' served versions and their resources. One GET /apis where the server answers with aggregated
    /// discovery, which saves the audit a round trip; else the legacy group list, then each relevant group/version's
    /// resource list, all at once.
    /// </summary>
    private static async Task<Dictionary<(string Group, string Version), HashSet<string>>> DiscoverAsync(KubeApiClient api, IEngineLog log, CancellationToken cancellationToken)
    {
        static bool Wanted((string Group, string Version) key) =>
            key.Group == PolicyKinds.ConstraintsGroup || PolicyKinds.All.Any(k => k.Group == key.Group && k.Versions.Contains(key.Version));

        var served = new Dictionary<(string Group, string Version), HashSet<string>>();
        var legacy = new List<(string Group, string Version)>();
        using (var groups = await api.SendJsonAsync(new ApiRequest(HttpMethod.Get, "/apis", "Discovery", "get", "apis") { Accept = DiscoveryAccept }, cancellationToken).ConfigureAwait(false))
        {
            var aggregated = groups.RootElement.Get("kind").AsString() == "APIGroupDiscoveryList";
            foreach (var group in groups.RootElement.Get(aggregated ? "items" : "groups").Items())
            {
                var name = (aggregated ? group.Get("metadata", "name") : group.Get("name")).AsString();
                if (name is null || !PolicyGroups.Contains(name))
                {
                    continue;
                }

                foreach (var version in group.Get("versions").Items())
                {
                    if (version.Get("version").AsString() is not { } v || !Wanted((name, v)))
                    {
                        continue;
                    }

                    if (!aggregated)
                    {
                        legacy.Add((name, v));
                    }
                    else if (version.Get("freshness").AsString() == "Stale")
                    {
                        // An aggregated API whose discovery failed: as the legacy list's 503, not served.
                        log.Debug($"Discovery of {name}/{v} is stale.");
                    }
                    else
                    {
                        served[(name, v)] = new HashSet<string>(version.Get("resources").Items().Select(r => r.Get("resource").AsString()).OfType<string>(), StringComparer.Ordinal);
                    }
                }
            }
        }

        // Legacy: each group/version's resources, all at once: one round trip, whatever the number of groups.
        async Task<HashSet<string>?> ResourcesAsync((string Group, string Version) key)
        {
            try
            {
                using var list = await api.SendJsonAsync(new ApiRequest(HttpMethod.Get, $"/apis/{key.Group}/{key.Version}", "Discovery", "get", key.Group), cancellationToken).ConfigureAwait(false);
                return new HashSet<string>(list.RootElement.Get("resources").Items().Select(r => r.Get("name").AsString()).OfType<string>(), StringComparer.Ordinal);
            }
            catch (KubeApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable)
            {
                log.Debug($"Discovery of {key.Group}/{key.Version} failed: {ex.Message}");
                return null;
            }
        }

        var lookups = legacy.Select(ResourcesAsync).ToArray();
        await Concurrent.WhenAllAsync(lookups).ConfigureAwait(false);
        for (var i = 0; i < legacy.Count; i++)
        {
            if (await lookups[i].ConfigureAwait(false) is { } resources)
            {
                served[legacy[i]] = resources;
            }
        }

        return served;
    }

    /// <summary>What one kind's list added: its objects, or why it could not be read.</summary>
    private readonly record struct KindList(IReadOnlyList<PolicyObject> Objects, UnreadableKind? Unreadable);

    private static int? ParseMinor(string? version)
    {
        if (version is null)
        {
            return null;
        }

        var parts = version.TrimStart('v').Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        var digits = new string(parts[1].TakeWhile(char.IsDigit).ToArray());
        return int.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out var minor) ? minor : null;
    }
}

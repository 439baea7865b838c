using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Auth;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Simulator.Store;
using Microsoft.AspNetCore.Http;

namespace HostNetAudit.Simulator;

/// <summary>
/// The simulated Kubernetes API server's behaviour, independent of hosting: discovery, lists with
/// paging and selectors, get, create, update, patch (JSON, merge, server-side apply), delete, dry-run,
/// managedFields, Pod Security Admission, ValidatingAdmissionPolicies, declared admission of other engines,
/// bearer-token and client-certificate authentication, impersonation, RBAC (deny rules, or the simulator's
/// own authorizer), SubjectAccessReviews, CustomResourceDefinitions, latency, fault injection and a request log.
/// </summary>
public sealed partial class SimCluster
{
    private static readonly JsonSerializerOptions AdminJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public SimCluster(Scenario scenario, SimulatorOptions? options = null)
    {
        Scenario = scenario;
        Options = options ?? new SimulatorOptions();
        Access.AddToken(Options.Token, Options.User);
        Access.AddToken(Options.AdminToken, Options.AdminUser, new[] { UserInfo.Masters });
        foreach (var definition in ResourceCatalog.All.Where(d => d.BuiltIn && d.ServedIn(MinorVersion)))
        {
            Store.Register(definition);
        }

        if (Options.BootstrapRbac)
        {
            foreach (var obj in RbacBootstrap.Objects())
            {
                AddObject(obj);
            }
        }

        foreach (var path in Options.CustomResourceDefinitionPaths)
        {
            foreach (var crd in CustomResources.ReadDefinitions(path))
            {
                AddObject(crd);
            }
        }

        foreach (var obj in scenario.Objects)
        {
            AddObject((JsonObject)obj.DeepClone());
        }

        foreach (var bulk in scenario.Bulk)
        {
            var definition = ResourceCatalog.ForKind(bulk.ApiVersion, bulk.Kind) ?? throw new ArgumentException($"the simulator does not serve {bulk.ApiVersion} {bulk.Kind}");
            Store.PutBytes(definition, bulk.Items);
        }

        Admission.AddRange(scenario.Admission);
        WriteMissingPolicyStatuses();
    }

    public Scenario Scenario { get; }

    public SimulatorOptions Options { get; }

    public ObjectStore Store { get; } = new();

    public RequestLog Requests { get; } = new();

    public FaultInjector Faults { get; } = new();

    public AccessControl Access { get; } = new();

    public List<DeclaredAdmission> Admission { get; } = new();

    /// <summary>Reads the user (CN) and groups (O) a TLS client certificate names (set by the host that terminates TLS).</summary>
    public Func<System.Security.Cryptography.X509Certificates.X509Certificate2?, UserInfo?>? ClientCertificateUser { get; set; }

    /// <summary>Minor version of the emulated Kubernetes (31 for v1.31.4).</summary>
    public int MinorVersion => int.TryParse(Scenario.ServerVersion.TrimStart('v').Split('.').ElementAtOrDefault(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var minor) ? minor : 31;

    /// <summary>
    /// Stores an object (no admission), registering its resource. An object of an API version this Kubernetes
    /// version does not serve is stored under the version it serves (admissionregistration.k8s.io/v1beta1 on
    /// 1.28), or left out when it serves none, as such a cluster could not hold it (null).
    /// </summary>
    public StoredObject? AddObject(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var apiVersion = obj["apiVersion"]?.GetValue<string>() ?? "v1";
        var kind = obj["kind"]?.GetValue<string>() ?? throw new ArgumentException("object without kind");
        var definition = DefinitionFor(apiVersion, kind) ?? throw new ArgumentException($"the simulator does not serve {apiVersion} {kind}");
        if (!definition.ServedIn(MinorVersion))
        {
            var served = ResourceCatalog.All.FirstOrDefault(d => d.Group == definition.Group && d.Kind == definition.Kind && d.ServedIn(MinorVersion));
            if (served is null)
            {
                return null;
            }

            definition = served;
            obj["apiVersion"] = served.GroupVersion;
        }

        if (definition.Kind == "ConstraintTemplate")
        {
            // A template makes its constraint kind servable, as Gatekeeper creates the CRD.
            var constraintKind = obj["spec"]?["crd"]?["spec"]?["names"]?["kind"]?.GetValue<string>();
            if (constraintKind is not null)
            {
                Store.Register(ResourceCatalog.ConstraintResource(constraintKind));
            }
        }

        if (definition.Namespaced && obj["metadata"]?["namespace"] is null && obj["metadata"] is JsonObject metadata)
        {
            metadata["namespace"] = "default";
        }

        if (definition.TracksGeneration && obj["metadata"] is JsonObject meta && meta["generation"] is null)
        {
            meta["generation"] = 1;
        }

        var stored = Store.Put(definition, obj, keepResourceVersion: true);
        AfterWrite(definition, null, stored.Node);
        return stored;
    }

    /// <summary>The resource of a kind: a registered one (CRDs included), else the catalog's.</summary>
    public ResourceDefinition? DefinitionFor(string apiVersion, string kind) =>
        Store.Definitions.FirstOrDefault(d => d.GroupVersion == apiVersion && d.Kind == kind) ?? ResourceCatalog.ForKind(apiVersion, kind);

    /// <summary>Handles one HTTP request.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith("/_sim", StringComparison.Ordinal))
        {
            await HandleAdminAsync(context, path).ConfigureAwait(false);
            return;
        }

        var query = context.Request.Query;
        var record = Requests.Start(context.Request.Method, path, context.Request.QueryString.Value ?? string.Empty, context.Request.ContentType);
        var route = Route.Parse(context.Request.Method, path, query.ContainsKey("watch") && query["watch"] == "true");
        record.Verb = route.Verb;
        record.Group = route.Group;
        record.Resource = route.Resource;
        record.Namespace = route.Namespace;
        record.Name = route.Name;
        record.Subresource = route.Subresource;
        record.DryRun = query["dryRun"] == "All";
        record.UserAgent = context.Request.Headers.UserAgent.ToString();
        record.Host = context.Request.Host.Value;
        var sni = context.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>()?.HostName;
        record.TlsServerName = string.IsNullOrEmpty(sni) ? null : sni;
        if (context.Request.Method is "POST" or "PATCH" or "PUT" or "DELETE")
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            record.Body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var logged = false;
        try
        {
            var response = await ProcessAsync(context, record, route).ConfigureAwait(false);
            if (response is null)
            {
                return; // aborted
            }

            record.Status = response.Status;
            record.ResponseBytes = response.Body.Length;
            context.Response.StatusCode = response.Status;
            context.Response.ContentType = response.ContentType;
            foreach (var warning in response.Warnings)
            {
                context.Response.Headers.Append("Warning", "299 - \"" + warning.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
            }

            if (response.RetryAfterSeconds > 0)
            {
                context.Response.Headers.RetryAfter = response.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            }

            context.Response.ContentLength = response.Body.Length;

            // Logged before the answer leaves, so a client that has its answer finds the request in the log.
            Requests.Add(record);
            logged = true;
            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            if (!logged)
            {
                Requests.Add(record);
            }
        }
    }

    private async Task<SimResponse?> ProcessAsync(HttpContext context, RequestRecord record, Route route)
    {
        if (Options.LatencyMilliseconds > 0)
        {
            await Task.Delay(Options.LatencyMilliseconds, context.RequestAborted).ConfigureAwait(false);
        }

        var authenticated = Access.Authenticate(context.Request.Headers.Authorization.ToString())
            ?? ClientCertificateUser?.Invoke(context.Connection.ClientCertificate);
        if (authenticated is null)
        {
            return SimResponse.Json(401, Status.Unauthorized());
        }

        var (user, impersonationRefusal) = Impersonate(context.Request, authenticated);
        if (impersonationRefusal is not null)
        {
            record.User = authenticated.Name;
            return impersonationRefusal;
        }

        record.User = user.Name;
        record.Groups = user.Groups;
        record.ImpersonatedBy = ReferenceEquals(user, authenticated) ? null : authenticated.Name;
        var hasContinue = !string.IsNullOrEmpty(context.Request.Query["continue"]);
        foreach (var fault in Faults.Match(context.Request.Method, record.Path, route.Verb, route.Resource, hasContinue))
        {
            record.Fault = fault.Describe();
            switch (fault.Kind)
            {
                case FaultKind.Latency:
                    await Task.Delay(fault.LatencyMilliseconds, context.RequestAborted).ConfigureAwait(false);
                    record.Fault = null;
                    continue;
                case FaultKind.Reset:
                    record.Status = 0;
                    context.Abort();
                    return null;
                case FaultKind.Expired:
                    var fresh = hasContinue && ContinueToken.TryDecode(context.Request.Query["continue"]!, out _, out var start)
                        ? ContinueToken.Encode(Store.ResourceVersion, start)
                        : string.Empty;
                    return SimResponse.Json(410, Status.Expired(fresh));
                case FaultKind.Body:
                    return new SimResponse(fault.StatusCode, "application/json", Encoding.UTF8.GetBytes(fault.Body ?? string.Empty));
                default:
                    if (fault.StatusCode == 429)
                    {
                        // The apiserver's max-in-flight and APF filters answer in plain text.
                        return new SimResponse(429, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes("Too many requests, please try again later.\n"))
                        {
                            RetryAfterSeconds = fault.RetryAfterSeconds > 0 ? fault.RetryAfterSeconds : 1,
                        };
                    }

                    return SimResponse.Json(fault.StatusCode, Status.Failure(fault.StatusCode, fault.StatusCode >= 500 ? "InternalError" : "BadRequest", $"injected fault {fault.StatusCode}"), fault.RetryAfterSeconds);
            }
        }

        if (route.Kind != RouteKind.Resource && Options.EnforceRbac)
        {
            var nonResource = new AuthorizationAttributes(user, "get", ResourceRequest: false, Path: record.Path);
            if (!Authorize(nonResource, requireRbac: true).Allowed)
            {
                return SimResponse.Json(403, Status.Forbidden(nonResource, string.Empty));
            }
        }

        switch (route.Kind)
        {
            case RouteKind.Version:
                return SimResponse.Json(200, VersionInfo());
            case RouteKind.CoreVersions:
                return SimResponse.Json(200, new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1:6443" }) });
            case RouteKind.Groups:
                return AggregatedDiscoveryVersion(context.Request.Headers.Accept.ToString()) is { } discovery
                    ? new SimResponse(200, $"application/json;g=apidiscovery.k8s.io;v={discovery};as=APIGroupDiscoveryList", JsonSerializer.SerializeToUtf8Bytes(GroupDiscoveryList(discovery)))
                    : SimResponse.Json(200, GroupList());
            case RouteKind.GroupVersion:
                var resources = ResourceList(route.Group!, route.Version!);
                return resources is null ? SimResponse.NotFoundPage() : SimResponse.Json(200, resources);
            case RouteKind.Resource:
                break;
            default:
                return SimResponse.NotFoundPage();
        }

        var definition = Store.Definitions.FirstOrDefault(d => d.Group == route.Group && d.Version == route.Version && d.Resource == route.Resource);
        if (definition is null || !IsServed(definition))
        {
            return Store.Definitions.Any(d => d.Group == route.Group && d.Version == route.Version) || route.Group!.Length == 0
                ? SimResponse.Json(404, Status.Failure(404, "NotFound", "the server could not find the requested resource"))
                : SimResponse.NotFoundPage();
        }

        if ((!definition.Namespaced && route.Namespace is not null) || (route.Subresource is not null && !definition.Subresources.Contains(route.Subresource)))
        {
            return SimResponse.NotFoundPage();
        }

        // As the apiserver's request info has it, a namespace object is in its own namespace (a RoleBinding there can grant get on it).
        var attributeNamespace = IsNamespaceResource(definition) ? route.Name ?? string.Empty : route.Namespace ?? string.Empty;
        var attributes = new AuthorizationAttributes(user, route.Verb!, true, definition.Group, definition.Version, definition.Resource, route.Subresource ?? string.Empty, attributeNamespace, route.Name ?? string.Empty);
        var decision = Authorize(attributes, Options.EnforceRbac);
        if (!decision.Allowed)
        {
            return SimResponse.Json(403, Status.Forbidden(attributes, decision.Reason));
        }

        var request = new WriteRequest(context, record, definition, route, user);
        return route.Verb switch
        {
            "list" when route.Subresource is null => List(context, definition, route),
            "get" => Get(definition, route),
            "patch" => Patch(request),
            "update" => Update(request),
            "create" when route.Subresource is null => Create(request),
            "delete" when route.Subresource is null => Delete(request),
            _ => SimResponse.Json(405, Status.Failure(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource")),
        };
    }

    private static bool IsNamespaceResource(ResourceDefinition definition) => definition.Group.Length == 0 && definition.Resource == "namespaces";

    private JsonObject VersionInfo()
    {
        var version = Scenario.ServerVersion;
        var parts = version.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = parts.ElementAtOrDefault(0) ?? "1",
            ["minor"] = parts.ElementAtOrDefault(1) ?? "31",
            ["gitVersion"] = version,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.24.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    private IEnumerable<ResourceDefinition> Served() =>
        Store.Definitions.Where(IsServed);

    private bool IsServed(ResourceDefinition d) => d.BuiltIn || d.FromCustomResourceDefinition || Store.HasObjects(d) || Scenario.Served.Contains(d.Key);

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in Served().Where(d => d.Group.Length > 0).GroupBy(d => d.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var versions = new JsonArray();
            foreach (var version in group.Select(d => d.Version).Distinct())
            {
                versions.Add(new JsonObject { ["groupVersion"] = group.Key + "/" + version, ["version"] = version });
            }

            var preferred = group.First().Version;
            groups.Add(new JsonObject
            {
                ["name"] = group.Key,
                ["versions"] = versions,
                ["preferredVersion"] = new JsonObject { ["groupVersion"] = group.Key + "/" + preferred, ["version"] = preferred },
            });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    /// <summary>
    /// The aggregated discovery version to answer /apis with, if the client asked for one the server serves (v2 from
    /// 1.30, v2beta1 from 1.27 until its removal in 1.33), in the client's order; null: the legacy APIGroupList.
    /// </summary>
    private string? AggregatedDiscoveryVersion(string accept)
    {
        if (!Options.AggregatedDiscovery)
        {
            return null;
        }

        var parts = Scenario.ServerVersion.TrimStart('v').Split('.');
        var minor = parts.Length > 1 && int.TryParse(parts[1], out var m) ? m : 31;
        foreach (var type in accept.Split(',', StringSplitOptions.TrimEntries))
        {
            var parameters = type.Split(';', StringSplitOptions.TrimEntries);
            if (!parameters.Contains("g=apidiscovery.k8s.io") || !parameters.Contains("as=APIGroupDiscoveryList"))
            {
                continue;
            }

            if (parameters.Contains("v=v2") && minor >= 30)
            {
                return "v2";
            }

            if (parameters.Contains("v=v2beta1") && minor is >= 27 and < 33)
            {
                return "v2beta1";
            }
        }

        return null;
    }

    /// <summary>Every served group with its versions and their resources in one answer (APIGroupDiscoveryList).</summary>
    private JsonObject GroupDiscoveryList(string version)
    {
        var items = new JsonArray();
        foreach (var group in Served().Where(d => d.Group.Length > 0).GroupBy(d => d.Group).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var versions = new JsonArray();
            foreach (var byVersion in group.GroupBy(d => d.Version))
            {
                var resources = new JsonArray();
                foreach (var d in byVersion)
                {
                    resources.Add(new JsonObject
                    {
                        ["resource"] = d.Resource,
                        ["responseKind"] = new JsonObject { ["group"] = d.Group, ["version"] = d.Version, ["kind"] = d.Kind },
                        ["scope"] = d.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = d.Kind.ToLowerInvariant(),
                        ["verbs"] = new JsonArray(d.Verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                        ["subresources"] = new JsonArray(d.Subresources.Select(sub => (JsonNode?)new JsonObject { ["subresource"] = sub, ["verbs"] = new JsonArray("get", "patch", "update") }).ToArray()),
                    });
                }

                versions.Add(new JsonObject { ["version"] = byVersion.Key, ["resources"] = resources, ["freshness"] = "Current" });
            }

            items.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = group.Key }, ["versions"] = versions });
        }

        return new JsonObject { ["kind"] = "APIGroupDiscoveryList", ["apiVersion"] = "apidiscovery.k8s.io/" + version, ["metadata"] = new JsonObject(), ["items"] = items };
    }

    private JsonObject? ResourceList(string group, string version)
    {
        var definitions = Served().Where(d => d.Group == group && d.Version == version).ToList();
        if (definitions.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var d in definitions)
        {
            resources.Add(new JsonObject
            {
                ["name"] = d.Resource,
                ["singularName"] = d.Kind.ToLowerInvariant(),
                ["namespaced"] = d.Namespaced,
                ["kind"] = d.Kind,
                ["verbs"] = new JsonArray(d.Verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            });
            foreach (var subresource in d.Subresources)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = d.Resource + "/" + subresource,
                    ["singularName"] = string.Empty,
                    ["namespaced"] = d.Namespaced,
                    ["kind"] = d.Kind,
                    ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : group + "/" + version,
            ["resources"] = resources,
        };
    }

    private SimResponse List(HttpContext context, ResourceDefinition definition, Route route)
    {
        var query = context.Request.Query;
        FieldSelector fields;
        LabelSelector labels;
        try
        {
            fields = FieldSelector.Parse(query["fieldSelector"]);
            labels = LabelSelector.Parse(query["labelSelector"]);
        }
        catch (FormatException ex)
        {
            return SimResponse.Json(400, Status.BadRequest(ex.Message));
        }

        foreach (var field in fields.Fields)
        {
            var supported = definition.FieldSelectors.Contains(field) && (field != "spec.hostNetwork" || Options.HostNetworkFieldSelector);
            if (!supported)
            {
                return SimResponse.Json(400, Status.BadRequest($"field label not supported: {field}"));
            }
        }

        var limit = int.TryParse(query["limit"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l > 0 ? Math.Min(l, Options.MaxLimit) : int.MaxValue;
        var startKey = string.Empty;
        var listVersion = Store.ResourceVersion;
        var continueText = query["continue"].ToString();
        if (!string.IsNullOrEmpty(continueText))
        {
            if (!ContinueToken.TryDecode(continueText, out listVersion, out startKey))
            {
                return SimResponse.Json(400, Status.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"));
            }
        }

        var snapshot = Store.Snapshot(definition);
        var index = LowerBound(snapshot, startKey.Length == 0 ? (route.Namespace is null ? string.Empty : route.Namespace + "/") : startKey + "\u0000");
        var selectors = !fields.IsEmpty || !labels.IsEmpty;
        var items = new List<byte[]>();
        var scanned = 0;
        string? lastKey = null;
        for (; index < snapshot.Length; index++)
        {
            var obj = snapshot[index];
            if (route.Namespace is not null && obj.Namespace != route.Namespace)
            {
                break; // sorted by namespace: the namespace's range has ended
            }

            if (items.Count >= limit || (selectors && Options.PageScanLimit is { } cap && scanned >= cap))
            {
                break;
            }

            scanned++;
            lastKey = obj.Key;
            if ((!fields.IsEmpty && !fields.Matches(obj)) || (!labels.IsEmpty && !labels.Matches(obj.Labels)))
            {
                continue;
            }

            items.Add(obj.Bytes);
        }

        var more = index < snapshot.Length && (route.Namespace is null || snapshot[index].Namespace == route.Namespace);
        var metadata = new StringBuilder();
        metadata.Append("{\"resourceVersion\":\"").Append(listVersion.ToString(CultureInfo.InvariantCulture)).Append('"');
        if (more && lastKey is not null)
        {
            metadata.Append(",\"continue\":\"").Append(ContinueToken.Encode(listVersion, lastKey)).Append('"');
            if (!selectors)
            {
                var remaining = 0;
                for (var i = index; i < snapshot.Length && (route.Namespace is null || snapshot[i].Namespace == route.Namespace); i++)
                {
                    remaining++;
                }

                metadata.Append(",\"remainingItemCount\":").Append(remaining.ToString(CultureInfo.InvariantCulture));
            }
        }

        metadata.Append('}');
        using var body = new MemoryStream();
        var head = Encoding.UTF8.GetBytes($"{{\"kind\":\"{definition.ListKind}\",\"apiVersion\":\"{definition.GroupVersion}\",\"metadata\":{metadata},\"items\":[");
        body.Write(head);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                body.WriteByte((byte)',');
            }

            body.Write(items[i]);
        }

        body.Write("]}"u8);
        return new SimResponse(200, "application/json", body.ToArray());
    }

    private static int LowerBound(StoredObject[] snapshot, string key)
    {
        int low = 0, high = snapshot.Length;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (string.CompareOrdinal(snapshot[mid].Key, key) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private SimResponse Get(ResourceDefinition definition, Route route)
    {
        var stored = Store.Get(definition, route.Namespace, route.Name!);
        return stored is null
            ? SimResponse.Json(404, Status.NotFound(definition.Resource, definition.Group, route.Name!))
            : new SimResponse(200, "application/json", stored.Bytes);
    }

    private static JsonObject? ParseBody(RequestRecord record) =>
        string.IsNullOrWhiteSpace(record.Body) ? null : JsonNode.Parse(record.Body) as JsonObject;

    /// <summary>A response before it is written.</summary>
    private sealed class SimResponse
    {
        public SimResponse(int status, string contentType, byte[] body)
        {
            Status = status;
            ContentType = contentType;
            Body = body;
        }

        public int Status { get; }

        public string ContentType { get; }

        public byte[] Body { get; }

        public List<string> Warnings { get; } = new();

        public int RetryAfterSeconds { get; init; }

        public static SimResponse Json(int status, JsonNode body, int retryAfter = 0) =>
            new(status, "application/json", JsonSerializer.SerializeToUtf8Bytes(body)) { RetryAfterSeconds = retryAfter };

        public static SimResponse NotFoundPage() => new(404, "text/plain; charset=utf-8", "404 page not found\n"u8.ToArray());
    }
}

using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;

namespace HostNetAudit.Engine.Remediation;

/// <summary>Which of the two object kinds: their resources, as the API and RBAC name them.</summary>
internal enum PolicyObjectKind
{
    Policy,
    Binding,
}

/// <summary>
/// The requests on ValidatingAdmissionPolicies and their bindings that Set-, Remove- and Restore-HostNetworkPolicy
/// send: discovery of the served version, get, server-side apply (with the module's field manager), JSON patch with a
/// resourceVersion test, and delete with uid and resourceVersion preconditions; each optionally a dry run. Every
/// write names its object, so a role whose resourceNames pin the module's object names allows all of them.
/// </summary>
internal sealed class PolicyObjects
{
    /// <summary>The field manager of the module's server-side applies.</summary>
    public const string FieldManager = "hostnetaudit";

    public const string Group = "admissionregistration.k8s.io";

    private readonly KubeApiClient api;

    public PolicyObjects(KubeApiClient api, string version)
    {
        this.api = api;
        Version = version;
    }

    /// <summary>v1 or v1beta1.</summary>
    public string Version { get; }

    public string ApiVersion => Group + "/" + Version;

    public static string Resource(PolicyObjectKind kind) => kind == PolicyObjectKind.Policy ? "validatingadmissionpolicies" : "validatingadmissionpolicybindings";

    public static string KindName(PolicyObjectKind kind) => kind == PolicyObjectKind.Policy ? "ValidatingAdmissionPolicy" : "ValidatingAdmissionPolicyBinding";

    /// <summary>
    /// The version of admissionregistration.k8s.io that serves both kinds, v1 preferred; null when the server has no
    /// ValidatingAdmissionPolicy (before Kubernetes 1.28, or v1beta1 not enabled on 1.28-1.29).
    /// </summary>
    public static async Task<string?> DiscoverVersionAsync(KubeApiClient api, CancellationToken cancellationToken)
    {
        foreach (var version in new[] { "v1", "v1beta1" })
        {
            try
            {
                using var document = await api.SendJsonAsync(new ApiRequest(HttpMethod.Get, $"/apis/{Group}/{version}", "Discovery", "get", "apis"), cancellationToken).ConfigureAwait(false);
                var names = document.RootElement.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array
                    ? resources.EnumerateArray().Select(r => r.TryGetProperty("name", out var n) ? n.GetString() : null).ToHashSet(StringComparer.Ordinal)
                    : new HashSet<string?>();
                if (names.Contains(Resource(PolicyObjectKind.Policy)) && names.Contains(Resource(PolicyObjectKind.Binding)))
                {
                    return version;
                }
            }
            catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }

        return null;
    }

    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(PolicyObjectKind kind, string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await api.SendAsync(Request(HttpMethod.Get, kind, name, "Get", "get"), cancellationToken).ConfigureAwait(false);
            return JsonNode.Parse(response.Body) as JsonObject;
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Server-side apply of <paramref name="desired"/> (force takes over fields another manager owns).</summary>
    public async Task<(JsonObject Result, IReadOnlyList<string> Warnings)> ApplyAsync(PolicyObjectKind kind, JsonObject desired, bool force, bool dryRun, CancellationToken cancellationToken)
    {
        var name = NameOf(desired);
        var body = (JsonObject)desired.DeepClone();
        body["apiVersion"] = ApiVersion;
        body["kind"] = KindName(kind);
        var request = Request(HttpMethod.Patch, kind, name, "Apply", "patch") with
        {
            Body = body.ToJsonString(),
            ContentType = "application/apply-patch+yaml",
        };
        request = request.WithQuery("fieldManager", FieldManager).WithQuery("force", force ? "true" : null).WithQuery("dryRun", dryRun ? "All" : null);
        var response = await api.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return ((JsonObject)JsonNode.Parse(response.Body)!, response.Warnings);
    }

    /// <summary>
    /// Puts the spec, labels and annotations of <paramref name="target"/> on the existing object <paramref name="current"/>
    /// (a JSON patch that first tests its resourceVersion), so a concurrent change is refused, never overwritten.
    /// </summary>
    public async Task<JsonObject> ReplaceAsync(PolicyObjectKind kind, JsonObject current, JsonObject target, bool dryRun, CancellationToken cancellationToken)
    {
        var patch = new JsonArray
        {
            new JsonObject { ["op"] = "test", ["path"] = "/metadata/resourceVersion", ["value"] = ResourceVersion(current) },
        };
        foreach (var (path, field) in new[] { ("/metadata/labels", "labels"), ("/metadata/annotations", "annotations") })
        {
            var wanted = target["metadata"]?[field];
            if (wanted is JsonObject { Count: > 0 })
            {
                patch.Add(new JsonObject { ["op"] = "add", ["path"] = path, ["value"] = wanted.DeepClone() });
            }
            else if (current["metadata"]?[field] is not null)
            {
                patch.Add(new JsonObject { ["op"] = "remove", ["path"] = path });
            }
        }

        patch.Add(new JsonObject { ["op"] = "replace", ["path"] = "/spec", ["value"] = target["spec"]?.DeepClone() ?? new JsonObject() });
        var request = Request(HttpMethod.Patch, kind, NameOf(current), "Patch", "patch") with
        {
            Body = patch.ToJsonString(),
            ContentType = "application/json-patch+json",
        };
        var response = await api.SendAsync(request.WithQuery("dryRun", dryRun ? "All" : null), cancellationToken).ConfigureAwait(false);
        return (JsonObject)JsonNode.Parse(response.Body)!;
    }

    /// <summary>Deletes <paramref name="current"/> with its uid and resourceVersion as preconditions.</summary>
    public async Task DeleteAsync(PolicyObjectKind kind, JsonObject current, bool dryRun, CancellationToken cancellationToken)
    {
        var options = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "DeleteOptions",
            ["preconditions"] = new JsonObject { ["uid"] = Uid(current), ["resourceVersion"] = ResourceVersion(current) },
        };
        if (dryRun)
        {
            options["dryRun"] = new JsonArray("All");
        }

        var request = Request(HttpMethod.Delete, kind, NameOf(current), "Delete", "delete") with { Body = options.ToJsonString() };
        await api.SendAsync(request.WithQuery("dryRun", dryRun ? "All" : null), cancellationToken).ConfigureAwait(false);
    }

    public static string NameOf(JsonObject o) => o["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;

    public static string? Uid(JsonObject o) => o["metadata"]?["uid"]?.GetValue<string>();

    public static string? ResourceVersion(JsonObject o) => o["metadata"]?["resourceVersion"]?.GetValue<string>();

    public static long? Generation(JsonObject o) => o["metadata"]?["generation"] is JsonValue v && v.TryGetValue<long>(out var g) ? g : null;

    public static string? Label(JsonObject o, string key) => o["metadata"]?["labels"]?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>True when the two objects have the same spec, labels and annotations (what a change and its undo are about).</summary>
    public static bool SameContent(JsonObject? a, JsonObject? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return JsonNode.DeepEquals(a["spec"], b["spec"]) &&
               JsonNode.DeepEquals(Empty(a["metadata"]?["labels"]), Empty(b["metadata"]?["labels"])) &&
               JsonNode.DeepEquals(Empty(a["metadata"]?["annotations"]), Empty(b["metadata"]?["annotations"]));

        static JsonNode? Empty(JsonNode? n) => n is JsonObject { Count: 0 } ? null : n;
    }

    /// <summary>The object as the record keeps it: indented JSON text; null for no object.</summary>
    public static string? ToText(JsonObject? o) => o?.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The object a record's text holds; null for none.</summary>
    /// <exception cref="HostNetAuditException">HostNetworkPolicyRecordInvalid.</exception>
    public static JsonObject? FromText(string? text, string what, string target)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            throw new HostNetAuditException("HostNetworkPolicyRecordInvalid", FailureCategory.InvalidData, target, $"The record's {what} is not a JSON object: {ex.Message}", ex);
        }
    }

    /// <summary>The object without what the server sets (uid, resourceVersion, managedFields, status ...): what an apply of it sends.</summary>
    public static JsonObject ForApply(JsonObject o)
    {
        var copy = new JsonObject
        {
            ["apiVersion"] = o["apiVersion"]?.DeepClone(),
            ["kind"] = o["kind"]?.DeepClone(),
        };
        var metadata = new JsonObject { ["name"] = NameOf(o) };
        foreach (var field in new[] { "labels", "annotations" })
        {
            if (o["metadata"]?[field] is JsonObject { Count: > 0 } value)
            {
                metadata[field] = value.DeepClone();
            }
        }

        copy["metadata"] = metadata;
        copy["spec"] = o["spec"]?.DeepClone() ?? new JsonObject();
        return copy;
    }

    private ApiRequest Request(HttpMethod method, PolicyObjectKind kind, string name, string operation, string verb) =>
        new(method, $"/apis/{Group}/{Version}/{Resource(kind)}/{Uri.EscapeDataString(name)}", operation + KindName(kind), verb, Resource(kind), null, name);
}

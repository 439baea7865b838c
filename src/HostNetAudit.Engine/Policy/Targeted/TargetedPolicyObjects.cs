using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Engine.Policy.Targeted;

/// <summary>
/// The targeted policy's two objects, built only from the exceptions, the namespaces left out and the options, so that
/// the audit can rebuild them from what the policy carries (the exceptions annotation and the settings annotation) and
/// compare: <see cref="Build"/> is deterministic, and <see cref="ReadExceptions"/> reads back what it wrote.
/// </summary>
internal static class TargetedPolicyObjects
{
    public const string ApiVersion = "admissionregistration.k8s.io/v1";

    /// <summary>The fixed object names: the policy and its binding (cluster-scoped).</summary>
    public const string PolicyName = "hostnetaudit-hostnetwork";

    public const string BindingName = "hostnetaudit-hostnetwork";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    public const string ManagedByValue = "HostNetAudit";

    /// <summary>The exceptions, machine-readable (JSON list), with justification and expiry.</summary>
    public const string ExceptionsAnnotation = "hostnetaudit.io/exceptions";

    /// <summary>The controller identity the chains accept (Either, ServiceAccounts, ControllerManager).</summary>
    public const string ControllerIdentityAnnotation = "hostnetaudit.io/controller-identity";

    /// <summary>The label the apiserver sets on every namespace, and nobody can change.</summary>
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static (JsonObject Policy, JsonObject Binding) Build(IReadOnlyList<PolicyException> exceptions, IReadOnlyList<string> excludedNamespaces, PolicyValidationAction action, ControllerIdentityMode identity)
    {
        var ordered = Order(exceptions);
        var variables = new JsonArray();
        foreach (var (name, expression) in TargetedPolicyCel.Variables(ordered, identity))
        {
            variables.Add(new JsonObject { ["name"] = name, ["expression"] = expression });
        }

        var policy = new JsonObject
        {
            ["apiVersion"] = ApiVersion,
            ["kind"] = "ValidatingAdmissionPolicy",
            ["metadata"] = new JsonObject
            {
                ["name"] = PolicyName,
                ["labels"] = new JsonObject { [ManagedByLabel] = ManagedByValue },
                ["annotations"] = new JsonObject
                {
                    [ControllerIdentityAnnotation] = identity.ToString(),
                    [ExceptionsAnnotation] = WriteExceptions(ordered),
                },
            },
            ["spec"] = new JsonObject
            {
                ["failurePolicy"] = "Fail",
                ["matchConstraints"] = new JsonObject
                {
                    ["matchPolicy"] = "Equivalent",
                    ["resourceRules"] = new JsonArray
                    {
                        Rule(string.Empty, new[] { "CREATE" }, "pods"),
                        Rule(string.Empty, new[] { "UPDATE" }, "pods/ephemeralcontainers"),
                        Rule("apps", new[] { "CREATE", "UPDATE" }, "daemonsets", "deployments", "replicasets", "statefulsets"),
                        Rule("batch", new[] { "CREATE", "UPDATE" }, "cronjobs", "jobs"),
                        Rule(string.Empty, new[] { "CREATE", "UPDATE" }, "replicationcontrollers"),
                    },
                },
                ["variables"] = variables,
                ["validations"] = new JsonArray
                {
                    Validation(TargetedPolicyCel.HostNetworkValidation, TargetedPolicyCel.HostNetworkMessage),
                    Validation(TargetedPolicyCel.EphemeralValidation, TargetedPolicyCel.EphemeralMessage),
                    Validation(TargetedPolicyCel.ControllerServiceAccountValidation(), TargetedPolicyCel.ControllerServiceAccountMessage),
                },
            },
        };

        var bindingSpec = new JsonObject
        {
            ["policyName"] = PolicyName,
            ["validationActions"] = new JsonArray(action.ToString()),
        };
        var excluded = excludedNamespaces.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (excluded.Count > 0)
        {
            bindingSpec["matchResources"] = new JsonObject
            {
                ["namespaceSelector"] = new JsonObject
                {
                    ["matchExpressions"] = new JsonArray
                    {
                        new JsonObject
                        {
                            ["key"] = NamespaceNameLabel,
                            ["operator"] = "NotIn",
                            ["values"] = new JsonArray(excluded.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                        },
                    },
                },
            };
        }

        var binding = new JsonObject
        {
            ["apiVersion"] = ApiVersion,
            ["kind"] = "ValidatingAdmissionPolicyBinding",
            ["metadata"] = new JsonObject
            {
                ["name"] = BindingName,
                ["labels"] = new JsonObject { [ManagedByLabel] = ManagedByValue },
            },
            ["spec"] = bindingSpec,
        };
        return (policy, binding);
    }

    /// <summary>The canonical order of exceptions (namespace, kind, name), so the same set always gives the same text.</summary>
    public static IReadOnlyList<PolicyException> Order(IEnumerable<PolicyException> exceptions) =>
        exceptions.OrderBy(e => e.Namespace, StringComparer.Ordinal).ThenBy(e => e.Shape).ThenBy(e => e.Kind, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();

    /// <summary>The annotation's text: a compact JSON list, one object per exception.</summary>
    public static string WriteExceptions(IReadOnlyList<PolicyException> exceptions)
    {
        var list = new JsonArray();
        foreach (var e in exceptions)
        {
            var item = new JsonObject
            {
                ["kind"] = e.Shape == ExceptionShape.MirrorPod ? "MirrorPod" : e.Kind,
            };
            if (e.Group is { Length: > 0 } group && e.CreatedBy is not null)
            {
                item["group"] = group;
            }

            item["namespace"] = e.Namespace;
            item["name"] = e.Name;
            if (e.Shape == ExceptionShape.Workload)
            {
                item["serviceAccounts"] = Strings(e.ServiceAccounts);
            }

            if (e.Requesters.Count > 0)
            {
                item["requesters"] = Strings(e.Requesters);
            }

            if (e.Debuggers.Count > 0)
            {
                item["debuggers"] = Strings(e.Debuggers);
            }

            if (e.CreatedBy is not null)
            {
                item["createdBy"] = e.CreatedBy;
            }

            item["justification"] = e.Justification;
            if (e.Expires is { } expires)
            {
                item["expires"] = expires.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            }

            item["entry"] = e.Entry;
            list.Add(item);
        }

        return list.ToJsonString(Compact);
    }

    /// <summary>
    /// The exceptions a policy carries in its annotation, or null when it carries none or they cannot be read (then the
    /// policy is not recognisably the module's and is judged as any other).
    /// </summary>
    public static IReadOnlyList<PolicyException>? ReadExceptions(JsonElement policy)
    {
        if (!policy.TryGetProperty("metadata", out var metadata) || !metadata.TryGetProperty("annotations", out var annotations) ||
            annotations.ValueKind != JsonValueKind.Object || !annotations.TryGetProperty(ExceptionsAnnotation, out var text) || text.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text.GetString()!);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var result = new List<PolicyException>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                var kind = String(item, "kind");
                var ns = String(item, "namespace");
                var name = String(item, "name");
                var justification = String(item, "justification");
                if (kind is null || ns is null || name is null || justification is null)
                {
                    return null;
                }

                var mirror = kind == "MirrorPod";
                DateTimeOffset? expires = String(item, "expires") is { } e && DateTimeOffset.TryParse(e, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
                var createdBy = String(item, "createdBy");
                result.Add(new PolicyException(
                    mirror ? ExceptionShape.MirrorPod : ExceptionShape.Workload,
                    mirror ? "Pod" : kind,
                    String(item, "group") ?? (createdBy is null ? TargetedPolicyCel.GroupOf(mirror ? "Pod" : kind) : string.Empty),
                    ns,
                    name,
                    List(item, "serviceAccounts"),
                    List(item, "requesters"),
                    List(item, "debuggers"),
                    createdBy,
                    justification,
                    expires,
                    String(item, "entry") ?? string.Empty));
            }

            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The controller identity a policy's annotation records (Either when absent or unknown).</summary>
    public static ControllerIdentityMode ReadControllerIdentity(JsonElement policy) =>
        policy.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("annotations", out var annotations) &&
        annotations.ValueKind == JsonValueKind.Object && annotations.TryGetProperty(ControllerIdentityAnnotation, out var value) &&
        value.ValueKind == JsonValueKind.String && Enum.TryParse<ControllerIdentityMode>(value.GetString(), ignoreCase: false, out var mode)
            ? mode
            : ControllerIdentityMode.Either;

    private static JsonObject Rule(string group, string[] operations, params string[] resources) => new()
    {
        ["apiGroups"] = new JsonArray(JsonValue.Create(group)),
        ["apiVersions"] = new JsonArray(JsonValue.Create("v1")),
        ["operations"] = Strings(operations),
        ["resources"] = Strings(resources),
    };

    private static JsonObject Validation(string expression, string message) => new()
    {
        ["expression"] = expression,
        ["message"] = message,
        ["reason"] = "Forbidden",
    };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());

    private static string? String(JsonElement item, string field) =>
        item.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IReadOnlyList<string> List(JsonElement item, string field) =>
        item.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : Array.Empty<string>();
}

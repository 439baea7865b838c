using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Auth;
using HostNetAudit.Simulator.Store;

namespace HostNetAudit.Simulator.Admission;

/// <summary>What admission sees of a request: the attributes a ValidatingAdmissionPolicy matches and reads.</summary>
public sealed record AdmissionRequest(
    string Operation,
    string Group,
    string Version,
    string Resource,
    string Subresource,
    string Kind,
    string Name,
    string Namespace,
    JsonObject? Object,
    JsonObject? OldObject,
    UserInfo User,
    bool DryRun)
{
    /// <summary>The CEL variable request (admission.k8s.io AdmissionRequest, without the objects).</summary>
    public JsonObject ToJson()
    {
        var kind = new JsonObject { ["group"] = Group, ["version"] = Version, ["kind"] = Kind };
        var resource = new JsonObject { ["group"] = Group, ["version"] = Version, ["resource"] = Resource };
        var json = new JsonObject
        {
            ["kind"] = kind,
            ["resource"] = resource,
            ["requestKind"] = kind.DeepClone(),
            ["requestResource"] = resource.DeepClone(),
            ["name"] = Name,
            ["namespace"] = Namespace,
            ["operation"] = Operation,
            ["userInfo"] = User.ToJson(),
            ["dryRun"] = DryRun,
            ["options"] = new JsonObject
            {
                ["kind"] = Operation switch { "CREATE" => "CreateOptions", "UPDATE" => "UpdateOptions", _ => "DeleteOptions" },
                ["apiVersion"] = "meta.k8s.io/v1",
            },
        };
        if (Subresource.Length > 0)
        {
            json["subResource"] = Subresource;
            json["requestSubResource"] = Subresource;
        }

        return json;
    }
}

/// <summary>The decision of one validation (or a configuration error) of a policy, as the apiserver's validator makes it.</summary>
public sealed record PolicyDecision(bool Deny, string Message, string? Reason, int ExpressionIndex);

/// <summary>
/// ValidatingAdmissionPolicy semantics the simulator applies itself, written from the apiserver's documented
/// behaviour: defaulting and validation of the objects, request matching (resource rules with subresource
/// semantics, exclusions, namespace and object selectors, matchPolicy), match conditions, variables, validations
/// with messages and reasons, failure policies, and the policy controller's type checking.
/// </summary>
public static class AdmissionPolicies
{
    public const string Group = "admissionregistration.k8s.io";

    /// <summary>The admission configuration objects no policy applies to (so no policy can lock them).</summary>
    public static bool IsExempt(string group, string kind) =>
        group == Group && kind is "ValidatingWebhookConfiguration" or "MutatingWebhookConfiguration" or "ValidatingAdmissionPolicy"
            or "ValidatingAdmissionPolicyBinding" or "MutatingAdmissionPolicy" or "MutatingAdmissionPolicyBinding";

    /// <summary>
    /// The apiserver's defaulting and validation of policies and bindings; null when valid (other kinds always are).
    /// Defaults: failurePolicy Fail, matchPolicy Equivalent, empty selectors, rule scope "*".
    /// </summary>
    public static JsonObject? DefaultAndValidate(ResourceDefinition definition, string name, JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(obj);
        if (definition.Group != Group || definition.Kind is not ("ValidatingAdmissionPolicy" or "ValidatingAdmissionPolicyBinding"))
        {
            return null;
        }

        var spec = obj["spec"] as JsonObject;
        var errors = new List<string>();
        if (spec is null)
        {
            return Status.Invalid(definition.Kind, name, "spec: Required value", Group);
        }

        if (definition.Kind == "ValidatingAdmissionPolicy")
        {
            spec["failurePolicy"] ??= "Fail";
            if (spec["failurePolicy"]?.ToString() is not ("Fail" or "Ignore"))
            {
                errors.Add($"spec.failurePolicy: Unsupported value: \"{spec["failurePolicy"]}\": supported values: \"Fail\", \"Ignore\"");
            }

            if (spec["matchConstraints"] is JsonObject constraints)
            {
                DefaultMatchResources(constraints);
            }
            else
            {
                errors.Add("spec.matchConstraints: Required value");
            }

            var validations = spec["validations"] as JsonArray ?? new JsonArray();
            if (validations.Count == 0 && (spec["auditAnnotations"] as JsonArray ?? new JsonArray()).Count == 0)
            {
                errors.Add("spec.validations: Required value: validations or auditAnnotations must contain at least one item");
            }

            CheckExpressions(spec["validations"], "spec.validations", "expression", errors);
            CheckExpressions(spec["validations"], "spec.validations", "messageExpression", errors);
            CheckExpressions(spec["matchConditions"], "spec.matchConditions", "expression", errors);
            CheckExpressions(spec["variables"], "spec.variables", "expression", errors);
        }
        else
        {
            if (string.IsNullOrEmpty(spec["policyName"]?.ToString()))
            {
                errors.Add("spec.policyName: Required value");
            }

            var actions = (spec["validationActions"] as JsonArray ?? new JsonArray()).Select(a => a?.ToString() ?? string.Empty).ToList();
            if (actions.Count == 0)
            {
                errors.Add("spec.validationActions: Required value: at least one validation action is required");
            }

            foreach (var action in actions.Where(a => a is not ("Deny" or "Warn" or "Audit")))
            {
                errors.Add($"spec.validationActions: Unsupported value: \"{action}\": supported values: \"Audit\", \"Deny\", \"Warn\"");
            }

            if (actions.Contains("Deny") && actions.Contains("Warn"))
            {
                errors.Add("spec.validationActions: Invalid value: " + new JsonArray(actions.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()).ToJsonString() + ": must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)");
            }

            if (spec["matchResources"] is JsonObject matchResources)
            {
                DefaultMatchResources(matchResources);
            }
        }

        return errors.Count == 0 ? null : Status.Invalid(definition.Kind, name, errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]", Group);
    }

    private static void DefaultMatchResources(JsonObject match)
    {
        match["matchPolicy"] ??= "Equivalent";
        match["namespaceSelector"] ??= new JsonObject();
        match["objectSelector"] ??= new JsonObject();
        foreach (var rules in new[] { match["resourceRules"], match["excludeResourceRules"] })
        {
            foreach (var rule in (rules as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                rule["scope"] ??= "*";
            }
        }
    }

    private static void CheckExpressions(JsonNode? list, string path, string field, List<string> errors)
    {
        var items = list as JsonArray ?? new JsonArray();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i]?[field]?.ToString() is { Length: > 0 } expression && PolicyCel.CompileError(expression) is { } error)
            {
                errors.Add($"{path}[{i}].{field}: Invalid value: \"{expression}\": compilation failed: {error}");
            }
        }
    }

    /// <summary>
    /// Whether a request is in a MatchResources: namespace and object selectors, excluded rules, then resource rules
    /// (none: every resource). <paramref name="namespaceLabels"/> gives a namespace's labels.
    /// </summary>
    public static bool Matches(JsonObject match, AdmissionRequest request, IReadOnlyDictionary<string, string> namespaceLabels, Func<AdmissionRequest, IEnumerable<(string Group, string Version)>> equivalents)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(equivalents);
        var isNamespace = request.Group.Length == 0 && request.Resource == "namespaces";

        // Cluster-scoped requests (other than namespaces themselves) are never exempted by a namespace selector.
        if ((request.Namespace.Length > 0 || isNamespace) && !LabelSelector.FromObject(match["namespaceSelector"]).Matches(namespaceLabels))
        {
            return false;
        }

        // An object selector matches when the new or the old object matches it.
        var objectSelector = LabelSelector.FromObject(match["objectSelector"]);
        if (!objectSelector.IsEmpty && !new[] { request.Object, request.OldObject }.Any(o => o is not null && objectSelector.Matches(LabelSelector.LabelsOf(o))))
        {
            return false;
        }

        var exact = match["matchPolicy"]?.ToString() == "Exact";
        if (RulesMatch(match["excludeResourceRules"], request, exact, equivalents))
        {
            return false;
        }

        return match["resourceRules"] is not JsonArray { Count: > 0 } || RulesMatch(match["resourceRules"], request, exact, equivalents);
    }

    private static bool RulesMatch(JsonNode? rules, AdmissionRequest request, bool exact, Func<AdmissionRequest, IEnumerable<(string Group, string Version)>> equivalents)
    {
        var list = (rules as JsonArray ?? new JsonArray()).OfType<JsonObject>().ToList();
        if (list.Any(r => RuleMatches(r, request, request.Group, request.Version)))
        {
            return true;
        }

        return !exact && equivalents(request).Any(e => list.Any(r => RuleMatches(r, request, e.Group, e.Version)));
    }

    /// <summary>
    /// One rule, as the apiserver's rule matcher reads it: "pods" is the resource alone, "pods/x" one subresource,
    /// "pods/*" the resource and all its subresources, "*" every resource without subresources, "*/*" everything.
    /// </summary>
    private static bool RuleMatches(JsonObject rule, AdmissionRequest request, string group, string version)
    {
        static bool Has(JsonNode? list, string value) => (list as JsonArray ?? new JsonArray()).Any(v => v?.ToString() is "*" || v?.ToString() == value);
        var scope = rule["scope"]?.ToString() ?? "*";
        var isNamespace = request.Group.Length == 0 && request.Resource == "namespaces";
        var scopeMatches = scope switch
        {
            "Namespaced" => !isNamespace && request.Namespace.Length > 0,
            "Cluster" => isNamespace || request.Namespace.Length == 0,
            _ => true,
        };
        if (!scopeMatches || !Has(rule["operations"], request.Operation) || !Has(rule["apiGroups"], group) || !Has(rule["apiVersions"], version))
        {
            return false;
        }

        var resourceMatches = (rule["resources"] as JsonArray ?? new JsonArray()).Any(r =>
        {
            var text = r?.ToString() ?? string.Empty;
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var resource = slash < 0 ? text : text[..slash];
            var subresource = slash < 0 ? string.Empty : text[(slash + 1)..];
            return (resource == "*" || resource == request.Resource) && (subresource == "*" || subresource == request.Subresource);
        });
        var names = (rule["resourceNames"] as JsonArray ?? new JsonArray()).Select(n => n?.ToString()).ToList();
        return resourceMatches && (names.Count == 0 || names.Contains(request.Name));
    }

    /// <summary>
    /// Evaluates a policy for one binding and one parameter object: match conditions (any false: the policy does not
    /// apply; otherwise an error fails by the failure policy), variables (in order; a failed one fails what reads it),
    /// then every validation. Returns the decisions that deny (empty: admitted).
    /// </summary>
    public static List<PolicyDecision> Evaluate(JsonObject policy, AdmissionRequest request, JsonObject? namespaceObject, JsonObject? parameters)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        var spec = policy["spec"] as JsonObject ?? new JsonObject();
        var failClosed = spec["failurePolicy"]?.ToString() != "Ignore";
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["object"] = PolicyCel.ToCel(request.Object),
            ["oldObject"] = PolicyCel.ToCel(request.OldObject),
            ["request"] = PolicyCel.ToCel(request.ToJson()),
            ["namespaceObject"] = PolicyCel.ToCel(namespaceObject),
            ["params"] = PolicyCel.ToCel(parameters),
            ["variables"] = variables,
        };

        foreach (var variable in (spec["variables"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
        {
            var result = PolicyCel.Evaluate(variable["expression"]?.ToString() ?? string.Empty, bindings);
            if (result.Succeeded)
            {
                variables[variable["name"]?.ToString() ?? string.Empty] = result.Value;
            }
        }

        var conditionErrors = new List<string>();
        foreach (var condition in (spec["matchConditions"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
        {
            var expression = condition["expression"]?.ToString() ?? string.Empty;
            var result = PolicyCel.Evaluate(expression, bindings);
            if (result.Succeeded && result.Value is false)
            {
                return new List<PolicyDecision>();
            }

            if (!result.Succeeded || result.Value is not bool)
            {
                conditionErrors.Add($"expression '{expression}' resulted in error: {result.Error ?? "no such overload"}");
            }
        }

        if (conditionErrors.Count > 0)
        {
            return failClosed
                ? new List<PolicyDecision> { new(true, conditionErrors.Count == 1 ? conditionErrors[0] : "[" + string.Join(", ", conditionErrors) + "]", null, -1) }
                : new List<PolicyDecision>();
        }

        var decisions = new List<PolicyDecision>();
        var validations = (spec["validations"] as JsonArray ?? new JsonArray()).ToList();
        for (var i = 0; i < validations.Count; i++)
        {
            var validation = validations[i] as JsonObject ?? new JsonObject();
            var expression = validation["expression"]?.ToString() ?? string.Empty;
            var result = PolicyCel.Evaluate(expression, bindings);
            if (!result.Succeeded || result.Value is not bool)
            {
                if (failClosed)
                {
                    decisions.Add(new PolicyDecision(true, $"expression '{expression}' resulted in error: {result.Error ?? "no such overload"}", null, i));
                }

                continue;
            }

            if (result.Value is true)
            {
                continue;
            }

            decisions.Add(new PolicyDecision(true, Message(validation, bindings), validation["reason"]?.ToString() ?? "Invalid", i));
        }

        return decisions;
    }

    /// <summary>messageExpression when it gives one line of text, else message, else "failed expression: ...".</summary>
    private static string Message(JsonObject validation, IDictionary<string, object?> bindings)
    {
        if (validation["messageExpression"]?.ToString() is { Length: > 0 } messageExpression &&
            PolicyCel.Evaluate(messageExpression, bindings) is { Succeeded: true, Value: string evaluated } &&
            evaluated.Trim() is { Length: > 0 and <= 5120 } trimmed && !trimmed.Contains('\n', StringComparison.Ordinal))
        {
            return trimmed;
        }

        return validation["message"]?.ToString() is { Length: > 0 } message && message.Trim().Length > 0
            ? message.Trim()
            : "failed expression: " + (validation["expression"]?.ToString() ?? string.Empty).Trim();
    }

    /// <summary>HTTP code of a validation's reason.</summary>
    public static int ReasonCode(string reason) => reason switch
    {
        "Forbidden" => 403,
        "Unauthorized" => 401,
        "RequestEntityTooLarge" => 413,
        _ => 422,
    };
}

using System.Text.Json;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;

namespace HostNetAudit.Engine.Policy;

/// <summary>
/// How an engine's validating webhook is wired: whether it intercepts pod CREATE in a namespace (its rules and
/// namespaceSelector), whether it sees only some pods (objectSelector, matchConditions) and whether it fails open.
/// </summary>
internal sealed class WebhookWiring
{
    private readonly CompiledSelector namespaceSelector;
    private readonly Scope constantScope;
    private readonly IReadOnlyList<CelNamedExpression> conditions;
    private readonly CelPolicy? matchPolicy;
    private readonly bool intercepts;
    private readonly string? conditionsOrigin;

    private WebhookWiring(JsonElement webhook, string configuration, bool assumed, string? assumedWhy, string? conditionsOrigin = null)
    {
        this.conditionsOrigin = conditionsOrigin;
        Webhook = webhook;
        Configuration = configuration;
        Assumed = assumed;
        AssumedWhy = assumedWhy;
        intercepts = InterceptsPodCreate(webhook);
        namespaceSelector = CompiledSelector.From(webhook.Get("namespaceSelector"));
        constantScope = LabelSelector.SelectsEverything(webhook.Get("objectSelector"))
            ? Policy.Scope.Yes()
            : Policy.Scope.Depends($"webhook {Name} has an objectSelector ({LabelSelector.Describe(webhook.Get("objectSelector"))})");
        conditions = CelVerdicts.Named(webhook.Get("matchConditions"));
        matchPolicy = CelVerdicts.MatchPolicy(CelDialect.ValidatingAdmissionPolicy, "webhook " + Name, conditions);
    }

    public JsonElement Webhook { get; }

    public string Configuration { get; }

    public string Name => Webhook.Get("name").AsString() ?? Configuration;

    /// <summary>The webhook was not in the evidence: its defaults are assumed.</summary>
    public bool Assumed { get; }

    public string? AssumedWhy { get; }

    /// <summary>failurePolicy Ignore: when the engine is down, pods are admitted.</summary>
    public bool FailOpen => string.Equals(Webhook.Get("failurePolicy").AsString(), "Ignore", StringComparison.OrdinalIgnoreCase);

    /// <summary>Finds the first webhook (in any ValidatingWebhookConfiguration) whose name satisfies the predicate.</summary>
    public static WebhookWiring? Find(PolicyInputs inputs, Func<string, bool> name)
    {
        foreach (var configuration in inputs.Of("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"))
        {
            foreach (var webhook in configuration.Object.Get("webhooks").Items())
            {
                if (name(webhook.Get("name").AsString() ?? string.Empty))
                {
                    return new WebhookWiring(webhook, configuration.Name, false, null);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// A webhook that is not in the evidence, with the engine's default wiring; <paramref name="matchConditions"/>
    /// are those the engine's configuration puts on it (<paramref name="conditionsOrigin"/> says where from).
    /// </summary>
    public static WebhookWiring AssumeDefault(string name, JsonElement namespaceSelector, bool failOpen, string why, JsonElement objectSelector = default, IReadOnlyList<CelNamedExpression>? matchConditions = null, string? conditionsOrigin = null) =>
        new(JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["name"] = name,
            ["failurePolicy"] = failOpen ? "Ignore" : "Fail",
            ["namespaceSelector"] = namespaceSelector.ValueKind == JsonValueKind.Undefined ? null : namespaceSelector,
            ["objectSelector"] = objectSelector.ValueKind == JsonValueKind.Undefined ? null : objectSelector,
            ["matchConditions"] = matchConditions?.Select(c => new Dictionary<string, string> { ["name"] = c.Name, ["expression"] = c.Expression }).ToArray(),
            ["rules"] = new[] { new Dictionary<string, object> { ["apiGroups"] = new[] { "*" }, ["apiVersions"] = new[] { "*" }, ["operations"] = new[] { "CREATE", "UPDATE" }, ["resources"] = new[] { "*" } } },
        }), "(assumed)", true, why, conditionsOrigin);

    /// <summary>Whether the webhook intercepts pod creation in the namespace.</summary>
    public Scope Scope(NamespaceInfo ns)
    {
        if (!intercepts)
        {
            return Policy.Scope.No($"the webhook {Name} ({Configuration}) does not intercept pod creation");
        }

        var matches = namespaceSelector.Matches(ns.Labels);
        if (matches is null)
        {
            return Policy.Scope.Unknown($"the namespaceSelector of webhook {Name} cannot be evaluated");
        }

        if (matches == false)
        {
            return Policy.Scope.No($"the namespaceSelector of webhook {Name} ({namespaceSelector.Description}) leaves this namespace out{(Assumed ? " (" + AssumedWhy + ")" : string.Empty)}");
        }

        var scope = constantScope;
        if (conditions.Count > 0)
        {
            var (match, detail) = CelVerdicts.Match(matchPolicy, ns.Object);
            var names = string.Join(", ", conditions.Select(c => c.Name));
            scope = scope.And((match, conditionsOrigin) switch
            {
                (CelMatch.DoesNotMatch, null) => Policy.Scope.No($"the matchConditions of webhook {Name} skip the reference pod ({detail})"),
                (CelMatch.DoesNotMatch, _) => Policy.Scope.No($"the matchConditions {names} of {conditionsOrigin} skip the reference pod ({detail}), so it never reaches the engine"),
                (_, null) => Policy.Scope.Depends($"webhook {Name} has matchConditions ({names})"),
                _ => Policy.Scope.Depends($"the matchConditions {names} of {conditionsOrigin} decide which pods reach the engine; the others are admitted unchecked"),
            });
        }

        return scope;
    }

    /// <summary>True when one of the rules covers CREATE of core/v1 pods (the main resource).</summary>
    public static bool InterceptsPodCreate(JsonElement webhook) =>
        webhook.Get("rules").Items().Any(CoversPodCreate);

    public static bool CoversPodCreate(JsonElement rule) =>
        Contains(rule.Get("apiGroups"), string.Empty) &&
        Contains(rule.Get("apiVersions"), "v1") &&
        Contains(rule.Get("operations"), "CREATE") &&
        rule.Get("resources").Items().Select(r => r.AsString()).Any(r => r is "pods" or "*" or "*/*") &&
        rule.Get("scope").AsString() is null or "*" or "Namespaced";

    private static bool Contains(JsonElement list, string value) =>
        list.Items().Select(i => i.AsString()).Any(i => i == "*" || i == value);
}

using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// Reads the CEL of each engine's objects (as JSON: live pages and offline documents alike) into a
/// <see cref="CelPolicy"/>, with the field names each engine uses.
/// </summary>
internal static class CelPolicySources
{
    /// <summary>
    /// A ValidatingAdmissionPolicy (admissionregistration.k8s.io v1/v1beta1): spec.validations, spec.variables,
    /// spec.matchConditions, spec.failurePolicy. <paramref name="parameters"/> is the resource a binding's
    /// paramRef selects, when judged with one.
    /// </summary>
    public static CelPolicy FromValidatingAdmissionPolicy(JsonElement policy, JsonElement? parameters = null)
    {
        var spec = policy.Get("spec");
        return new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/" + NameOf(policy),
            Validations = Validations(spec.Get("validations")),
            Variables = Named(spec.Get("variables")),
            MatchConditions = Named(spec.Get("matchConditions")),
            Params = parameters,
            FailurePolicy = spec.Get("failurePolicy").AsString(),
            FailurePolicyDecidesErrors = true,
        };
    }

    /// <summary>
    /// A kyverno.io/v1 rule with <c>validate.cel</c>: validate.cel.expressions, validate.cel.variables, and the
    /// rule's celPreconditions (which act as match conditions). <paramref name="policyName"/> names the
    /// ClusterPolicy or Policy for details.
    /// </summary>
    public static CelPolicy FromKyvernoRule(JsonElement rule, string policyName, JsonElement? parameters = null)
    {
        var cel = rule.Get("validate", "cel");
        return new CelPolicy
        {
            Dialect = CelDialect.KyvernoRule,
            Name = $"{policyName} rule {rule.Get("name").AsString() ?? "(unnamed)"}",
            Validations = Validations(cel.Get("expressions")),
            Variables = Named(cel.Get("variables")),
            MatchConditions = Named(rule.Get("celPreconditions")),
            Params = parameters,
        };
    }

    /// <summary>
    /// A Kyverno policies.kyverno.io ValidatingPolicy (or NamespacedValidatingPolicy): spec.validations,
    /// spec.variables, spec.matchConditions, spec.failurePolicy.
    /// </summary>
    public static CelPolicy FromKyvernoValidatingPolicy(JsonElement policy, JsonElement? parameters = null)
    {
        var spec = policy.Get("spec");
        return new CelPolicy
        {
            Dialect = CelDialect.KyvernoValidatingPolicy,
            Name = (policy.Get("kind").AsString() ?? "ValidatingPolicy") + "/" + NameOf(policy),
            Validations = Validations(spec.Get("validations")),
            Variables = Named(spec.Get("variables")),
            MatchConditions = Named(spec.Get("matchConditions")),
            Params = parameters,
            FailurePolicy = spec.Get("failurePolicy").AsString(),
        };
    }

    /// <summary>
    /// A Gatekeeper ConstraintTemplate's K8sNativeValidation code (spec.targets[].code[engine=K8sNativeValidation].source:
    /// validations, variables, matchCondition(s), failurePolicy), judged with a constraint of that template
    /// (bound as <c>params</c>; its spec.parameters as <c>variables.params</c>). Null when the template has no CEL.
    /// </summary>
    public static CelPolicy? FromGatekeeperTemplate(JsonElement template, JsonElement? constraint = null)
    {
        var source = GatekeeperSource(template);
        if (source is not { } code)
        {
            return null;
        }

        var kind = template.Get("spec", "crd", "spec", "names", "kind").AsString() ?? NameOf(template);
        var name = constraint is { } c ? $"{kind}/{NameOf(c)}" : $"ConstraintTemplate/{NameOf(template)}";

        // Gatekeeper's schema names the field "matchCondition"; accept the VAP spelling too.
        var matchConditions = code.Get("matchCondition").ValueKind == JsonValueKind.Array ? code.Get("matchCondition") : code.Get("matchConditions");
        return new CelPolicy
        {
            Dialect = CelDialect.Gatekeeper,
            Name = name,
            Validations = Validations(code.Get("validations")),
            Variables = Named(code.Get("variables")),
            MatchConditions = Named(matchConditions),
            Params = constraint,
            FailurePolicy = code.Get("failurePolicy").AsString(),
        };
    }

    /// <summary>The K8sNativeValidation source of a template, if it has one.</summary>
    public static JsonElement? GatekeeperSource(JsonElement template)
    {
        foreach (var target in template.Get("spec", "targets").Items())
        {
            foreach (var code in target.Get("code").Items())
            {
                if (string.Equals(code.Get("engine").AsString(), "K8sNativeValidation", StringComparison.Ordinal))
                {
                    return code.Get("source");
                }
            }
        }

        return null;
    }

    private static string NameOf(JsonElement obj) => obj.Get("metadata", "name").AsString() ?? "(unnamed)";

    private static List<CelValidation> Validations(JsonElement list) =>
        list.Items()
            .Where(v => v.Get("expression").AsString() is not null)
            .Select(v => new CelValidation(
                v.Get("expression").AsString()!,
                v.Get("message").AsString(),
                v.Get("messageExpression").AsString(),
                v.Get("reason").AsString()))
            .ToList();

    private static List<CelNamedExpression> Named(JsonElement list) =>
        list.Items()
            .Where(v => v.Get("name").AsString() is not null && v.Get("expression").AsString() is not null)
            .Select(v => new CelNamedExpression(v.Get("name").AsString()!, v.Get("expression").AsString()!))
            .ToList();
}

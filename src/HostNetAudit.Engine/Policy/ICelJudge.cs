using System.Text.Json;

namespace HostNetAudit.Engine.Policy;

/// <summary>Which engine's CEL environment an expression runs in (they bind variables differently).</summary>
internal enum CelKind
{
    /// <summary>admissionregistration.k8s.io ValidatingAdmissionPolicy: object, oldObject, request, params, namespaceObject, variables.</summary>
    ValidatingAdmissionPolicy,

    /// <summary>Kyverno ClusterPolicy/Policy validate.cel: the same bindings as VAP.</summary>
    KyvernoRule,

    /// <summary>Kyverno policies.kyverno.io ValidatingPolicy.</summary>
    KyvernoValidatingPolicy,

    /// <summary>Gatekeeper K8sNativeValidation: variables.anyObject, variables.params (the constraint's parameters).</summary>
    Gatekeeper,
}

/// <summary>One validation: it denies when its expression evaluates to false.</summary>
internal sealed record CelCheck(string Expression, string? Message = null, string? MessageExpression = null);

/// <summary>A named variable (evaluated lazily as variables.name).</summary>
internal sealed record CelNamed(string Name, string Expression);

/// <summary>A set of validations to judge against the reference pod and its twin. Params is the param object
/// (for Gatekeeper: the constraint, whose spec.parameters Gatekeeper binds as variables.params).</summary>
internal sealed record CelRequest(
    CelKind Dialect,
    IReadOnlyList<CelCheck> Validations,
    IReadOnlyList<CelNamed> Variables,
    JsonElement? Params = null,
    JsonElement? NamespaceObject = null);

/// <summary>What matchConditions do with the reference pod.</summary>
internal enum CelMatch
{
    /// <summary>Every condition is true for the reference pod: the policy applies to it.</summary>
    Matches,

    /// <summary>A condition is false: the policy skips the reference pod.</summary>
    DoesNotMatch,

    Unknown,
}

/// <summary>A judgement of CEL validations: the outcome, how it was reached, and what decided.</summary>
internal sealed record CelAnswer(PodOutcome Outcome, string JudgedBy, string Detail);

/// <summary>
/// Where CEL verdicts plug in. The real judge (Policy/Cel, evaluating with the Cel package, text-reading what it
/// cannot evaluate) is adapted to this interface; until it is available, <see cref="TextOnlyCelJudge"/> answers
/// Unknown except for the few shapes it recognises with certainty. Never "refuses" without evaluation or
/// certain text.
/// </summary>
internal interface ICelJudge
{
    /// <summary>Judges validations against the reference pod (must be denied) and its twin (must be admitted).</summary>
    CelAnswer Judge(CelRequest policy);

    /// <summary>Evaluates matchConditions (name, expression) for the reference pod.</summary>
    (CelMatch Match, string Detail) MatchConditions(IReadOnlyList<CelNamed> conditions, CelKind dialect, JsonElement? namespaceObject);
}

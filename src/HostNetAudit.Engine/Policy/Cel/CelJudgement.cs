namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>What a policy's CEL does to the reference pod and its twin.</summary>
internal enum CelVerdict
{
    /// <summary>Denies the reference pod and admits the twin: the denial is about hostNetwork.</summary>
    Refuses,

    /// <summary>Admits the reference pod (or does not apply to it: see <see cref="CelJudgement.ExcludedByMatchCondition"/>).</summary>
    DoesNotRefuse,

    /// <summary>Denies the twin too: the denial is not about hostNetwork.</summary>
    DeniesBoth,

    /// <summary>Could not be decided with certainty (evaluation failed and the text was not understood).</summary>
    Unknown,
}

/// <summary>What one expression did to one pod.</summary>
internal enum CelOutcome
{
    Admit,
    Deny,
    Unknown,

    /// <summary>A certain evaluation error; the policy's failurePolicy turns it into Deny or Admit before it is recorded.</summary>
    Error,
}

/// <summary>How a judgement was reached.</summary>
internal enum CelJudgedBy
{
    /// <summary>Every decisive expression was evaluated by the CEL evaluator.</summary>
    Evaluated,

    /// <summary>At least one decisive expression was read from its text (the evaluator could not run it).</summary>
    Text,
}

/// <summary>One validation's effect on the reference pod and on the twin.</summary>
internal sealed record CelValidationOutcome(
    int Index,
    string Expression,
    CelOutcome Reference,
    CelOutcome Twin,
    CelJudgedBy JudgedBy,
    string? Problem);

/// <summary>The judgement of one policy's CEL against the reference pod and its twin.</summary>
internal sealed class CelJudgement
{
    public required CelVerdict Verdict { get; init; }

    /// <summary><see cref="CelJudgedBy.Evaluated"/> or <see cref="CelJudgedBy.Text"/>.</summary>
    public required CelJudgedBy JudgedBy { get; init; }

    /// <summary>One or two sentences an admin can read: which validation decided, and why.</summary>
    public required string Detail { get; init; }

    /// <summary>The validation that decided (0-based), for Refuses and DeniesBoth; else null.</summary>
    public int? ValidationIndex { get; init; }

    /// <summary>The deciding validation's expression as written in the policy.</summary>
    public string? Expression { get; init; }

    /// <summary>The message the engine would return when denying the reference pod (messageExpression, else message).</summary>
    public string? Message { get; init; }

    /// <summary>The match condition that excludes the reference pod (the policy does not apply to it), if any.</summary>
    public string? ExcludedByMatchCondition { get; init; }

    /// <summary>The policy has match conditions (docs/design.md: a policy that applies only to some pods is Conditional).</summary>
    public bool HasMatchConditions { get; init; }

    /// <summary>Some expression reads <c>namespaceObject</c>: the judgement may differ between namespaces.</summary>
    public bool DependsOnNamespace { get; init; }

    /// <summary>Some expression reads <c>params</c> (or Gatekeeper's <c>variables.params</c>): the judgement depends on them.</summary>
    public bool DependsOnParams { get; init; }

    /// <summary>
    /// For Refuses: why the denial may not hold for every hostNetwork pod — each validation that denies the
    /// reference pod also reads fields its creator chooses (labels, containers, the requesting user...), so a
    /// hostNetwork pod that sets them otherwise may be admitted. Null when one denial holds whatever they are.
    /// </summary>
    public string? PodFieldsEscape { get; init; }

    /// <summary>
    /// For DeniesBoth: the field whose absence makes an expression raise an error that failurePolicy Fail turns into
    /// a denial (e.g. object.spec.hostNetwork, unset on the twin): the policy denies every pod lacking it.
    /// </summary>
    public string? DeniesLacking { get; init; }

    /// <summary>Rewrites applied so the evaluator could run (see <see cref="CelRewriter"/>).</summary>
    public IReadOnlyList<string> Rewrites { get; init; } = Array.Empty<string>();

    public IReadOnlyList<CelValidationOutcome> Validations { get; init; } = Array.Empty<CelValidationOutcome>();

    public override string ToString() => $"{Verdict} ({JudgedBy}): {Detail}";
}

using System.Text.Json;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;

namespace HostNetAudit.Engine.Policy;

/// <summary>What matchConditions do with the reference pod.</summary>
internal enum CelMatch
{
    /// <summary>Every condition is true for the reference pod: the object applies to it.</summary>
    Matches,

    /// <summary>A condition is false: the object skips the reference pod.</summary>
    DoesNotMatch,

    Unknown,
}

/// <summary>Where the evaluators get CEL verdicts, and helpers between CEL judgements and the evaluators' judgements.</summary>
internal static class CelVerdicts
{
    private static readonly JsonElement Reference = ReferencePod.Reference();
    private static readonly JsonElement Twin = ReferencePod.Twin();

    /// <summary>
    /// Judges a policy's CEL (Policy/Cel) against the reference pod and its twin, created by a controller identity;
    /// <paramref name="namespaceObject"/> is bound as namespaceObject when given, and the pods are in that namespace.
    /// </summary>
    public static CelJudgement Judge(CelPolicy policy, JsonElement? namespaceObject = null)
    {
        var ns = namespaceObject?.Get("metadata", "name").AsString();
        var input = new CelAdmissionInput
        {
            ReferencePod = ns is null or "default" ? Reference : ReferencePod.Reference(ns),
            TwinPod = ns is null or "default" ? Twin : ReferencePod.Twin(ns),
            NamespaceObject = namespaceObject,
        };
        return CelJudge.JudgeValidations(policy, input);
    }

    /// <summary>The judgement as a PodJudgement (match conditions left to the caller's scope).</summary>
    public static PodJudgement ToPod(CelJudgement judgement, string prefix = "") => new(
        judgement.Verdict switch
        {
            CelVerdict.Refuses => PodOutcome.Refuses,
            CelVerdict.DeniesBoth => PodOutcome.DeniesBoth,
            CelVerdict.DoesNotRefuse => PodOutcome.DoesNotRefuse,
            _ => PodOutcome.Unknown,
        },
        ToJudgedBy(judgement.JudgedBy),
        prefix + judgement.Detail)
    {
        Lacking = judgement.DeniesLacking,
    };

    /// <summary>How a CEL judgement was reached, in the findings' terms.</summary>
    public static JudgedBy ToJudgedBy(CelJudgedBy judgedBy) => judgedBy == CelJudgedBy.Text ? JudgedBy.Text : JudgedBy.Evaluated;

    /// <summary>
    /// The scope match conditions give (docs/design.md, "The verdict of a namespace": an object with match conditions applies to some pods only), and
    /// a refusal that the pod's creator can escape (<see cref="CelJudgement.PodFieldsEscape"/>).
    /// </summary>
    /// <param name="judgement">The judgement.</param>
    /// <param name="where">What has the match conditions, for the reason.</param>
    /// <param name="escapeVerified">The escape is known and accounted for elsewhere: the module's own targeted policy,
    /// whose escapes are exactly its exceptions, which the audit verifies against the declared exemptions.</param>
    public static Scope MatchScope(CelJudgement judgement, string where, bool escapeVerified = false)
    {
        var scope = judgement.HasMatchConditions && judgement.ExcludedByMatchCondition is null
            ? Scope.Depends($"{where} has matchConditions that decide per request")
            : Scope.Yes();
        return judgement.Verdict == CelVerdict.Refuses && !escapeVerified && judgement.PodFieldsEscape is { } escape
            ? scope.And(Scope.Depends(escape))
            : scope;
    }

    /// <summary>A policy that denies everything it applies to, so judging it says whether match conditions select the reference pod.</summary>
    public static CelPolicy? MatchPolicy(CelDialect dialect, string name, IReadOnlyList<CelNamedExpression> conditions) =>
        conditions.Count == 0 ? null : new CelPolicy
        {
            Dialect = dialect,
            Name = name,
            Validations = new[] { new CelValidation("false") },
            MatchConditions = conditions,
        };

    /// <summary>Whether the match conditions of a <see cref="MatchPolicy"/> select the reference pod.</summary>
    public static (CelMatch Match, string Detail) Match(CelPolicy? matchPolicy, JsonElement? namespaceObject)
    {
        if (matchPolicy is null)
        {
            return (CelMatch.Matches, "no matchConditions");
        }

        var judgement = Judge(matchPolicy, namespaceObject);
        if (judgement.ExcludedByMatchCondition is { } excluded)
        {
            return (CelMatch.DoesNotMatch, $"match condition '{excluded}' is false for the reference pod");
        }

        return judgement.Verdict is CelVerdict.DeniesBoth or CelVerdict.Refuses
            ? (CelMatch.Matches, "every match condition holds for the reference pod")
            : (CelMatch.Unknown, judgement.Detail);
    }

    public static IReadOnlyList<CelNamedExpression> Named(JsonElement list) =>
        list.Items().Select(c => new CelNamedExpression(c.Get("name").AsString() ?? string.Empty, c.Get("expression").AsString() ?? "true")).ToList();
}

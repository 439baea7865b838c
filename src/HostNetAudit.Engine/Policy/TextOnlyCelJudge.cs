using System.Text.RegularExpressions;

namespace HostNetAudit.Engine.Policy;

/// <summary>
/// A CEL judge that does not evaluate: it recognises, with certainty, only validations whose whole expression
/// forbids hostNetwork (and possibly hostPID/hostIPC, which the twin does not set) in the shapes the published
/// policies write, and answers Unknown for anything else. Used until the evaluating judge is wired in.
/// </summary>
internal sealed partial class TextOnlyCelJudge : ICelJudge
{
    public static readonly TextOnlyCelJudge Instance = new();

    public CelAnswer Judge(CelRequest policy)
    {
        if (policy.Validations.Count == 0)
        {
            return new CelAnswer(PodOutcome.DoesNotRefuse, JudgedBy.Text, "no validations");
        }

        var refusing = 0;
        foreach (var validation in policy.Validations)
        {
            var text = Normalize(Inline(validation.Expression, policy.Variables));
            var shape = Classify(text);
            switch (shape)
            {
                case Shape.ForbidsHostNetwork:
                    refusing++;
                    break;
                case Shape.HostNamespacesOther:
                    break;
                default:
                    return new CelAnswer(PodOutcome.Unknown, JudgedBy.Text, $"the CEL expression '{Shorten(validation.Expression)}' could not be evaluated here and is not a shape recognised with certainty");
            }
        }

        return refusing > 0
            ? new CelAnswer(PodOutcome.Refuses, JudgedBy.Text, "the CEL validation requires spec.hostNetwork to be unset or false (read from the expression text)")
            : new CelAnswer(PodOutcome.DoesNotRefuse, JudgedBy.Text, "the CEL validations test hostPID/hostIPC only (read from the expression text)");
    }

    public (CelMatch Match, string Detail) MatchConditions(IReadOnlyList<CelNamed> conditions, CelKind dialect, System.Text.Json.JsonElement? namespaceObject) =>
        conditions.Count == 0 ? (CelMatch.Matches, "no matchConditions") : (CelMatch.Unknown, "matchConditions are not evaluated here");

    private enum Shape
    {
        Unrecognised,
        ForbidsHostNetwork,
        HostNamespacesOther,
    }

    /// <summary>Replaces variables.x by (expression) when the variable is a plain field read.</summary>
    private static string Inline(string expression, IReadOnlyList<CelNamed> variables)
    {
        var text = expression;
        foreach (var variable in variables)
        {
            text = text.Replace("variables." + variable.Name, "(" + variable.Expression.Trim() + ")", StringComparison.Ordinal);
        }

        return text;
    }

    private static Shape Classify(string text)
    {
        // A conjunction of "field is unset or false" clauses over object.spec / variables.anyObject.spec.
        var clauses = SplitTop(text, "&&");
        var hostNetwork = false;
        foreach (var raw in clauses)
        {
            var clause = StripParens(raw);
            var field = FalseOrUnsetField(clause);
            if (field is null)
            {
                var negated = NegatedDisjunction(clause);
                if (negated is null)
                {
                    return Shape.Unrecognised;
                }

                hostNetwork |= negated.Contains("hostNetwork", StringComparer.Ordinal);
                continue;
            }

            hostNetwork |= field == "hostNetwork";
        }

        return hostNetwork ? Shape.ForbidsHostNetwork : Shape.HostNamespacesOther;
    }

    /// <summary>"!has(o.spec.F) || o.spec.F == false", "o.spec.?F.orValue(false) == false", "!o.spec.?F.orValue(false)".</summary>
    private static string? FalseOrUnsetField(string clause)
    {
        var m = HasOrFalse().Match(clause);
        if (m.Success && m.Groups["f1"].Value == m.Groups["f2"].Value && m.Groups["o1"].Value == m.Groups["o2"].Value)
        {
            return m.Groups["f1"].Value;
        }

        m = OptionalFalse().Match(clause);
        if (m.Success)
        {
            return m.Groups["f"].Value;
        }

        m = NotOptional().Match(clause);
        return m.Success ? m.Groups["f"].Value : null;
    }

    /// <summary>"!(a || b || c)" where each is "(o.spec.?F.orValue(false))": returns the fields.</summary>
    private static List<string>? NegatedDisjunction(string clause)
    {
        if (!clause.StartsWith("!(", StringComparison.Ordinal) || !clause.EndsWith(')'))
        {
            return null;
        }

        var inner = clause[2..^1];
        var fields = new List<string>();
        foreach (var part in SplitTop(inner, "||"))
        {
            var m = OptionalValue().Match(StripParens(part));
            if (!m.Success)
            {
                return null;
            }

            fields.Add(m.Groups["f"].Value);
        }

        return fields;
    }

    private static string Normalize(string text) => Whitespace().Replace(text, " ").Trim().Replace("( ", "(", StringComparison.Ordinal).Replace(" )", ")", StringComparison.Ordinal);

    private static string StripParens(string text)
    {
        var t = text.Trim();
        while (t.Length > 1 && t[0] == '(' && t[^1] == ')' && Balanced(t[1..^1]))
        {
            t = t[1..^1].Trim();
        }

        return t;
    }

    private static bool Balanced(string text)
    {
        var depth = 0;
        foreach (var c in text)
        {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth < 0)
            {
                return false;
            }
        }

        return depth == 0;
    }

    private static List<string> SplitTop(string text, string op)
    {
        var parts = new List<string>();
        var depth = 0;
        var quote = '\0';
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    break;
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    depth--;
                    break;
                default:
                    if (depth == 0 && string.CompareOrdinal(text, i, op, 0, op.Length) == 0)
                    {
                        parts.Add(text[start..i]);
                        start = i + op.Length;
                        i += op.Length - 1;
                    }

                    break;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static string Shorten(string text)
    {
        var t = Normalize(text);
        return t.Length > 120 ? t[..117] + "..." : t;
    }

    [GeneratedRegex(@"^!\s*\(?has\((?<o1>object|variables\.anyObject)\.spec\.(?<f1>hostNetwork|hostPID|hostIPC)\)\)?\s*\|\|\s*(?<o2>object|variables\.anyObject)\.spec\.(?<f2>hostNetwork|hostPID|hostIPC)\s*==\s*false$")]
    private static partial Regex HasOrFalse();

    [GeneratedRegex(@"^\(?\s*(object|variables\.anyObject)\.spec\.\?(?<f>hostNetwork|hostPID|hostIPC)\.orValue\(false\)\s*\)?\s*==\s*false$")]
    private static partial Regex OptionalFalse();

    [GeneratedRegex(@"^!\s*\(?(object|variables\.anyObject)\.spec\.\?(?<f>hostNetwork|hostPID|hostIPC)\.orValue\(false\)\)?$")]
    private static partial Regex NotOptional();

    [GeneratedRegex(@"^(object|variables\.anyObject)\.spec\.\?(?<f>hostNetwork|hostPID|hostIPC)\.orValue\(false\)$")]
    private static partial Regex OptionalValue();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

using System.Text.RegularExpressions;

namespace HostNetAudit.Engine.Policy.Gatekeeper;

/// <summary>
/// Reads Gatekeeper Rego without evaluating it. Certain only in two cases: the Rego never names hostNetwork (it
/// cannot tell the reference pod from its twin), or a violation rule's body consists solely of a test that
/// spec.hostNetwork is true (plus the usual UPDATE exclusion and message lines), with no parameter in play.
/// Anything else that names hostNetwork is Unknown.
/// </summary>
internal static partial class RegoRecognizer
{
    public static PodJudgement Judge(string rego, IEnumerable<string> libs)
    {
        var all = rego + "\n" + string.Join("\n", libs);
        if (!all.Contains("hostNetwork", StringComparison.Ordinal))
        {
            return PodJudgement.DoesNotRefuse("its Rego does not read hostNetwork, so it cannot tell the reference pod from its twin", JudgedBy.Text);
        }

        foreach (var body in ViolationBodies(rego))
        {
            var lines = body.Split('\n', ';').Select(StripComment).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (lines.Count == 0)
            {
                continue;
            }

            var tests = lines.Count(l => HostNetworkTest().IsMatch(l));
            var others = lines.Where(l => !HostNetworkTest().IsMatch(l) && !Harmless().IsMatch(l)).ToList();
            if (tests > 0 && others.Count == 0)
            {
                return new PodJudgement(PodOutcome.Refuses, JudgedBy.Text, "a violation rule of its Rego fires whenever input.review.object.spec.hostNetwork is true (read from the Rego text)");
            }
        }

        return PodJudgement.Unknown("its Rego reads hostNetwork, but HostNetAudit does not evaluate Rego and does not recognise this shape; verify with -Probe");
    }

    private static IEnumerable<string> ViolationBodies(string rego)
    {
        foreach (Match m in ViolationHead().Matches(rego))
        {
            var start = m.Index + m.Length;
            var depth = 1;
            var i = start;
            for (; i < rego.Length && depth > 0; i++)
            {
                depth += rego[i] == '{' ? 1 : rego[i] == '}' ? -1 : 0;
            }

            if (depth == 0)
            {
                yield return rego[start..(i - 1)];
            }
        }
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? line : line[..hash];
    }

    [GeneratedRegex(@"violation\s*\[[^\]]*\]\s*(?:if\s*)?\{")]
    private static partial Regex ViolationHead();

    [GeneratedRegex(@"^input\.review\.object\.spec\.hostNetwork(\s*==\s*true)?$")]
    private static partial Regex HostNetworkTest();

    [GeneratedRegex(@"^(not\s+is_update\([^)]*\)|not\s+input\.review\.operation\s*==\s*""UPDATE""|input\.review\.operation\s*(==\s*""CREATE""|!=\s*""UPDATE"")|(msg|details)\s*:?=.*)$")]
    private static partial Regex Harmless();
}

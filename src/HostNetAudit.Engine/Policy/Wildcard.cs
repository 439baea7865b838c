using System.Text.RegularExpressions;

namespace HostNetAudit.Engine.Policy;

/// <summary>The name patterns the admission engines use.</summary>
internal static class Wildcard
{
    /// <summary>Does the text hold a wildcard ('*' or '?'), as exemption entries may?</summary>
    public static bool HasWildcard(string text) => text.IndexOfAny(new[] { '*', '?' }) >= 0;

    /// <summary>Kyverno's wildcard: '*' any run (also empty), '?' one character; case-sensitive.</summary>
    public static bool Match(string pattern, string value)
    {
        if (pattern == "*")
        {
            return true;
        }

        if (pattern.IndexOfAny(new[] { '*', '?' }) < 0)
        {
            return string.Equals(pattern, value, StringComparison.Ordinal);
        }

        return MatchAt(pattern, 0, value, 0);
    }

    /// <summary>Gatekeeper's namespace glob: a literal, or '*' at the start (suffix match), at the end (prefix match)
    /// or at both (substring match).</summary>
    public static bool MatchGlob(string pattern, string value)
    {
        if (pattern == "*")
        {
            return true;
        }

        if (pattern.Length > 1 && pattern.StartsWith('*') && pattern.EndsWith('*'))
        {
            return value.Contains(pattern[1..^1], StringComparison.Ordinal);
        }

        if (pattern.EndsWith('*'))
        {
            return value.StartsWith(pattern[..^1], StringComparison.Ordinal);
        }

        if (pattern.StartsWith('*'))
        {
            return value.EndsWith(pattern[1..], StringComparison.Ordinal);
        }

        return string.Equals(pattern, value, StringComparison.Ordinal);
    }

    /// <summary>A user's wildcard (exemptions file): '*' and '?', case-insensitive.</summary>
    public static bool MatchIgnoreCase(string pattern, string value) =>
        Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static bool MatchAt(string pattern, int p, string value, int v)
    {
        while (p < pattern.Length)
        {
            var c = pattern[p];
            if (c == '*')
            {
                while (p < pattern.Length && pattern[p] == '*')
                {
                    p++;
                }

                if (p == pattern.Length)
                {
                    return true;
                }

                for (var i = v; i <= value.Length; i++)
                {
                    if (MatchAt(pattern, p, value, i))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (v >= value.Length || (c != '?' && c != value[v]))
            {
                return false;
            }

            p++;
            v++;
        }

        return v == value.Length;
    }
}

using System.Text;

namespace HostNetAudit.Engine.Api;

/// <summary>Parses RFC 7234 Warning headers as the apiserver writes them: 299 - "text", comma-separated.</summary>
internal static class WarningHeader
{
    public static IEnumerable<string> Parse(string header)
    {
        var i = 0;
        while (i < header.Length)
        {
            // warn-code SP warn-agent SP quoted-text [SP warn-date]
            var quote = header.IndexOf('"', i);
            if (quote < 0)
            {
                yield break;
            }

            var text = new StringBuilder();
            var j = quote + 1;
            for (; j < header.Length; j++)
            {
                var ch = header[j];
                if (ch == '\\' && j + 1 < header.Length)
                {
                    text.Append(header[++j]);
                }
                else if (ch == '"')
                {
                    break;
                }
                else
                {
                    text.Append(ch);
                }
            }

            yield return text.ToString();

            // Skip an optional quoted date, then the comma to the next warning.
            var next = header.IndexOf(',', j + 1);
            var nextQuoteAfter = j + 1 < header.Length ? header.IndexOf('"', j + 1) : -1;
            if (next < 0)
            {
                yield break;
            }

            if (nextQuoteAfter >= 0 && nextQuoteAfter < next)
            {
                var dateEnd = header.IndexOf('"', nextQuoteAfter + 1);
                next = dateEnd < 0 ? -1 : header.IndexOf(',', dateEnd + 1);
                if (next < 0)
                {
                    yield break;
                }
            }

            i = next + 1;
        }
    }
}

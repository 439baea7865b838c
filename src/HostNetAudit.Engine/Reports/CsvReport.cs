using System.Globalization;
using System.Text;

namespace HostNetAudit.Engine.Reports;

/// <summary>CSV (RFC 4180): one row per namespace of every report.</summary>
internal static class CsvReport
{
    private static readonly string[] Header =
    {
        "Context", "Namespace", "Status", "Compliant", "EnforcedBy", "AuditOnly", "PodSecurity", "PodSecuritySource",
        "HostNetworkPods", "Justification", "Reason", "Remediation", "ControlResult", "GeneratedAt",
    };

    public static void Write(IReadOnlyList<AuditReport> reports, Stream output)
    {
        using var writer = new StreamWriter(output, ReportWriter.Utf8, 64 * 1024, leaveOpen: true) { NewLine = "\r\n" };
        writer.WriteLine(string.Join(',', Header.Select(Quote)));
        foreach (var report in reports)
        {
            foreach (var ns in report.Namespaces)
            {
                var fields = new[]
                {
                    ns.Context, ns.Namespace, ns.Status, ns.Compliant ? "True" : "False", ns.EnforcedBy, ns.AuditOnly, ns.PodSecurity,
                    ns.PodSecuritySource, ns.HostNetworkPodCount.ToString(CultureInfo.InvariantCulture), ns.Justification, ns.Reason,
                    ns.Remediation, report.Result, report.GeneratedAt.ToString("o", CultureInfo.InvariantCulture),
                };
                writer.WriteLine(string.Join(',', fields.Select(Quote)));
            }
        }
    }

    /// <summary>Quotes every field; doubles quotes; neutralises leading formula characters (CSV injection).</summary>
    internal static string Quote(string? value)
    {
        var text = value ?? string.Empty;
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            text = "'" + text;
        }

        var builder = new StringBuilder(text.Length + 2);
        builder.Append('"').Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        return builder.ToString();
    }
}

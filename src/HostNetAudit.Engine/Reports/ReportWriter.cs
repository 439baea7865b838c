using System.Text;

namespace HostNetAudit.Engine.Reports;

/// <summary>Writes audit reports in the format asked for.</summary>
internal static class ReportWriter
{
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes the reports; returns what the user should be warned about. For policy reports,
    /// <paramref name="previousPath"/> is the set written before (the file being replaced), whose unchanged results
    /// keep their timestamps.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<AuditReport> reports, ReportFormat format, Stream output, string? previousPath = null)
    {
        switch (format)
        {
            case ReportFormat.PolicyReport:
                return PolicyReportFile.Write(reports, PolicyReportApi.WgPolicy, previousPath, output);
            case ReportFormat.OpenReports:
                return PolicyReportFile.Write(reports, PolicyReportApi.OpenReports, previousPath, output);
            case ReportFormat.Json:
                JsonReport.Write(reports, output);
                break;
            case ReportFormat.Csv:
                CsvReport.Write(reports, output);
                break;
            case ReportFormat.JUnit:
                JUnitReport.Write(reports, output);
                break;
            case ReportFormat.Sarif:
                SarifReport.Write(reports, output);
                break;
            case ReportFormat.Html:
                HtmlReport.Write(reports, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "unknown report format");
        }

        return Array.Empty<string>();
    }

    /// <summary>The statuses in the order reports show them.</summary>
    public static readonly string[] Statuses = { "NonCompliant", "Conditional", "Unknown", "Exempt", "Compliant" };

    public static int Count(AuditReport report, string status) => status switch
    {
        "Compliant" => report.Summary.Compliant,
        "NonCompliant" => report.Summary.NonCompliant,
        "Conditional" => report.Summary.Conditional,
        "Unknown" => report.Summary.Unknown,
        "Exempt" => report.Summary.Exempt,
        _ => 0,
    };
}

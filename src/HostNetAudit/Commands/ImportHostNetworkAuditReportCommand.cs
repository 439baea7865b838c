using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Reads JSON reports written by Export-HostNetworkAuditReport back into HostNetAudit.AuditReport objects, so the
/// reports of per-cluster jobs merge into one fleet report (HTML, CSV, JUnit, SARIF, policy reports). Reads files
/// only; sends no request.
/// </summary>
[Cmdlet(VerbsData.Import, "HostNetworkAuditReport", DefaultParameterSetName = PathSet)]
[OutputType(typeof(AuditReport))]
public sealed class ImportHostNetworkAuditReportCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>JSON report files (wildcards).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>JSON report files named exactly as written; binds PSPath by property name (Get-ChildItem output).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == LiteralPathSet;
        foreach (var file in PathResolver.Resolve(this, (literal ? LiteralPath : Path) ?? Array.Empty<string>(), literal))
        {
            if (Directory.Exists(file))
            {
                WriteError(ErrorRecords.Create("ReportReadFailed", ErrorCategory.ReadError, file, $"'{file}' is a folder; name the report files in it (for example '{System.IO.Path.Combine(file, "*.json")}')."));
                continue;
            }

            IReadOnlyList<AuditReport> reports;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
                reports = EngineLoader.Engine.ReadReports(stream, file);
            }
            catch (HostNetAuditException ex)
            {
                WriteError(ErrorRecords.From(ex));
                continue;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                WriteError(ErrorRecords.Create("ReportReadFailed", ErrorCategory.ReadError, file, $"The report '{file}' could not be read: {ex.Message}", ex));
                continue;
            }

            WriteVerbose($"Read {reports.Count} report(s) from {file}: {string.Join(", ", reports.Select(r => r.Context))}.");
            foreach (var report in reports)
            {
                WriteObject(report);
            }
        }
    }
}

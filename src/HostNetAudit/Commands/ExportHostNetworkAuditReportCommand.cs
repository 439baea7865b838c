using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Writes audit reports (from Invoke-HostNetworkAudit) to a file: HTML for people; JSON, CSV, JUnit XML
/// or SARIF for pipelines. Reports from the pipeline are collected and written once, into one file.
/// </summary>
[Cmdlet(VerbsData.Export, "HostNetworkAuditReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportHostNetworkAuditReportCommand : PSCmdlet
{
    private readonly List<AuditReport> reports = new();

    /// <summary>The reports to write (from Invoke-HostNetworkAudit).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public AuditReport[]? InputObject { get; set; }

    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Html, Json, Csv, JUnit or Sarif. Default: from the file extension (.html, .json, .csv, .xml, .sarif).</summary>
    [Parameter(Position = 1)]
    public ReportFormat Format { get; set; }

    /// <summary>Refuses to overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Writes the file's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            reports.AddRange(InputObject.Where(r => r is not null));
        }
    }

    protected override void EndProcessing()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path!);
        var format = MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format : InferFormat(path);
        if (format is null)
        {
            ThrowTerminatingError(ErrorRecords.Create(
                "ReportFormatUnknown",
                ErrorCategory.InvalidArgument,
                Path,
                $"Cannot tell the report format from '{Path}'. Pass -Format Html, Json, Csv, JUnit or Sarif, or use the extension .html, .json, .csv, .xml or .sarif."));
            return;
        }

        if (reports.Count == 0)
        {
            WriteWarning("No audit reports were given; nothing was written.");
            return;
        }

        var directory = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            ThrowTerminatingError(ErrorRecords.Create("ReportDirectoryNotFound", ErrorCategory.ObjectNotFound, directory, $"The folder '{directory}' does not exist."));
            return;
        }

        if (NoClobber && File.Exists(path))
        {
            ThrowTerminatingError(ErrorRecords.Create("ReportFileExists", ErrorCategory.ResourceExists, path, $"The file '{path}' already exists and -NoClobber was given."));
            return;
        }

        var clusters = string.Join(", ", reports.Select(r => r.Context).Distinct(StringComparer.Ordinal));
        if (!ShouldProcess(path, $"Write the {format} report of {reports.Count} cluster(s) ({clusters})"))
        {
            return;
        }

        var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                EngineLoader.Engine.WriteReport(reports, format.Value, stream);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            ThrowTerminatingError(ErrorRecords.Create("ReportWriteFailed", ErrorCategory.WriteError, path, $"The report could not be written to '{path}': {ex.Message}", ex));
            return;
        }
        catch (HostNetAuditException ex)
        {
            TryDelete(temporary);
            ThrowTerminatingError(ErrorRecords.From(ex));
            return;
        }

        WriteVerbose($"Wrote the {format} report of {reports.Count} cluster(s) to {path}.");
        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }

    internal static ReportFormat? InferFormat(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" or ".htm" => ReportFormat.Html,
        ".json" => ReportFormat.Json,
        ".csv" => ReportFormat.Csv,
        ".xml" or ".junit" => ReportFormat.JUnit,
        ".sarif" => ReportFormat.Sarif,
        _ => null,
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Writes audit reports (from Invoke-HostNetworkAudit) to a file: HTML for people; JSON, CSV, JUnit XML
/// or SARIF for pipelines; policy reports (wgpolicyk8s.io or openreports.io) for the Kubernetes tools that
/// read them. Reports from the pipeline are collected and written once, into one file.
/// </summary>
[Cmdlet(VerbsData.Export, "HostNetworkAuditReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PathSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportHostNetworkAuditReportCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private readonly List<AuditReport> reports = new();

    /// <summary>The reports to write (from Invoke-HostNetworkAudit).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public AuditReport[]? InputObject { get; set; }

    /// <summary>The file to write; wildcards name one existing file.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The file to write, named exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>Html, Json, Csv, JUnit, Sarif, PolicyReport or OpenReports. Default: from the file extension (.html, .json,
    /// .csv, .xml, .sarif).</summary>
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
        var named = LiteralPath ?? Path!;
        var path = PathResolver.ResolveOutputFile(this, named, literal: LiteralPath is not null);
        var format = MyInvocation.BoundParameters.ContainsKey(nameof(Format)) ? Format : InferFormat(path);
        if (format is null)
        {
            ThrowTerminatingError(ErrorRecords.Create(
                "ReportFormatUnknown",
                ErrorCategory.InvalidArgument,
                named,
                $"Cannot tell the report format from '{named}'. Pass -Format Html, Json, Csv, JUnit, Sarif, PolicyReport or OpenReports (policy reports are YAML: name them), or use the extension .html, .json, .csv, .xml or .sarif."));
            return;
        }

        if (reports.Count == 0)
        {
            WriteWarning("No audit reports were given; nothing was written.");
            return;
        }

        // Written as Set-Content writes: through a symbolic link to the file it points at (the link stays a link).
        var target = ResolveTarget(path);
        var directory = System.IO.Path.GetDirectoryName(target);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            ThrowTerminatingError(ErrorRecords.Create("ReportDirectoryNotFound", ErrorCategory.ObjectNotFound, directory, $"The folder '{directory}' does not exist."));
            return;
        }

        if (NoClobber && File.Exists(target))
        {
            ThrowTerminatingError(ErrorRecords.Create("ReportFileExists", ErrorCategory.ResourceExists, path, $"The file '{path}' already exists and -NoClobber was given."));
            return;
        }

        var clusters = string.Join(", ", reports.Select(r => r.Context).Distinct(StringComparer.Ordinal));
        if (!ShouldProcess(path, $"Write the {format} report of {reports.Count} cluster(s) ({clusters})"))
        {
            return;
        }

        var temporary = target + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        IReadOnlyList<string> warnings;
        try
        {
            // Policy reports: the file being replaced is the previous set, whose unchanged results keep their timestamps.
            var previous = format is ReportFormat.PolicyReport or ReportFormat.OpenReports && File.Exists(target) ? target : null;
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                warnings = EngineLoader.Engine.WriteReport(reports, format.Value, stream, previous);
            }

            File.Move(temporary, target, overwrite: true);
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

        foreach (var warning in warnings)
        {
            WriteWarning(warning);
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

    /// <summary>
    /// The regular file the report replaces: the path itself or, for a symbolic link, the file it finally points at
    /// (created when missing), as Set-Content writes. A folder, device node, FIFO or socket is refused: replacing one
    /// with a file (/dev/null, as root) would break the system, and writing into one makes no report.
    /// </summary>
    private string ResolveTarget(string path)
    {
        var target = path;
        if (new FileInfo(path).LinkTarget is not null)
        {
            try
            {
                target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
            }
            catch (IOException ex)
            {
                ThrowTerminatingError(ErrorRecords.Create("ReportPathNotAFile", ErrorCategory.InvalidArgument, path, $"'{path}' is a symbolic link that cannot be followed: {ex.Message}", ex));
            }
        }

        var kind = Directory.Exists(target) ? "folder" : File.Exists(target) ? SpecialFileKind(target) : null;
        if (kind is not null)
        {
            var through = target == path ? string.Empty : $" (the link points at '{target}')";
            ThrowTerminatingError(ErrorRecords.Create(
                "ReportPathNotAFile",
                ErrorCategory.InvalidArgument,
                path,
                $"'{path}' is a {kind}{through}, not a file; the report was not written. Name a regular file."));
        }

        return target;
    }

    /// <summary>"device node", "FIFO" or "socket" for such files, as PowerShell's file system provider sees them on
    /// Unix (its UnixStat); null for a regular file, and on Windows.</summary>
    private string? SpecialFileKind(string path)
    {
        string? type;
        try
        {
            var item = InvokeProvider.Item.Get(new[] { path }, force: true, literalPath: true).FirstOrDefault();
            var stat = item?.Properties["UnixStat"]?.Value;
            type = stat is null ? null : PSObject.AsPSObject(stat).Properties["ItemType"]?.Value?.ToString();
        }
        catch (Exception ex) when (ex is ProviderInvocationException or ItemNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return type switch
        {
            "CharacterDevice" or "BlockDevice" => "device node",
            "NamedPipe" => "FIFO",
            "Socket" => "socket",
            _ => null,
        };
    }

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

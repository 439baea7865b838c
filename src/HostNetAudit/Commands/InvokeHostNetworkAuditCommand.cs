using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// The control's verdict, with evidence, for one or more clusters (or offline evidence): one
/// HostNetAudit.AuditReport per cluster. -FailOnNonCompliant adds a non-terminating error after the
/// reports when the control fails, so -ErrorAction Stop fails a runbook or CI step while -OutVariable
/// keeps the reports.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "HostNetworkAudit", DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(AuditReport))]
public sealed class InvokeHostNetworkAuditCommand : HostNetAuditCmdlet
{
    private const string ActivityName = "Invoke-HostNetworkAudit";
    private readonly List<IClusterSession> clusters = new();
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);
    private bool offline;

    /// <summary>Namespaces to evaluate (wildcards). Default: all.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? Namespace { get; set; }

    /// <summary>Namespaces to leave out (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? ExcludeNamespace { get; set; }

    /// <summary>Offline evidence: files or folders of kubectl JSON output or YAML manifests (namespaces, policies, pods, workloads).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>The apiserver's AdmissionConfiguration or PodSecurityConfiguration: the Pod Security defaults and
    /// exemptions the API cannot show. Without it the built-in default (privileged) is assumed, and the report says so.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AdmissionConfiguration { get; set; }

    /// <summary>Exemptions files: namespaces and workloads that legitimately need the host network, each with a justification.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? ExemptionPath { get; set; }

    /// <summary>Verifies every namespace's verdict with server-side dry-run creates of the reference pod and its twin.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = InClusterSet)]
    public SwitchParameter Probe { get; set; }

    /// <summary>After writing the reports, writes a non-terminating error (HostNetworkControlFailed) for every
    /// cluster where the control fails.</summary>
    [Parameter]
    public SwitchParameter FailOnNonCompliant { get; set; }

    protected override void ProcessRecord()
    {
        if (IsOffline)
        {
            offline = true;
            return;
        }

        foreach (var session in GetSessions())
        {
            if (seen.Add(session.Context))
            {
                clusters.Add(session);
            }
        }
    }

    protected override void EndProcessing()
    {
        var selection = new NamespaceSelection(Namespace, ExcludeNamespace, excludeSystem: false);
        var admission = AdmissionConfiguration is null ? null : PathResolver.ResolveRequiredFiles(this, AdmissionConfiguration, "AdmissionConfigurationNotFound")[0];
        var exemptions = (ExemptionPath ?? Array.Empty<string>())
            .SelectMany(p => PathResolver.ResolveRequiredFiles(this, p, "ExemptionFileNotFound"))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        var query = new AuditQuery
        {
            Namespaces = selection.Literals,
            NamespaceFilter = selection.IsSelected,
            AdmissionConfigurationPath = admission,
            ExemptionPaths = exemptions,
            Probe = Probe.IsPresent,
            ModuleVersion = typeof(InvokeHostNetworkAuditCommand).Assembly.GetName().Version?.ToString(3) ?? string.Empty,
        };

        var reports = new List<AuditReport>();
        if (offline)
        {
            var paths = PathResolver.Resolve(this, Path!);
            if (paths.Count > 0)
            {
                WriteProgress(new ProgressRecord(1, ActivityName, "Reading offline evidence") { PercentComplete = 0 });
                try
                {
                    var report = Bridge.Wait(Task.Run(() => Engine.ReadEvidence(paths, Bridge, CancelToken).Audit(query, CancelToken), CancelToken));
                    reports.Add(report);
                    WriteObject(report);
                }
                catch (HostNetAuditException ex)
                {
                    Bridge.Drain();
                    ThrowTerminatingError(ErrorRecords.From(ex));
                }
            }
        }
        else
        {
            var index = 0;
            ForEachCluster(clusters, session =>
            {
                WriteProgress(new ProgressRecord(1, ActivityName, $"Cluster {index + 1} of {clusters.Count}: {session.Context}")
                {
                    PercentComplete = (int)(100.0 * index / Math.Max(1, clusters.Count)),
                });
                index++;
                var report = Bridge.Wait(session.AuditAsync(query, CancelToken));
                reports.Add(report);
                WriteObject(report);
            });
        }

        WriteProgress(new ProgressRecord(1, ActivityName, "Done") { RecordType = ProgressRecordType.Completed, PercentComplete = 100 });

        if (FailOnNonCompliant)
        {
            foreach (var report in reports.Where(r => !r.Passed))
            {
                var findings = report.Findings;
                var names = string.Join(", ", findings.Take(10).Select(f => $"{f.Namespace} ({f.Status})")) + (findings.Length > 10 ? $" and {findings.Length - 10} more" : string.Empty);
                var message = findings.Length == 0
                    ? $"The control '{report.Title}' fails on '{report.Context}': no namespace could be evaluated."
                    : $"The control '{report.Title}' fails on '{report.Context}': {findings.Length} namespace(s) do not refuse hostNetwork pods: {names}.";
                var record = ErrorRecords.Create("HostNetworkControlFailed", ErrorCategory.InvalidResult, report.Context, message);
                record.ErrorDetails = new ErrorDetails(message)
                {
                    RecommendedAction = "Preview the fix with Set-NamespacePodSecurity -Level Baseline -WhatIf for the NonCompliant namespaces, or declare legitimate exemptions with -ExemptionPath.",
                };
                WriteError(record);
            }
        }

        base.EndProcessing();
    }
}

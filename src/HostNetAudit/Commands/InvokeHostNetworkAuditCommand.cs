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
    /// <summary>The default of -ThrottleLimit: 20 clusters take two rounds of one cluster's time.</summary>
    internal const int DefaultThrottleLimit = 10;
    private const string ActivityName = "Invoke-HostNetworkAudit";
    private readonly List<IEvidenceSource> sources = new();

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

    /// <summary>Offline evidence named exactly as written (no wildcards, for names such as pod[1].yaml); binds PSPath
    /// by property name, so Get-ChildItem output can be piped in.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

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

    /// <summary>Clusters audited at once (default 10). Each cluster's requests are bounded on their own.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [ValidateRange(1, 128)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>API server URL, for token authentication without a kubeconfig file; bound by property name, so
    /// connection records (Server, Token, CertificateAuthorityData, ClusterName) can be piped in, one per cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TokenSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public override Uri? Server { get => base.Server; set => base.Server = value; }

    /// <summary>Bearer token (SecureString, or a string that is converted to one); bound by property name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TokenSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    [SecureStringTransformation]
    public override System.Security.SecureString? Token { get => base.Token; set => base.Token = value; }

    /// <summary>The cluster's certificate authority as base64 PEM (a kubeconfig's certificate-authority-data) or PEM
    /// text; bound by property name.</summary>
    [Parameter(ParameterSetName = TokenSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public override string? CertificateAuthorityData { get => base.CertificateAuthorityData; set => base.CertificateAuthorityData = value; }

    /// <summary>The name records carry as Context in token mode (default: the server's host and port); bound by
    /// property name.</summary>
    [Parameter(ParameterSetName = TokenSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public override string? ClusterName { get => base.ClusterName; set => base.ClusterName = value; }

    /// <summary>After writing the reports, writes a non-terminating error (HostNetworkControlFailed) for every
    /// cluster where the control fails.</summary>
    [Parameter]
    public SwitchParameter FailOnNonCompliant { get; set; }

    protected override void ProcessRecord()
    {
        sources.AddRange(GetEvidenceSources(Path, LiteralPath).Except(sources));
    }

    protected override void EndProcessing()
    {
        var selection = new NamespaceSelection(Namespace, ExcludeNamespace, excludeSystem: false);
        var query = PolicyConfiguration.Resolve(this, AdmissionConfiguration, ExemptionPath, Probe.IsPresent) with
        {
            Namespaces = selection.Named,
            NamespaceFilter = selection.IsSelected,
        };

        sources.AddRange(GetPipedEvidenceSources().Except(sources));
        if (sources.Count == 0 && ReadsFiles)
        {
            // No file matched (PathNotFound was written): the audit still runs, on no evidence, and fails.
            sources.Add(NoEvidence());
        }

        // Clusters are audited concurrently (at most -ThrottleLimit at once); each report is written on the pipeline
        // thread as its cluster finishes, and a cluster's failure does not stop the others.
        var reports = new List<AuditReport>();
        var finished = 0;
        ForEachSourceConcurrently(
            sources,
            ThrottleLimit,
            (source, cancellationToken) => source.AuditAsync(query, cancellationToken),
            (source, report) =>
            {
                finished++;
                WriteProgress(new ProgressRecord(1, ActivityName, $"Cluster {finished} of {sources.Count} audited: {source.Context}")
                {
                    PercentComplete = (int)(100.0 * finished / Math.Max(1, sources.Count)),
                });
                reports.Add(report);
                WriteObject(report);
            });

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
                    RecommendedAction = "Each failing namespace's Remediation names its fix (Fix): a Pod Security label where nothing there would break (preview it with Set-NamespacePodSecurity -Level Baseline -WhatIf), else the targeted policy: declare (with a justification) or change the hostNetwork workloads it names, then preview the whole cluster with Invoke-HostNetworkAudit | Set-HostNetworkPolicy -ExemptionPath <file> -WhatIf.",
                };
                WriteError(record);
            }
        }

        base.EndProcessing();
    }
}

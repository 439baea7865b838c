using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Publishes audit reports (from Invoke-HostNetworkAudit) into the clusters they audited, as the policy reports
/// Kubernetes tools read (wgpolicyk8s.io/v1alpha2: a ClusterPolicyReport of namespace verdicts, a PolicyReport per
/// namespace with hostNetwork workloads). Per cluster: preview (read what the module wrote before, compare,
/// server-side dry-run), then ShouldProcess and the write (server-side apply with the module's field manager, or
/// the delete of a report the audit no longer makes), on the pipeline thread. Unchanged reports get no write.
/// </summary>
[Cmdlet(VerbsData.Publish, "HostNetworkAuditReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(PolicyReportChange))]
public sealed class PublishHostNetworkAuditReportCommand : HostNetAuditCmdlet
{
    /// <summary>The reports to publish (from Invoke-HostNetworkAudit); each one's Context names its cluster.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public AuditReport[]? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var report in InputObject ?? Array.Empty<AuditReport>())
        {
            if (report is null)
            {
                continue;
            }

            if (report.Source is not { } source || !(source.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
            {
                WriteError(ErrorRecords.Create("ReportNotFromCluster", ErrorCategory.InvalidArgument, report.Context, $"The report of '{report.Context}' was made from files, not from a cluster: it has no cluster to be published into. Write it with Export-HostNetworkAuditReport -Format PolicyReport instead."));
                continue;
            }

            ForEachSource(GetClusters(), session => Publish(session, report), severalSources: true);
        }
    }

    private void Publish(IClusterSession session, AuditReport report)
    {
        if (!string.Equals(session.Context, report.Context, StringComparison.Ordinal))
        {
            // A report says what one cluster showed; written into another it would be wrong there.
            WriteError(ErrorRecords.Create("ReportContextMismatch", ErrorCategory.InvalidArgument, report.Context, $"The report of '{report.Context}' is not published into '{session.Context}': pipe it with its Context (Invoke-HostNetworkAudit | Publish-HostNetworkAuditReport), or name -Context '{report.Context}'."));
            return;
        }

        var plans = Bridge.Wait(session.PolicyReports.PreviewAsync(report, CancelToken));
        foreach (var plan in plans)
        {
            var record = plan.Record;
            if (plan.Decision != PolicyReportDecision.Unchanged)
            {
                var delete = plan.Decision == PolicyReportDecision.Delete;
                if (ShouldProcess(plan.Description, plan.Description + " Publish this change?", "Publish-HostNetworkAuditReport", out var reason))
                {
                    Bridge.Wait(session.PolicyReports.ApplyAsync(plan, CancelToken));
                }
                else
                {
                    record.Action = reason == ShouldProcessReason.WhatIf ? (delete ? "WouldDelete" : "WouldApply") : "Skipped";
                }
            }

            WriteObject(record);
        }
    }
}

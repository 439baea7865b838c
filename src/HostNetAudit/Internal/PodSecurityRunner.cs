using System.Management.Automation;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>
/// The order Set- and Restore-NamespacePodSecurity share on one cluster: preview every namespace (engine,
/// bounded parallel), then on the pipeline thread ShouldProcess per namespace with a message naming what
/// would break, then the writes in batches (bounded parallel), writing records in input order as each batch
/// ends, with progress and a Completed record.
/// </summary>
internal sealed class PodSecurityRunner
{
    private const int BatchSize = 50;
    private const int ProgressId = 5200;
    private readonly PSCmdlet cmdlet;
    private readonly EngineBridge bridge;
    private readonly int throttleLimit;
    private readonly CancellationToken cancellationToken;

    public PodSecurityRunner(PSCmdlet cmdlet, EngineBridge bridge, int throttleLimit, CancellationToken cancellationToken)
    {
        this.cmdlet = cmdlet;
        this.bridge = bridge;
        this.throttleLimit = throttleLimit;
        this.cancellationToken = cancellationToken;
    }

    public void Run(IClusterSession session, IReadOnlyList<PodSecurityRequest> requests)
    {
        if (requests.Count == 0)
        {
            return;
        }

        var remediation = session.PodSecurity;
        var plans = bridge.Wait(remediation.PlanAsync(requests, throttleLimit, cancellationToken));
        var caption = cmdlet.MyInvocation.MyCommand.Name;
        var activity = $"{caption}: {session.Context}";
        var written = 0;
        try
        {
            for (var start = 0; start < plans.Count; start += BatchSize)
            {
                var batch = plans.Skip(start).Take(BatchSize).ToList();
                var approved = new List<PodSecurityPlan>();
                foreach (var plan in batch)
                {
                    if (plan.Warning is not null)
                    {
                        cmdlet.WriteWarning(plan.Warning);
                    }

                    Decide(plan, caption, approved);
                }

                var outcomes = approved.Count == 0
                    ? Array.Empty<PodSecurityOutcome>()
                    : bridge.Wait(remediation.ApplyAsync(approved, throttleLimit, cancellationToken));
                var errors = outcomes.Where(o => o.Error is not null).ToDictionary(o => o.Record, o => o.Error!);
                foreach (var plan in batch)
                {
                    if (errors.TryGetValue(plan.Record, out var error))
                    {
                        cmdlet.WriteError(ErrorRecords.From(error));
                    }

                    cmdlet.WriteObject(plan.Record);
                    written++;
                }

                cmdlet.WriteProgress(new ProgressRecord(ProgressId, activity, $"{written} of {plans.Count} namespaces")
                {
                    PercentComplete = 100 * written / plans.Count,
                });
            }
        }
        finally
        {
            cmdlet.WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed, PercentComplete = 100 });
        }
    }

    private void Decide(PodSecurityPlan plan, string caption, List<PodSecurityPlan> approved)
    {
        var record = plan.Record;
        switch (plan.Decision)
        {
            case PodSecurityDecision.Apply:
                var warning = plan.Description + " Apply this change?";
                if (cmdlet.ShouldProcess(plan.Description, warning, caption, out var reason))
                {
                    approved.Add(plan);
                }
                else if (reason == ShouldProcessReason.WhatIf)
                {
                    record.Action = "WouldApply";
                }
                else
                {
                    record.Action = "Skipped";
                    record.LabelsAfter = new Dictionary<string, string>(record.LabelsBefore, StringComparer.Ordinal);
                    record.Reason = "Declined at the confirmation prompt.";
                }

                break;
            case PodSecurityDecision.Unchanged:
                record.Action = "Unchanged";
                break;
            case PodSecurityDecision.Skip:
                record.Action = "Skipped";
                record.LabelsAfter = new Dictionary<string, string>(record.LabelsBefore, StringComparer.Ordinal);
                if (plan.Error is not null)
                {
                    cmdlet.WriteError(ErrorRecords.From(plan.Error));
                }

                break;
            default:
                record.Action = "Failed";
                record.LabelsAfter = new Dictionary<string, string>(record.LabelsBefore, StringComparer.Ordinal);
                if (plan.Error is not null)
                {
                    cmdlet.WriteError(ErrorRecords.From(plan.Error));
                }

                break;
        }
    }
}

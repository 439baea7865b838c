using System.Management.Automation;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>
/// The order Set- and Restore-NamespacePodSecurity share on one cluster: preview every namespace (engine,
/// bounded parallel), then on the pipeline thread, namespace by namespace in input order, ShouldProcess with a
/// message naming what would break, the record, and the write (at most throttleLimit in flight), with progress
/// and a Completed record.
/// </summary>
/// <remarks>
/// Each record is written to the pipeline before its patch is sent, never after: once Ctrl+C stops the pipeline
/// nothing more can be written to it, so a write whose record was still to come would be a change nobody can undo.
/// A patch that then fails gets an error naming the namespace, and the engine turns its record to Failed; a copy
/// taken as the record went out (Export-Clixml in the pipeline) still says Applied, and restoring it changes
/// nothing, because the labels are as before.
/// </remarks>
internal sealed class PodSecurityRunner
{
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

    /// <summary>Previews one cluster and writes its changes (both on this thread's turn).</summary>
    public void Run(IClusterSession session, IReadOnlyList<PodSecurityRequest> requests) =>
        Execute(session, bridge.Wait(PreviewAsync(session, requests)));

    /// <summary>The preview of one cluster's namespaces (reads and dry runs, no write): may run while other clusters
    /// are previewed or written; <see cref="Execute"/> then takes its plans on the pipeline thread.</summary>
    public Task<IReadOnlyList<PodSecurityPlan>> PreviewAsync(IClusterSession session, IReadOnlyList<PodSecurityRequest> requests) =>
        requests.Count == 0
            ? Task.FromResult<IReadOnlyList<PodSecurityPlan>>(Array.Empty<PodSecurityPlan>())
            : session.PodSecurity.PlanAsync(requests, throttleLimit, cancellationToken);

    /// <summary>ShouldProcess, the records and the writes of one cluster's plans, in input order. Pipeline thread only.</summary>
    public void Execute(IClusterSession session, IReadOnlyList<PodSecurityPlan> plans)
    {
        if (plans.Count == 0)
        {
            return;
        }

        var remediation = session.PodSecurity;
        var caption = cmdlet.MyInvocation.MyCommand.Name;
        var activity = $"{caption}: {session.Context}";
        var done = 0;
        var writing = new List<Task<IReadOnlyList<PodSecurityOutcome>>>();
        void Progress() => cmdlet.WriteProgress(new ProgressRecord(ProgressId, activity, $"{done} of {plans.Count} namespaces")
        {
            PercentComplete = 100 * done / plans.Count,
        });

        // A write that finished: its error, if any (the record went out before the write).
        void Finish(Task<IReadOnlyList<PodSecurityOutcome>> write)
        {
            writing.Remove(write);
            foreach (var outcome in write.GetAwaiter().GetResult().Where(o => o.Error is not null))
            {
                cmdlet.WriteError(ErrorRecords.From(outcome.Error!));
            }

            done++;
            Progress();
        }

        try
        {
            foreach (var plan in plans)
            {
                if (plan.Warning is not null)
                {
                    cmdlet.WriteWarning(plan.Warning);
                }

                if (!Decide(plan, caption))
                {
                    cmdlet.WriteObject(plan.Record);
                    done++;
                    Progress();
                    continue;
                }

                while (writing.Count >= throttleLimit)
                {
                    Finish(bridge.Wait(Task.WhenAny(writing)));
                }

                plan.Record.SetAction(PodSecurityChangeAction.Applied);
                cmdlet.WriteObject(plan.Record);
                writing.Add(remediation.ApplyAsync(new[] { plan }, 1, cancellationToken));
            }

            while (writing.Count > 0)
            {
                Finish(bridge.Wait(Task.WhenAny(writing)));
            }
        }
        finally
        {
            cmdlet.WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed, PercentComplete = 100 });
        }
    }

    /// <summary>Fills in the record of a plan that is not written; true when the plan is to be written.</summary>
    private bool Decide(PodSecurityPlan plan, string caption)
    {
        var record = plan.Record;
        switch (plan.Decision)
        {
            case PodSecurityDecision.Apply:
                var warning = plan.Description + " Apply this change?";
                if (cmdlet.ShouldProcess(plan.Description, warning, caption, out var reason))
                {
                    return true;
                }

                if (reason == ShouldProcessReason.WhatIf)
                {
                    record.SetAction(PodSecurityChangeAction.WouldApply);
                }
                else
                {
                    record.SetAction(PodSecurityChangeAction.Skipped);
                    record.LabelsAfter = new Dictionary<string, string>(record.LabelsBefore, StringComparer.Ordinal);
                    record.Reason = "Declined at the confirmation prompt.";
                }

                break;
            case PodSecurityDecision.Unchanged:
                record.SetAction(PodSecurityChangeAction.Unchanged);
                break;
            case PodSecurityDecision.Skip:
                record.SetAction(PodSecurityChangeAction.Skipped);
                record.LabelsAfter = new Dictionary<string, string>(record.LabelsBefore, StringComparer.Ordinal);
                if (plan.Error is not null)
                {
                    cmdlet.WriteError(ErrorRecords.From(plan.Error));
                }

                break;
            default:
                record.SetAction(PodSecurityChangeAction.Failed);
                record.LabelsAfter = new Dictionary<string, string>(record.LabelsBefore, StringComparer.Ordinal);
                if (plan.Error is not null)
                {
                    cmdlet.WriteError(ErrorRecords.From(plan.Error));
                }

                break;
        }

        return false;
    }
}

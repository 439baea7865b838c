using System.Management.Automation;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>
/// The order Set-, Remove- and Restore-HostNetworkPolicy share on one cluster: the engine's preview (reads and
/// server-side dry runs), its warnings and non-terminating errors, then ShouldProcess with the preview's description,
/// then the write, then the record. -WhatIf stops before the write: no write request leaves.
/// </summary>
internal sealed class HostNetworkPolicyRunner
{
    private readonly PSCmdlet cmdlet;
    private readonly EngineBridge bridge;
    private readonly CancellationToken cancellationToken;

    public HostNetworkPolicyRunner(PSCmdlet cmdlet, EngineBridge bridge, CancellationToken cancellationToken)
    {
        this.cmdlet = cmdlet;
        this.bridge = bridge;
        this.cancellationToken = cancellationToken;
    }

    public void Run(Func<CancellationToken, Task<HostNetworkPolicyChangePlan>> preview, IClusterSession session)
    {
        var plan = bridge.Wait(preview(cancellationToken));
        foreach (var warning in plan.Warnings)
        {
            cmdlet.WriteWarning(warning);
        }

        foreach (var error in plan.Errors)
        {
            cmdlet.WriteError(ErrorRecords.From(error));
        }

        var record = plan.Record;
        switch (plan.Decision)
        {
            case HostNetworkPolicyDecision.Apply:
                var caption = cmdlet.MyInvocation.MyCommand.Name;
                if (cmdlet.ShouldProcess(plan.Description, plan.Description + Environment.NewLine + "Apply this change?", caption, out var reason))
                {
                    // Once started, the write runs to its end (a rollback included): Ctrl+C must not leave half a change.
                    foreach (var error in bridge.Wait(session.HostNetworkPolicy.ApplyAsync(plan, CancellationToken.None)))
                    {
                        cmdlet.WriteError(ErrorRecords.From(error));
                    }
                }
                else if (reason == ShouldProcessReason.WhatIf)
                {
                    record.SetAction(HostNetworkPolicyAction.WouldApply);
                }
                else
                {
                    record.SetAction(HostNetworkPolicyAction.Skipped);
                    record.PolicyAfter = record.PolicyBefore;
                    record.BindingAfter = record.BindingBefore;
                    record.Reason = "Declined at the confirmation prompt.";
                }

                break;
            case HostNetworkPolicyDecision.Unchanged:
                record.SetAction(HostNetworkPolicyAction.Unchanged);
                break;
            case HostNetworkPolicyDecision.Skip:
                record.SetAction(HostNetworkPolicyAction.Skipped);
                break;
            default:
                record.SetAction(HostNetworkPolicyAction.Failed);
                break;
        }

        cmdlet.WriteObject(record);
    }
}

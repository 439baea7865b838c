using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Deletes the module's targeted hostNetwork policy of a cluster: only objects labelled
/// app.kubernetes.io/managed-by=HostNetAudit, the binding first, each with its uid and resourceVersion as
/// preconditions. The record keeps both objects, so Restore-HostNetworkPolicy puts them back.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "HostNetworkPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(HostNetworkPolicyChange))]
public sealed class RemoveHostNetworkPolicyCommand : HostNetAuditCmdlet
{
    private readonly List<IClusterSession> clusters = new();

    protected override void ProcessRecord() =>
        CollectLiveClusters(clusters, "A record read from files (-Path) describes no cluster: Remove-HostNetworkPolicy changes live clusters only.");

    protected override void EndProcessing()
    {
        var runner = new HostNetworkPolicyRunner(this, Bridge, CancelToken);
        ForEachSource(clusters, session => runner.Run(token => session.HostNetworkPolicy.PlanRemoveAsync(token), session));
        base.EndProcessing();
    }
}

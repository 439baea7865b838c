using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Creates or updates the targeted hostNetwork admission policy (a ValidatingAdmissionPolicy and its binding) of a
/// cluster from an exemptions file, by server-side apply with the module's field manager: preview first (the
/// server-side dry run and the module's own evaluation of every running pod and template), then ShouldProcess, then
/// the write, then proof that the policy enforces (or a rollback).
/// </summary>
[Cmdlet(VerbsCommon.Set, "HostNetworkPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(HostNetworkPolicyChange))]
public sealed class SetHostNetworkPolicyCommand : HostNetAuditCmdlet
{
    private readonly List<IClusterSession> clusters = new();
    private string[] exemptionPaths = Array.Empty<string>();

    /// <summary>The exemptions files (HostNetworkExemptions) the policy's exceptions and exempt namespaces come from.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[]? ExemptionPath { get; set; }

    /// <summary>What the binding does with a refused request: Deny (default), Warn or Audit.</summary>
    [Parameter]
    public PolicyValidationAction ValidationAction { get; set; } = PolicyValidationAction.Deny;

    /// <summary>Also protects namespaces that run undeclared hostNetwork workloads, and takes over fields another field manager owns.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Carries exact-name exemption entries that match nothing now into the policy.</summary>
    [Parameter]
    public SwitchParameter IncludeUnmatched { get; set; }

    /// <summary>How long to wait, after the write, for the apiserver to observe the policy before it is rolled back.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int EnforcementTimeoutSec { get; set; } = 30;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        exemptionPaths = ExemptionPath!.Select(p => GetUnresolvedProviderPathFromPSPath(p)).ToArray();
    }

    // Only Context binds from the pipeline (an audit's reports, records with a Context): each cluster once.
    protected override void ProcessRecord() =>
        CollectLiveClusters(clusters, "A record read from files (-Path) describes no cluster: Set-HostNetworkPolicy changes live clusters only. Pipe the records of a live audit, or name the cluster with -Context.");

    protected override void EndProcessing()
    {
        var runner = new HostNetworkPolicyRunner(this, Bridge, CancelToken);
        var request = new HostNetworkPolicySetRequest
        {
            ExemptionPaths = exemptionPaths,
            ValidationAction = ValidationAction,
            Force = Force.IsPresent,
            IncludeUnmatched = IncludeUnmatched.IsPresent,
            StatusTimeout = TimeSpan.FromSeconds(EnforcementTimeoutSec),
        };
        ForEachSource(clusters, session => runner.Run(token => session.HostNetworkPolicy.PlanSetAsync(request, token), session));
        base.EndProcessing();
    }

    /// <summary>The Context of records read from files (-Path).</summary>
    internal const string OfflineContext = "offline";
}

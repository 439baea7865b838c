using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Undoes Set- or Remove-HostNetworkPolicy from its records: puts the policy and binding back exactly as the record's
/// PolicyBefore and BindingBefore hold them (spec, labels and annotations; deleted when they did not exist), in the
/// record's own Context, newest record first, and refuses when the objects changed since the record (unless -Force).
/// Records bind by property name, so they work live, after Export-Clixml/Import-Clixml and ConvertTo-Json/ConvertFrom-Json.
/// </summary>
[Cmdlet(VerbsData.Restore, "HostNetworkPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(HostNetworkPolicyChange))]
public sealed class RestoreHostNetworkPolicyCommand : HostNetAuditCmdlet
{
    private readonly List<(IClusterSession Session, HostNetworkPolicyChange Change, int Order)> work = new();

    /// <summary>The record's Action: only Applied (and Failed, whose After says what exists) records changed anything.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Action { get; set; }

    /// <summary>The policy before the change (JSON text; empty when it did not exist).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? PolicyBefore { get; set; }

    /// <summary>The binding before the change (JSON text; empty when it did not exist).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? BindingBefore { get; set; }

    /// <summary>The policy the change left (JSON text): the cluster must still hold it, unless -Force.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? PolicyAfter { get; set; }

    /// <summary>The binding the change left (JSON text): the cluster must still hold it, unless -Force.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? BindingAfter { get; set; }

    /// <summary>The policy's name in the record.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string? PolicyName { get; set; }

    /// <summary>The binding's name in the record.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string? BindingName { get; set; }

    /// <summary>When the record was made: records of one cluster are undone newest first.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TimestampTransformation]
    public DateTimeOffset Timestamp { get; set; }

    /// <summary>Restores even when the objects changed since the record.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        RefuseContextWithRecords();
    }

    protected override void ProcessRecord()
    {
        var change = new HostNetworkPolicyChange
        {
            Context = Context?.FirstOrDefault() ?? string.Empty,
            Action = Action!,
            PolicyBefore = PolicyBefore,
            BindingBefore = BindingBefore,
            PolicyAfter = PolicyAfter,
            BindingAfter = BindingAfter,
            PolicyName = PolicyName ?? string.Empty,
            BindingName = BindingName ?? string.Empty,
            Timestamp = Timestamp,
        };
        if (string.Equals(change.Context, SetHostNetworkPolicyCommand.OfflineContext, StringComparison.Ordinal))
        {
            WriteError(ErrorRecords.Create("OfflineRecordRefused", ErrorCategory.InvalidArgument, change.Context, "A record read from files (-Path) describes no cluster: nothing to restore."));
            return;
        }

        foreach (var session in GetClusters())
        {
            work.Add((session, change, work.Count));
        }
    }

    protected override void EndProcessing()
    {
        var runner = new HostNetworkPolicyRunner(this, Bridge, CancelToken);
        var sessions = work.Select(w => w.Session).Distinct().ToList();
        ForEachSource(sessions, session =>
        {
            foreach (var (_, change, _) in work.Where(w => w.Session == session).OrderByDescending(w => w.Change.Timestamp).ThenByDescending(w => w.Order))
            {
                runner.Run(token => session.HostNetworkPolicy.PlanRestoreAsync(change, Force.IsPresent, token), session);
            }
        });

        base.EndProcessing();
    }
}

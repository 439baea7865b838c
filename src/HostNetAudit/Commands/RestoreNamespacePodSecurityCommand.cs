using System.Collections;
using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Undoes Set-NamespacePodSecurity from its records: returns each namespace's pod-security.kubernetes.io/*
/// labels exactly to LabelsBefore (removing those that did not exist), in the record's own Context, and
/// refuses when the labels changed since the record (unless -Force). Records bind by property name, so
/// they work live, after Export-Clixml/Import-Clixml and after ConvertTo-Json/ConvertFrom-Json.
/// </summary>
[Cmdlet(VerbsData.Restore, "NamespacePodSecurity", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(PodSecurityChange))]
public sealed class RestoreNamespacePodSecurityCommand : HostNetAuditCmdlet
{
    private readonly List<(IClusterSession Session, PodSecurityRequest Request)> work = new();

    /// <summary>The namespace of the record.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>The pod-security labels to return to (the record's LabelsBefore).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [LabelSetTransformation]
    public Hashtable? LabelsBefore { get; set; }

    /// <summary>The pod-security labels the change left (the record's LabelsAfter): the namespace must still have them.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [LabelSetTransformation]
    public Hashtable? LabelsAfter { get; set; }

    /// <summary>The record's Action; only Applied records changed anything, others are skipped.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Action { get; set; }

    /// <summary>Restores even when the labels changed since the record, or pods or templates would break.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Requests in flight at once per cluster (namespaces previewed and written in parallel). The old name
    /// -ThrottleLimit is kept as an alias.</summary>
    [Parameter]
    [Alias("ThrottleLimit")]
    [ValidateRange(1, 64)]
    public int NamespaceThrottleLimit { get; set; } = 8;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (MyInvocation.ExpectingInput && MyInvocation.BoundParameters.ContainsKey(nameof(Context)))
        {
            ThrowTerminatingError(ErrorRecords.Create(
                "ContextWithPipelineInput",
                ErrorCategory.InvalidArgument,
                string.Join(",", Context ?? Array.Empty<string>()),
                "Restore-NamespacePodSecurity acts on each record's own Context: do not pass -Context with records from the pipeline (filter them with Where-Object Context -eq ...)."));
        }
    }

    protected override void ProcessRecord()
    {
        var ns = Namespace!;
        var before = ToLabels(LabelsBefore, ns);
        var after = ToLabels(LabelsAfter, ns);
        if (Action is not null && !string.Equals(Action, nameof(PodSecurityChangeAction.Applied), StringComparison.OrdinalIgnoreCase))
        {
            WriteVerbose($"Namespace '{ns}': the record's action is {Action}; it changed nothing, so nothing is restored.");
            WriteObject(new PodSecurityChange
            {
                Context = Context?.FirstOrDefault() ?? string.Empty,
                Namespace = ns,
                Operation = "Restore",
                Action = nameof(PodSecurityChangeAction.Skipped),
                LabelsBefore = after,
                LabelsAfter = after,
                Reason = $"The record's action is {Action}: it changed nothing, so there is nothing to restore.",
            });
            return;
        }

        foreach (var session in GetClusters())
        {
            work.Add((session, new PodSecurityRequest
            {
                Namespace = ns,
                Operation = PodSecurityOperation.Restore,
                RestoreLabels = before,
                ExpectedLabels = after,
                Force = Force.IsPresent,
                SystemNamespaceNamed = true,
            }));
        }
    }

    protected override void EndProcessing()
    {
        var runner = new PodSecurityRunner(this, Bridge, NamespaceThrottleLimit, CancelToken);
        var sessions = work.Select(w => w.Session).Distinct().ToList();
        ForEachSource(sessions, session =>
        {
            // Several records for one namespace are restored one after another, in input order.
            var pending = work.Where(w => w.Session == session).Select(w => w.Request).ToList();
            while (pending.Count > 0)
            {
                var round = pending.GroupBy(r => r.Namespace, StringComparer.Ordinal).Select(g => g.First()).ToList();
                runner.Run(session, round);
                foreach (var done in round)
                {
                    pending.Remove(done);
                }
            }
        });

        base.EndProcessing();
    }

    private Dictionary<string, string> ToLabels(Hashtable? labels, string ns)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in labels ?? new Hashtable())
        {
            var key = entry.Key.ToString()!;
            if (!key.StartsWith("pod-security.kubernetes.io/", StringComparison.Ordinal))
            {
                WriteWarning($"Namespace '{ns}': the record's label '{key}' is not a pod-security.kubernetes.io label; it is ignored.");
                continue;
            }

            result[key] = entry.Value?.ToString() ?? string.Empty;
        }

        return result;
    }
}

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
        RefuseContextWithRecords();
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

        // Several records for one namespace are restored one after another, in input order: a round holds one
        // record per namespace. Every cluster's first round is previewed at once (a few clusters at a time); the
        // writes, and the later rounds, run cluster by cluster in Context order on the pipeline thread.
        var rounds = sessions.ToDictionary(s => s, s => Rounds(work.Where(w => w.Session == s).Select(w => w.Request).ToList()));
        using var slots = new SemaphoreSlim(InvokeHostNetworkAuditCommand.DefaultThrottleLimit);
        async Task<IReadOnlyList<PodSecurityPlan>> PreviewAsync(IClusterSession session)
        {
            await slots.WaitAsync(CancelToken).ConfigureAwait(false);
            try
            {
                return await runner.PreviewAsync(session, rounds[session][0]).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        }

        var previews = sessions.ToDictionary(s => s, PreviewAsync);
        try
        {
            ForEachSource(sessions, session =>
            {
                runner.Execute(session, Bridge.Wait(previews[session]));
                foreach (var round in rounds[session].Skip(1))
                {
                    runner.Run(session, round);
                }
            });
        }
        finally
        {
            foreach (var preview in previews.Values.Where(p => !p.IsCompleted))
            {
                ((IAsyncResult)preview).AsyncWaitHandle.WaitOne();
            }
        }

        base.EndProcessing();
    }

    /// <summary>The requests in rounds of one per namespace, in input order (a namespace's second record goes in the second round).</summary>
    private static List<List<PodSecurityRequest>> Rounds(List<PodSecurityRequest> pending)
    {
        var rounds = new List<List<PodSecurityRequest>>();
        while (pending.Count > 0)
        {
            var round = pending.GroupBy(r => r.Namespace, StringComparer.Ordinal).Select(g => g.First()).ToList();
            rounds.Add(round);
            foreach (var done in round)
            {
                pending.Remove(done);
            }
        }

        return rounds.Count == 0 ? new List<List<PodSecurityRequest>> { new() } : rounds;
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

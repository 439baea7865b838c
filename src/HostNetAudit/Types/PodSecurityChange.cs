namespace HostNetAudit;

/// <summary>A Pod Security Standards level, as the pod-security.kubernetes.io labels name it.</summary>
public enum PodSecurityLevel
{
    /// <summary>No restrictions: admits hostNetwork pods. Set only with -Force.</summary>
    Privileged,

    /// <summary>Refuses known privilege escalations, hostNetwork among them.</summary>
    Baseline,

    /// <summary>Baseline plus hardening (non-root, no privilege escalation, seccomp, capabilities dropped).</summary>
    Restricted,
}

/// <summary>A Pod Security Admission mode: one label each.</summary>
public enum PodSecurityMode
{
    /// <summary>Violating pods are refused.</summary>
    Enforce,

    /// <summary>Violating pods are admitted with a warning to the client.</summary>
    Warn,

    /// <summary>Violating pods are admitted and recorded in the audit log.</summary>
    Audit,
}

/// <summary>
/// One change (or planned, refused or failed change) of a namespace's pod-security.kubernetes.io labels.
/// Output of Set-NamespacePodSecurity and Restore-NamespacePodSecurity; Restore-NamespacePodSecurity takes
/// it back (by property name, also after Export-Clixml/Import-Clixml or ConvertTo-Json/ConvertFrom-Json).
/// ConvertTo-Json needs -Depth 4 to keep WouldBreak's reasons; the labels need only the default depth.
/// </summary>
public sealed class PodSecurityChange
{
    /// <summary>The kubeconfig context (or token-mode cluster name) of the namespace's cluster.</summary>
    public string Context { get; set; } = string.Empty;

    public string Namespace { get; set; } = string.Empty;

    /// <summary>Set or Restore.</summary>
    public string Operation { get; set; } = "Set";

    /// <summary>Applied, WouldApply (-WhatIf), Unchanged (labels already as asked), Skipped (refused or declined), Failed.</summary>
    public string Action { get; set; } = string.Empty;

    /// <summary>The namespace's pod-security.kubernetes.io/* labels before the change.</summary>
    public Dictionary<string, string> LabelsBefore { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The pod-security.kubernetes.io/* labels after the change: as written (Applied), as planned (WouldApply),
    /// or as they stayed (Unchanged, Skipped, Failed).
    /// </summary>
    public Dictionary<string, string> LabelsAfter { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The enforce level before, "level" or "level:version"; "-" when not labelled.</summary>
    public string EnforceBefore => Describe(LabelsBefore, "enforce");

    /// <summary>The enforce level after, "level" or "level:version"; "-" when not labelled.</summary>
    public string EnforceAfter => Describe(LabelsAfter, "enforce");

    /// <summary>Every running pod and workload template the new enforce level refuses, with its reasons.</summary>
    public PodSecurityViolation[] WouldBreak { get; set; } = Array.Empty<PodSecurityViolation>();

    /// <summary>How many pods and templates the new enforce level refuses.</summary>
    public int WouldBreakCount => WouldBreak.Length;

    /// <summary>The apiserver's Warning headers from the server-side dry-run of the same patch.</summary>
    public string[] Warnings { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The apiserver's own check of existing pods was cut short (it checks at most 3,000 pods for about 1 s and
    /// caps warnings at 4,096 characters); WouldBreak is the module's complete listing.
    /// </summary>
    public bool ApiServerCheckTruncated { get; set; }

    /// <summary>One sentence: why this action.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>The namespace's resourceVersion after the write (Applied), else when it was read.</summary>
    public string? ResourceVersion { get; set; }

    /// <summary>The API server URL (display only).</summary>
    public string? Server { get; set; }

    /// <summary>When the record was made (UTC).</summary>
    public DateTimeOffset Timestamp { get; set; } = DateTimeOffset.UtcNow;

    public override string ToString() => Namespace + ": " + Action;

    /// <summary>Sets <see cref="Action"/> from the typed action (the record keeps the string).</summary>
    internal void SetAction(PodSecurityChangeAction action) => Action = action.ToString();

    private static string Describe(Dictionary<string, string>? labels, string mode)
    {
        if (labels is null)
        {
            return "-";
        }

        labels.TryGetValue("pod-security.kubernetes.io/" + mode, out var level);
        labels.TryGetValue("pod-security.kubernetes.io/" + mode + "-version", out var version);
        if (level is null && version is null)
        {
            return "-";
        }

        return version is null ? level! : (level ?? "(default)") + ":" + version;
    }
}

/// <summary>What became of a requested label change (the record's Action).</summary>
internal enum PodSecurityChangeAction
{
    /// <summary>The labels were written.</summary>
    Applied,

    /// <summary>-WhatIf: the labels would be written.</summary>
    WouldApply,

    /// <summary>The labels are already as asked.</summary>
    Unchanged,

    /// <summary>Refused (a check failed, the record changed nothing) or declined at the prompt.</summary>
    Skipped,

    /// <summary>The write failed.</summary>
    Failed,
}

/// <summary>A pod or workload template that a Pod Security level refuses.</summary>
public sealed class PodSecurityViolation
{
    /// <summary>Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob or ReplicationController.</summary>
    public string Kind { get; set; } = string.Empty;

    public string Namespace { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>For pods: "Kind/Name" of the top controller, or null for a bare pod.</summary>
    public string? Owner { get; set; }

    /// <summary>Running, Pending (pods); "0 replicas", "suspended", "scheduled on no node", a schedule (templates).</summary>
    public string? State { get; set; }

    /// <summary>The level and version it was checked against, e.g. "baseline:latest".</summary>
    public string Level { get; set; } = string.Empty;

    /// <summary>The failed checks as the apiserver words them, e.g. "host namespaces (hostNetwork=true)".</summary>
    public string[] Reasons { get; set; } = Array.Empty<string>();

    /// <summary>"Kind/Name".</summary>
    public override string ToString() => Kind + "/" + Name;
}

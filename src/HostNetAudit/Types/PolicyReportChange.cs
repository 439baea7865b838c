namespace HostNetAudit;

/// <summary>
/// One PolicyReport or ClusterPolicyReport (wgpolicyk8s.io/v1alpha2) that Publish-HostNetworkAuditReport wrote,
/// would write, left as it was, or removed.
/// </summary>
public sealed class PolicyReportChange
{
    /// <summary>The cluster's context.</summary>
    public string Context { get; set; } = string.Empty;

    /// <summary>ClusterPolicyReport or PolicyReport.</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>The namespace of a PolicyReport; null for the ClusterPolicyReport.</summary>
    public string? Namespace { get; set; }

    /// <summary>hostnetaudit (hostnetaudit-1, ... when the results are split to stay under 1 MiB).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Applied, WouldApply, Unchanged, Deleted or WouldDelete.</summary>
    public string Action { get; set; } = string.Empty;

    /// <summary>The results the object holds after the change (0 when it is removed).</summary>
    public int Results { get; set; }

    /// <summary>The summary after the change, as pass/fail/warn/error/skip counts ("pass=3 fail=1").</summary>
    public string? Summary { get; set; }

    /// <summary>The object's resourceVersion after the write, else when it was read.</summary>
    public string? ResourceVersion { get; set; }

    public override string ToString() => (Namespace is null ? Kind : Namespace + "/" + Kind) + "/" + Name + ": " + Action;
}

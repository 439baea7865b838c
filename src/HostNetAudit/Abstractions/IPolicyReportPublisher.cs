namespace HostNetAudit.Abstractions;

/// <summary>What the engine decided for one policy report object after its preview.</summary>
internal enum PolicyReportDecision
{
    /// <summary>The object is missing or differs: ShouldProcess, then ApplyAsync (server-side apply).</summary>
    Apply,

    /// <summary>A report the module wrote before that the audit no longer produces: ShouldProcess, then ApplyAsync (delete).</summary>
    Delete,

    /// <summary>The object in the cluster already says what the audit says: no write.</summary>
    Unchanged,
}

/// <summary>The preview of one PolicyReport or ClusterPolicyReport: what would be written, and the engine's state for the write.</summary>
internal sealed class PolicyReportPlan
{
    public PolicyReportPlan(PolicyReportChange record, PolicyReportDecision decision)
    {
        Record = record;
        Decision = decision;
    }

    /// <summary>The record so far (Action is filled by the cmdlet or ApplyAsync).</summary>
    public PolicyReportChange Record { get; }

    public PolicyReportDecision Decision { get; }

    /// <summary>For ShouldProcess: what would change, in one sentence.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Engine-private: the object to apply, or the resourceVersion to delete.</summary>
    public object? State { get; init; }
}

/// <summary>
/// Publishes an audit's policy reports into its cluster (Publish-HostNetworkAuditReport): previews every object
/// (read what the module wrote before, compare, server-side dry-run), then writes the ones the cmdlet confirms.
/// </summary>
internal interface IPolicyReportPublisher
{
    /// <summary>Reads the reports the module wrote before (by label, named hostnetaudit), builds the new ones from
    /// <paramref name="report"/> (unchanged results keep their timestamps) and plans each: apply, delete or nothing.
    /// A missing CRD is a <see cref="HostNetAuditException"/> (PolicyReportCrdMissing) naming it.</summary>
    Task<IReadOnlyList<PolicyReportPlan>> PreviewAsync(AuditReport report, CancellationToken cancellationToken);

    /// <summary>Writes one planned change (apply with the module's field manager, or delete with the resourceVersion
    /// read as a precondition) and fills the record.</summary>
    Task ApplyAsync(PolicyReportPlan plan, CancellationToken cancellationToken);
}

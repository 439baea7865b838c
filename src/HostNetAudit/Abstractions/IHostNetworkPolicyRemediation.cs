namespace HostNetAudit.Abstractions;

/// <summary>Set-HostNetworkPolicy's request for one cluster.</summary>
internal sealed class HostNetworkPolicySetRequest
{
    /// <summary>The exemptions files (resolved paths) the policy is generated from.</summary>
    public IReadOnlyList<string> ExemptionPaths { get; init; } = Array.Empty<string>();

    /// <summary>The binding's validationActions.</summary>
    public PolicyValidationAction ValidationAction { get; init; } = PolicyValidationAction.Deny;

    /// <summary>Includes namespaces with undeclared running hostNetwork workloads, and forces a field-manager conflict.</summary>
    public bool Force { get; init; }

    /// <summary>Carries exemption entries that match nothing now into the policy.</summary>
    public bool IncludeUnmatched { get; init; }

    /// <summary>How long to wait for the policy status controller to observe the written generation.</summary>
    public TimeSpan StatusTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What the engine decided after its preview.</summary>
internal enum HostNetworkPolicyDecision
{
    /// <summary>Ready: ShouldProcess, then ApplyAsync.</summary>
    Apply,

    /// <summary>The cluster already holds these objects (the server-side dry-run changes nothing): no write.</summary>
    Unchanged,

    /// <summary>Refused by a check (Errors say why).</summary>
    Skip,

    /// <summary>The preview failed (Errors say why).</summary>
    Fail,
}

/// <summary>The preview of one cluster's policy change.</summary>
internal sealed class HostNetworkPolicyChangePlan
{
    public HostNetworkPolicyChangePlan(HostNetworkPolicyChange record) => Record = record;

    public HostNetworkPolicyChange Record { get; }

    public HostNetworkPolicyDecision Decision { get; set; }

    /// <summary>Non-terminating errors to write: left-out namespaces (the plan goes on), refusals, failures.</summary>
    public List<HostNetAuditException> Errors { get; } = new();

    /// <summary>Warnings to write (generator warnings, unprovable enforcement).</summary>
    public List<string> Warnings { get; } = new();

    /// <summary>For ShouldProcess: what would change, what is left out and what would be refused from now on.</summary>
    public string Description { get; set; } = string.Empty;

    /// <summary>Engine-private: the objects to write and what they replace.</summary>
    public object? Handle { get; set; }
}

/// <summary>
/// The targeted hostNetwork admission policy on one cluster (Set-, Remove- and Restore-HostNetworkPolicy):
/// every operation is a preview (reads and server-side dry-runs, no write) followed by the write of that plan.
/// </summary>
internal interface IHostNetworkPolicyRemediation
{
    /// <summary>Generates the policy from the exemptions and the cluster's workloads, dry-runs it and compares it with what is there.</summary>
    Task<HostNetworkPolicyChangePlan> PlanSetAsync(HostNetworkPolicySetRequest request, CancellationToken cancellationToken);

    /// <summary>The module's objects (labelled managed-by HostNetAudit), to delete binding first.</summary>
    Task<HostNetworkPolicyChangePlan> PlanRemoveAsync(CancellationToken cancellationToken);

    /// <summary>Puts a record's objects back as they were before its change (its PolicyBefore, BindingBefore).</summary>
    Task<HostNetworkPolicyChangePlan> PlanRestoreAsync(HostNetworkPolicyChange change, bool force, CancellationToken cancellationToken);

    /// <summary>Writes a plan of Decision Apply; the record's Action and After say what exists afterwards.</summary>
    Task<IReadOnlyList<HostNetAuditException>> ApplyAsync(HostNetworkPolicyChangePlan plan, CancellationToken cancellationToken);
}

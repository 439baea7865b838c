namespace HostNetAudit.Abstractions;

/// <summary>Set: apply a level; Restore: return to the labels a record holds.</summary>
internal enum PodSecurityOperation
{
    Set,
    Restore,
}

/// <summary>What the engine decided for a namespace after its preview.</summary>
internal enum PodSecurityDecision
{
    /// <summary>The patch is ready: ShouldProcess, then ApplyAsync.</summary>
    Apply,

    /// <summary>The labels are already as asked: no write.</summary>
    Unchanged,

    /// <summary>Refused by a safety rule or not applicable (Warning says why, Error may be set).</summary>
    Skip,

    /// <summary>The preview failed (Error says why).</summary>
    Fail,
}

/// <summary>One namespace to change.</summary>
internal sealed class PodSecurityRequest
{
    /// <summary>Set-NamespacePodSecurity's default -Mode: every mode, so the audit's label recommendation and the command agree.</summary>
    public static readonly PodSecurityMode[] DefaultModes = { PodSecurityMode.Enforce, PodSecurityMode.Warn, PodSecurityMode.Audit };

    public string Namespace { get; init; } = string.Empty;

    public PodSecurityOperation Operation { get; init; }

    /// <summary>Set: the level for every mode in Modes.</summary>
    public PodSecurityLevel Level { get; init; }

    /// <summary>Set: the modes whose labels are written.</summary>
    public IReadOnlyList<PodSecurityMode> Modes { get; init; } = Array.Empty<PodSecurityMode>();

    /// <summary>Set: "latest" or "v1.N" for the modes' -version labels; null leaves the version labels alone.</summary>
    public string? Version { get; init; }

    /// <summary>Restore: exactly the pod-security.kubernetes.io/* labels to end with (others are removed).</summary>
    public IReadOnlyDictionary<string, string>? RestoreLabels { get; init; }

    /// <summary>Restore: the pod-security.kubernetes.io/* labels the namespace must still have (the record's LabelsAfter).</summary>
    public IReadOnlyDictionary<string, string>? ExpectedLabels { get; init; }

    /// <summary>Overrides the safety refusals (weakening, Privileged, breaking pods, changed labels).</summary>
    public bool Force { get; init; }

    /// <summary>kube-system, kube-public and kube-node-lease are changed only when named literally.</summary>
    public bool SystemNamespaceNamed { get; init; }
}

/// <summary>The preview of one namespace: what would change, what would break, and the patch to send.</summary>
internal sealed class PodSecurityPlan
{
    public PodSecurityPlan(PodSecurityRequest request, PodSecurityChange record)
    {
        Request = request;
        Record = record;
    }

    public PodSecurityRequest Request { get; }

    /// <summary>The record so far (Action is filled by the cmdlet or ApplyAsync).</summary>
    public PodSecurityChange Record { get; }

    public PodSecurityDecision Decision { get; set; }

    /// <summary>A non-terminating error to write (refusals and failures).</summary>
    public HostNetAuditException? Error { get; set; }

    /// <summary>A warning to write (skipped namespaces, Privileged).</summary>
    public string? Warning { get; set; }

    /// <summary>For ShouldProcess: what would change and what would break, in one sentence or two.</summary>
    public string Description { get; set; } = string.Empty;

    /// <summary>Engine-private: the patch and what it was built from.</summary>
    public object? Handle { get; set; }
}

/// <summary>The result of a write.</summary>
internal sealed class PodSecurityOutcome
{
    public PodSecurityOutcome(PodSecurityChange record, HostNetAuditException? error = null)
    {
        Record = record;
        Error = error;
    }

    public PodSecurityChange Record { get; }

    public HostNetAuditException? Error { get; }
}

/// <summary>
/// Pod Security Admission remediation on one cluster: preview (reads, the module's own check of what the
/// new enforce level refuses, a server-side dry-run of the same patch), then the writes. Thread-safe.
/// </summary>
internal interface IPodSecurityRemediation
{
    /// <summary>The cluster's namespace names (one paged list), for wildcard -Namespace.</summary>
    Task<IReadOnlyList<string>> ListNamespacesAsync(CancellationToken cancellationToken);

    /// <summary>Previews every request with at most <paramref name="throttleLimit"/> requests in flight; one plan per request, in order.</summary>
    Task<IReadOnlyList<PodSecurityPlan>> PlanAsync(IReadOnlyList<PodSecurityRequest> requests, int throttleLimit, CancellationToken cancellationToken);

    /// <summary>Sends the planned patches (Decision Apply) with at most <paramref name="throttleLimit"/> in flight; one outcome per plan, in order.</summary>
    Task<IReadOnlyList<PodSecurityOutcome>> ApplyAsync(IReadOnlyList<PodSecurityPlan> plans, int throttleLimit, CancellationToken cancellationToken);
}

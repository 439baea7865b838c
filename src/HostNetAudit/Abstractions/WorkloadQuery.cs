namespace HostNetAudit.Abstractions;

/// <summary>Which workload templates Get-HostNetworkWorkload asks an evidence source for.</summary>
internal sealed class WorkloadQuery
{
    /// <summary>Every kind Get-HostNetworkWorkload knows, in the order it lists them.</summary>
    public static readonly IReadOnlyList<WorkloadKind> AllKinds = new[]
    {
        WorkloadKind.DaemonSet,
        WorkloadKind.Deployment,
        WorkloadKind.StatefulSet,
        WorkloadKind.ReplicaSet,
        WorkloadKind.ReplicationController,
        WorkloadKind.Job,
        WorkloadKind.CronJob,
    };

    /// <summary>Kinds to list; empty = all.</summary>
    public IReadOnlyList<WorkloadKind> Kinds { get; init; } = AllKinds;

    /// <summary>Literal namespaces to list one by one (namespace-scoped lists); empty = all namespaces.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = Array.Empty<string>();

    /// <summary>Namespaces named literally, also beside wildcards: one that yields nothing is checked to exist (NamespaceNotFound).</summary>
    public IReadOnlyList<string> NamedNamespaces { get; init; } = Array.Empty<string>();

    /// <summary>Further filter applied to every namespace name (wildcards, exclusions), decided by the cmdlet.</summary>
    public Func<string, bool>? NamespaceFilter { get; init; }

    /// <summary>Objects per list request.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>The kinds to list, in listing order, without repeats.</summary>
    public IReadOnlyList<WorkloadKind> EffectiveKinds =>
        Kinds.Count == 0 ? AllKinds : AllKinds.Where(k => Kinds.Contains(k)).ToArray();
}

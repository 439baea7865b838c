namespace HostNetAudit.Engine.Workloads;

/// <summary>Where a workload kind is served and how its lists are named in messages and error IDs.</summary>
internal sealed record WorkloadResource(WorkloadKind Kind, string Resource, string Operation, IReadOnlyList<string> GroupVersions, IReadOnlyList<string> OfflineGroups)
{
    public static readonly IReadOnlyList<WorkloadResource> All = new[]
    {
        new WorkloadResource(WorkloadKind.Deployment, "deployments", "ListDeployments", new[] { "apps/v1" }, new[] { "apps", "extensions" }),
        new WorkloadResource(WorkloadKind.DaemonSet, "daemonsets", "ListDaemonSets", new[] { "apps/v1" }, new[] { "apps", "extensions" }),
        new WorkloadResource(WorkloadKind.StatefulSet, "statefulsets", "ListStatefulSets", new[] { "apps/v1" }, new[] { "apps" }),
        new WorkloadResource(WorkloadKind.ReplicaSet, "replicasets", "ListReplicaSets", new[] { "apps/v1" }, new[] { "apps", "extensions" }),
        new WorkloadResource(WorkloadKind.ReplicationController, "replicationcontrollers", "ListReplicationControllers", new[] { "v1" }, new[] { string.Empty }),
        new WorkloadResource(WorkloadKind.Job, "jobs", "ListJobs", new[] { "batch/v1" }, new[] { "batch" }),

        // batch/v1 serves CronJobs from Kubernetes 1.21; older servers only batch/v1beta1.
        new WorkloadResource(WorkloadKind.CronJob, "cronjobs", "ListCronJobs", new[] { "batch/v1", "batch/v1beta1" }, new[] { "batch" }),
    };

    public string KindName => Kind.ToString();

    public static WorkloadResource Of(WorkloadKind kind) => All.First(r => r.Kind == kind);

    /// <summary>The kind an offline object (kind and API group) stands for, if it is a workload.</summary>
    public static WorkloadResource? ForObject(string? kind, string group) =>
        kind is null ? null : All.FirstOrDefault(r => string.Equals(r.KindName, kind, StringComparison.Ordinal) && r.OfflineGroups.Contains(group, StringComparer.Ordinal));

    /// <summary>The list path: /apis/apps/v1/deployments or /apis/apps/v1/namespaces/ns/deployments (core: /api/v1/...).</summary>
    public string ListPath(string groupVersion, string? ns)
    {
        var root = groupVersion.Contains('/', StringComparison.Ordinal) ? "/apis/" + groupVersion : "/api/" + groupVersion;
        return ns is null ? $"{root}/{Resource}" : $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{Resource}";
    }

    /// <summary>The API group of a group/version ("" for core).</summary>
    public static string GroupOf(string groupVersion)
    {
        var slash = groupVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? string.Empty : groupVersion[..slash];
    }
}

namespace HostNetAudit;

/// <summary>The workload kinds whose pod templates Get-HostNetworkWorkload inspects.</summary>
public enum WorkloadKind
{
    Deployment,
    DaemonSet,
    StatefulSet,

    /// <summary>Only ReplicaSets that no Deployment owns (a Deployment's ReplicaSets are reported as the Deployment).</summary>
    ReplicaSet,

    /// <summary>Only Jobs that no CronJob owns (a CronJob's Jobs are reported as the CronJob).</summary>
    Job,

    /// <summary>The pod template of spec.jobTemplate.</summary>
    CronJob,

    ReplicationController,
}

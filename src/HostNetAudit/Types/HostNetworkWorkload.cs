using System.Globalization;
using HostNetAudit.Abstractions;

namespace HostNetAudit;

/// <summary>
/// A workload whose pod template sets spec.hostNetwork: true: it creates hostNetwork pods whenever it
/// runs, also while it has zero replicas, is suspended or is scheduled nowhere. Output of
/// Get-HostNetworkWorkload.
/// </summary>
public sealed class HostNetworkWorkload : IPodSpecRecord
{
    /// <summary>The kubeconfig context (or offline source) the record came from.</summary>
    public string Context { get; set; } = string.Empty;

    /// <summary>Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob or ReplicationController.</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>apps/v1, batch/v1 ... as the object states it.</summary>
    public string? ApiVersion { get; set; }

    public string Namespace { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>Desired pods: spec.replicas (default 1); DaemonSet: status.desiredNumberScheduled; Job:
    /// spec.parallelism (default 1); null for CronJobs and where the evidence does not say.</summary>
    public int? Replicas { get; set; }

    /// <summary>Pods that exist now: status.replicas; DaemonSet: status.currentNumberScheduled; Job: status.active;
    /// CronJob: the number of active Jobs. Null where the object carries no status (manifests).</summary>
    public int? CurrentReplicas { get; set; }

    /// <summary>Ready pods: status.readyReplicas; DaemonSet: status.numberReady; Job: status.ready.</summary>
    public int? ReadyReplicas { get; set; }

    /// <summary>spec.suspend of a Job or CronJob.</summary>
    public bool Suspended { get; set; }

    /// <summary>A CronJob's schedule.</summary>
    public string? Schedule { get; set; }

    /// <summary>Containers, init containers and ephemeral containers of the template, each marked with its Type.</summary>
    public ContainerSummary[] Containers { get; set; } = Array.Empty<ContainerSummary>();

    /// <summary>Ports the template's pods bind on the node: declared hostPorts and, with hostNetwork, every containerPort.</summary>
    public HostPortBinding[] HostPorts { get; set; } = Array.Empty<HostPortBinding>();

    public string? ServiceAccount { get; set; }

    public bool HostNetwork { get; set; } = true;

    public bool HostPID { get; set; }

    public bool HostIPC { get; set; }

    /// <summary>At least one container of the template runs privileged.</summary>
    public bool Privileged { get; set; }

    /// <summary>kube-system, kube-public or kube-node-lease.</summary>
    public bool IsSystemNamespace { get; set; }

    public DateTimeOffset? CreationTimestamp { get; set; }

    public string? Uid { get; set; }

    /// <summary>For offline evidence: the file the object came from.</summary>
    public string? SourcePath { get; set; }

    /// <summary>For offline YAML evidence: the line where the object's document starts.</summary>
    public int? SourceLine { get; set; }

    /// <summary>The justification of the declared exemption that covers it (set by Invoke-HostNetworkAudit), else null.</summary>
    public string? Exemption { get; set; }

    /// <summary>
    /// What the REPLICAS column shows: "ready/desired" (or the desired count alone), "suspended", a
    /// CronJob's schedule, or "-" where the evidence does not say.
    /// </summary>
    public string ReplicaSummary
    {
        get
        {
            if (Suspended)
            {
                return "suspended";
            }

            if (Schedule is not null)
            {
                return Schedule;
            }

            if (Replicas is { } desired)
            {
                var text = desired.ToString(CultureInfo.InvariantCulture);
                return ReadyReplicas is { } ready ? ready.ToString(CultureInfo.InvariantCulture) + "/" + text : text;
            }

            return "-";
        }
    }

    public override string ToString() => Kind + "/" + Namespace + "/" + Name;
}

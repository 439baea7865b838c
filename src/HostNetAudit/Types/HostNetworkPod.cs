using HostNetAudit.Abstractions;

namespace HostNetAudit;

/// <summary>A pod running with spec.hostNetwork: true. Output of Get-HostNetworkPod.</summary>
public sealed class HostNetworkPod : IPodSpecRecord
{
    /// <summary>The kubeconfig context (or offline source) the record came from.</summary>
    public string Context { get; set; } = string.Empty;

    public string Namespace { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string? NodeName { get; set; }

    public string? Phase { get; set; }

    /// <summary>Containers, init containers and ephemeral containers, each marked with its Type.</summary>
    public ContainerSummary[] Containers { get; set; } = Array.Empty<ContainerSummary>();

    /// <summary>Ports bound on the node: declared hostPorts and, for hostNetwork pods, every containerPort.</summary>
    public HostPortBinding[] HostPorts { get; set; } = Array.Empty<HostPortBinding>();

    public string? ServiceAccount { get; set; }

    /// <summary>Kind of the top controller (Deployment, DaemonSet, StatefulSet, CronJob, Job, ReplicaSet,
    /// ReplicationController, Node for static mirror pods), or null for a bare pod.</summary>
    public string? OwnerKind { get; set; }

    public string? OwnerName { get; set; }

    /// <summary>The API version of <see cref="OwnerKind"/> (argoproj.io/v1alpha1 ...): the pod's own controller while
    /// the owner is walked up, the top controller after (Get-HostNetworkPermission finds custom owner kinds by it);
    /// not part of the record.</summary>
    internal string? OwnerApiVersion { get; set; }

    /// <summary>"Kind/Name" of the top controller, or "&lt;none&gt;".</summary>
    public string Owner => OwnerKind is null ? "<none>" : OwnerKind + "/" + OwnerName;

    /// <summary>A static pod's mirror, created by the kubelet from a manifest on the node.</summary>
    public bool IsMirrorPod { get; set; }

    public bool HostNetwork { get; set; } = true;

    public bool HostPID { get; set; }

    public bool HostIPC { get; set; }

    /// <summary>At least one container runs privileged.</summary>
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

    public override string ToString() => Namespace + "/" + Name;
}

namespace HostNetAudit.Abstractions;

/// <summary>
/// What a hostNetwork pod and a workload template report alike about their pod spec and object: filled by one
/// engine mapper (PodSpecInspector.Describe), so the two records cannot drift apart.
/// </summary>
internal interface IPodSpecRecord
{
    string Namespace { get; }

    ContainerSummary[] Containers { get; set; }

    HostPortBinding[] HostPorts { get; set; }

    string? ServiceAccount { get; set; }

    bool HostNetwork { get; set; }

    bool HostPID { get; set; }

    bool HostIPC { get; set; }

    bool Privileged { get; set; }

    bool IsSystemNamespace { get; set; }

    DateTimeOffset? CreationTimestamp { get; set; }

    string? Uid { get; set; }
}

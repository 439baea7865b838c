using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Pods;

/// <summary>Maps a pod object (live or offline) to a HostNetworkPod record; owners are resolved later.</summary>
internal static class PodMapper
{
    public static bool IsHostNetworkPod(JsonElement pod) => PodSpecInspector.HostNetwork(pod.Get("spec"));

    public static string? Namespace(JsonElement obj) => obj.Get("metadata", "namespace").AsString();

    public static HostNetworkPod Map(JsonElement pod, string context)
    {
        var metadata = pod.Get("metadata");
        var spec = pod.Get("spec");
        var ns = metadata.Get("namespace").AsString() ?? "default";
        var (ownerKind, ownerName, _) = PodSpecInspector.ControllerOf(metadata);
        var mirror = metadata.Get("annotations", "kubernetes.io/config.mirror").Exists();
        if (mirror && ownerKind is null)
        {
            ownerKind = "Node";
            ownerName = spec.Get("nodeName").AsString();
        }

        return new HostNetworkPod
        {
            Context = context,
            Namespace = ns,
            Name = metadata.Get("name").AsString() ?? string.Empty,
            NodeName = spec.Get("nodeName").AsString(),
            Phase = pod.Get("status", "phase").AsString(),
            Containers = PodSpecInspector.Containers(spec),
            HostPorts = PodSpecInspector.HostPorts(spec),
            ServiceAccount = spec.Get("serviceAccountName").AsString() ?? spec.Get("serviceAccount").AsString() ?? "default",
            OwnerKind = ownerKind,
            OwnerName = ownerName,
            IsMirrorPod = mirror || string.Equals(ownerKind, "Node", StringComparison.Ordinal),
            HostNetwork = PodSpecInspector.HostNetwork(spec),
            HostPID = spec.Get("hostPID").IsTrue(),
            HostIPC = spec.Get("hostIPC").IsTrue(),
            Privileged = PodSpecInspector.Privileged(spec),
            IsSystemNamespace = PodSpecInspector.IsSystemNamespace(ns),
            CreationTimestamp = metadata.Get("creationTimestamp").AsTimestamp(),
            Uid = metadata.Get("uid").AsString(),
        };
    }
}

using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Pods;

/// <summary>Maps a pod object (live or offline) to a HostNetworkPod record; owners are resolved later.</summary>
internal static class PodMapper
{
    public static bool IsHostNetworkPod(JsonElement pod) => PodSpecInspector.HostNetwork(pod.Get("spec"));

    /// <summary>The pod's namespace; a manifest without one lands in "default", as kubectl apply puts it.</summary>
    public static string Namespace(JsonElement pod) => pod.Get("metadata", "namespace").AsString() ?? "default";

    /// <summary>The node the pod is scheduled to; null while it is not.</summary>
    public static string? NodeName(JsonElement pod) => pod.Get("spec", "nodeName").AsString();

    public static HostNetworkPod Map(JsonElement pod, string context)
    {
        var metadata = pod.Get("metadata");
        var (ownerKind, ownerName, _) = PodSpecInspector.ControllerOf(metadata);
        var mirror = metadata.Get("annotations", "kubernetes.io/config.mirror").Exists();
        if (mirror && ownerKind is null)
        {
            ownerKind = "Node";
            ownerName = NodeName(pod);
        }

        return PodSpecInspector.Describe(
            new HostNetworkPod
            {
                Context = context,
                Namespace = Namespace(pod),
                Name = metadata.Get("name").AsString() ?? string.Empty,
                NodeName = NodeName(pod),
                Phase = pod.Get("status", "phase").AsString(),
                OwnerKind = ownerKind,
                OwnerName = ownerName,
                OwnerApiVersion = OwnerRef.ControllerOf(metadata)?.ApiVersion,
                IsMirrorPod = mirror || string.Equals(ownerKind, "Node", StringComparison.Ordinal),
            },
            pod.Get("spec"),
            metadata);
    }
}

using System.Text.Json;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Pods;

namespace HostNetAudit.Engine.Workloads;

/// <summary>
/// Maps a workload object (live or offline) to a HostNetworkWorkload record. The pod template is judged by
/// PodSpecInspector, the same evaluator as pods.
/// </summary>
internal static class WorkloadMapper
{
    /// <summary>The pod template's spec: spec.template.spec, or spec.jobTemplate.spec.template.spec for CronJobs.</summary>
    public static JsonElement TemplateSpec(JsonElement obj, WorkloadKind kind) =>
        kind == WorkloadKind.CronJob
            ? obj.Get("spec", "jobTemplate", "spec", "template", "spec")
            : obj.Get("spec", "template", "spec");

    /// <summary>
    /// A ReplicaSet a Deployment controls, or a Job a CronJob controls: the parent is the workload to report
    /// (it is listed too, and it is what an admin changes).
    /// </summary>
    public static bool IsControlledByParent(JsonElement obj, WorkloadKind kind)
    {
        if (kind is not (WorkloadKind.ReplicaSet or WorkloadKind.Job))
        {
            return false;
        }

        var (ownerKind, _, _) = PodSpecInspector.ControllerOf(obj.Get("metadata"));
        return (kind == WorkloadKind.ReplicaSet && ownerKind == "Deployment") || (kind == WorkloadKind.Job && ownerKind == "CronJob");
    }

    /// <summary>The template sets hostNetwork and no parent workload reports it.</summary>
    public static bool IsHostNetworkWorkload(JsonElement obj, WorkloadKind kind) =>
        PodSpecInspector.HostNetwork(TemplateSpec(obj, kind)) && !IsControlledByParent(obj, kind);

    public static HostNetworkWorkload Map(JsonElement obj, WorkloadKind kind, string context)
    {
        var metadata = obj.Get("metadata");
        var spec = obj.Get("spec");
        var status = obj.Get("status");
        var record = PodSpecInspector.Describe(
            new HostNetworkWorkload
            {
                Context = context,
                Kind = kind.ToString(),
                ApiVersion = obj.Get("apiVersion").AsString(),
                Namespace = metadata.Get("namespace").AsString() ?? "default",
                Name = metadata.Get("name").AsString() ?? string.Empty,
            },
            TemplateSpec(obj, kind),
            metadata);

        // Counts the apiserver omits when they are zero (omitempty) read as 0 once a status is there;
        // a manifest without status says nothing, so they stay null.
        var hasStatus = status.ValueKind == JsonValueKind.Object;
        int? Count(string name) => status.Get(name).AsInt() ?? (hasStatus ? 0 : null);
        switch (kind)
        {
            case WorkloadKind.DaemonSet:
                record.Replicas = Count("desiredNumberScheduled");
                record.CurrentReplicas = Count("currentNumberScheduled");
                record.ReadyReplicas = Count("numberReady");
                break;
            case WorkloadKind.Job:
                record.Replicas = spec.Get("parallelism").AsInt() ?? 1;
                record.CurrentReplicas = Count("active");
                record.ReadyReplicas = status.Get("ready").AsInt(); // absent before Kubernetes 1.24
                record.Suspended = spec.Get("suspend").IsTrue();
                break;
            case WorkloadKind.CronJob:
                record.Schedule = spec.Get("schedule").AsString();
                record.CurrentReplicas = hasStatus ? status.Get("active").Items().Count() : null;
                record.Suspended = spec.Get("suspend").IsTrue();
                break;
            default:
                record.Replicas = spec.Get("replicas").AsInt() ?? 1;
                record.CurrentReplicas = Count("replicas");
                record.ReadyReplicas = Count("readyReplicas");
                break;
        }

        return record;
    }
}

using System.Globalization;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// The "workloads" cluster: every shape of workload template Get-HostNetworkWorkload must judge, declared
/// by its author. hostNetwork templates: a ReplicaSet no Deployment owns, a Job no CronJob owns, a
/// zero-replica Deployment, a suspended Job, a DaemonSet scheduled nowhere, a CronJob with no active Job,
/// a CronJob with one, a StatefulSet, a ReplicationController and a running DaemonSet. Look-alikes that
/// must not be reported: a Deployment's own ReplicaSet and a CronJob's own Job, templates with an explicit
/// hostNetwork: false, a hostPID-only Job (as kube-bench runs), plain Deployments.
/// </summary>
public static class WorkloadScenario
{
    public static Scenario Create(int seed = 42)
    {
        var scenario = new Scenario { Name = "workloads", ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed);
        b.AddNodes(controlPlane: 1, workers: 2);
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease", "edge", "batch", "apps", "legacy" })
        {
            b.AddNamespace(ns);
        }

        var replicas = new JsonObject();
        var suspended = new JsonArray();
        scenario.Truth["workloadReplicas"] = replicas;
        scenario.Truth["suspendedWorkloads"] = suspended;

        // Through ClusterBuilder.AddWorkload, which declares hostNetworkWorkloads itself.
        b.AddWorkload(Templates.KubeProxy());
        replicas["DaemonSet/kube-system/kube-proxy"] = 3;
        b.AddWorkload(new WorkloadSpec("Deployment", "apps", "standby-gateway")
        {
            HostNetwork = true,
            Replicas = 0,
            Containers = new[] { new ContainerSpec("envoy", "envoyproxy/envoy:v1.32.2") { Ports = new[] { 10000, 9901 } } },
        });
        replicas["Deployment/apps/standby-gateway"] = 0;
        b.AddWorkload(new WorkloadSpec("StatefulSet", "apps", "kafka-edge")
        {
            HostNetwork = true,
            Replicas = 1,
            Containers = new[] { new ContainerSpec("kafka", "bitnami/kafka:3.9.0") { Ports = new[] { 9092 } } },
        });
        replicas["StatefulSet/apps/kafka-edge"] = 1;
        b.AddWorkload(new WorkloadSpec("ReplicationController", "legacy", "old-lb")
        {
            HostNetwork = true,
            Replicas = 1,
            Containers = new[] { new ContainerSpec("haproxy", "haproxy:2.9") { Ports = new[] { 80 } } },
        });
        replicas["ReplicationController/legacy/old-lb"] = 1;
        b.AddWorkload(new WorkloadSpec("Job", "batch", "net-bench")
        {
            HostNetwork = true,
            Containers = new[] { new ContainerSpec("iperf", "networkstatic/iperf3:3.16") { Ports = new[] { 5201 } } },
        });
        replicas["Job/batch/net-bench"] = 1;
        b.AddWorkload(new WorkloadSpec("Job", "batch", "paused-probe")
        {
            HostNetwork = true,
            Suspended = true,
            Containers = new[] { new ContainerSpec("probe", "busybox:1.36") },
        });
        replicas["Job/batch/paused-probe"] = 1;
        suspended.Add("Job/batch/paused-probe");
        b.AddWorkload(new WorkloadSpec("CronJob", "batch", "nightly-scan")
        {
            HostNetwork = true,
            ActiveJobs = 0,
            Containers = new[] { new ContainerSpec("scanner", "aquasec/trivy:0.58.1") },
        });
        b.AddWorkload(new WorkloadSpec("CronJob", "batch", "hourly-sync")
        {
            HostNetwork = true,
            ActiveJobs = 1,
            Containers = new[] { new ContainerSpec("sync", "rclone/rclone:1.68") { Ports = new[] { 5572 } } },
        });

        // Built here: a ReplicaSet no Deployment owns, and a DaemonSet that no node matches.
        var edgeProxy = new WorkloadSpec("ReplicaSet", "edge", "edge-proxy")
        {
            HostNetwork = true,
            Replicas = 2,
            Containers = new[] { new ContainerSpec("nginx", "nginx:1.27") { Ports = new[] { 80, 443 } } },
        };
        var rs = Workload(b, "apps/v1", "ReplicaSet", edgeProxy, new JsonObject
        {
            ["replicas"] = 2,
            ["selector"] = Selector(edgeProxy.Name),
            ["template"] = Template(b, edgeProxy, null),
        }, new JsonObject { ["replicas"] = 2, ["readyReplicas"] = 2, ["availableReplicas"] = 2, ["observedGeneration"] = 1 });
        for (var i = 0; i < 2; i++)
        {
            b.AddPod(edgeProxy, "edge-proxy-" + b.Suffix(), "worker-" + (i + 1).ToString(CultureInfo.InvariantCulture), OwnerOf("apps/v1", "ReplicaSet", rs), generateName: "edge-proxy-");
        }

        scenario.Declare("hostNetworkWorkloads", "ReplicaSet/edge/edge-proxy");
        replicas["ReplicaSet/edge/edge-proxy"] = 2;

        var gpuAgent = new WorkloadSpec("DaemonSet", "edge", "gpu-agent")
        {
            HostNetwork = true,
            Containers = new[] { new ContainerSpec("agent", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0") { Ports = new[] { 9400 }, Privileged = true } },
        };
        Workload(b, "apps/v1", "DaemonSet", gpuAgent, new JsonObject
        {
            ["selector"] = Selector(gpuAgent.Name),
            ["template"] = Template(b, gpuAgent, new JsonObject { ["nvidia.com/gpu.present"] = "true" }),
        }, new JsonObject { ["currentNumberScheduled"] = 0, ["desiredNumberScheduled"] = 0, ["numberMisscheduled"] = 0, ["numberReady"] = 0, ["observedGeneration"] = 1 });
        scenario.Declare("hostNetworkWorkloads", "DaemonSet/edge/gpu-agent");
        replicas["DaemonSet/edge/gpu-agent"] = 0;

        // A bare hostNetwork pod (no workload) and look-alikes that are not hostNetwork workloads.
        b.AddPod(new WorkloadSpec("Pod", "default", "debug-shell") { HostNetwork = true, Containers = new[] { new ContainerSpec("shell", "nicolaka/netshoot:v0.13") } }, "debug-shell", "worker-1", null);
        b.AddWorkload(Templates.WebApp("apps", "storefront", 2));
        b.AddWorkload(new WorkloadSpec("Job", "batch", "kube-bench")
        {
            HostPID = true,
            HostPaths = new[] { "/var/lib/kubelet", "/etc/kubernetes" },
            Containers = new[] { new ContainerSpec("kube-bench", "docker.io/aquasec/kube-bench:v0.9.4") },
        });
        var csiNode = new WorkloadSpec("DaemonSet", "kube-system", "ebs-csi-node")
        {
            Containers = new[] { new ContainerSpec("ebs-plugin", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.38.1") { Privileged = true, Ports = new[] { 9808 } } },
        };
        var csiTemplate = Template(b, csiNode, null);
        csiTemplate["spec"]!["hostNetwork"] = false; // explicit false, as the published manifest writes it
        Workload(b, "apps/v1", "DaemonSet", csiNode, new JsonObject { ["selector"] = Selector(csiNode.Name), ["template"] = csiTemplate }, new JsonObject { ["currentNumberScheduled"] = 0, ["desiredNumberScheduled"] = 0, ["numberReady"] = 0 });
        return scenario;
    }

    private static JsonObject Selector(string name) => new() { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = name } };

    private static JsonObject Template(ClusterBuilder b, WorkloadSpec workload, JsonObject? nodeSelector)
    {
        var spec = b.PodSpec(workload, null);
        if (nodeSelector is not null)
        {
            spec["nodeSelector"] = nodeSelector;
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = workload.Name } },
            ["spec"] = spec,
        };
    }

    private static JsonObject Workload(ClusterBuilder b, string apiVersion, string kind, WorkloadSpec workload, JsonObject spec, JsonObject status)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = workload.Name,
                ["namespace"] = workload.Namespace,
                ["uid"] = b.Uid(),
                ["resourceVersion"] = "5000",
                ["generation"] = 1,
                ["creationTimestamp"] = "2026-09-02T10:00:00Z",
                ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = workload.Name },
            },
            ["spec"] = spec,
            ["status"] = status,
        };
        b.Scenario.Add(obj);
        return obj;
    }

    private static JsonObject OwnerOf(string apiVersion, string kind, JsonObject owner) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = owner["metadata"]!["name"]!.GetValue<string>(),
        ["uid"] = owner["metadata"]!["uid"]!.GetValue<string>(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };
}

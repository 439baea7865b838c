using System.Globalization;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// A realistic mixed cluster for the targeted hostNetwork policy (issue 10): 3 control-plane nodes with static pods, the
/// CNI and node agents of the shipped example exemptions, agents the example does not list (the Cilium operator, a Rook
/// monitor, the ingress controller, a node probe CronJob and Job, a bare benchmark pod), workloads that fail baseline for
/// other reasons (hostPath log shipper), shortcuts nobody should declare (a Kafka StatefulSet and a legacy
/// ReplicationController on the host network, a zero-replica netshoot), and 24 application namespaces.
/// Truth["targeted"], written by the scenario's author: "legitimate", the exemption entries (YAML list items) that are
/// legitimate besides the example's; "leftOut", per namespace the undeclared workloads as "Kind/Name (N pods)";
/// "hostNetworkPods", how many hostNetwork pods run.
/// </summary>
public static class TargetedScenario
{
    public const string Name = "targeted";

    public const string Legitimate = """

- kind: Deployment
  namespace: kube-system
  name: cilium-operator
  justification: The Cilium operator runs on the host network so it works before the pod network exists.
- kind: Deployment
  namespace: ingress-nginx
  name: ingress-nginx-controller
  justification: The ingress controller binds ports 80 and 443 on the edge nodes (hostNetwork install).
  debuggers: [oncall-sre]
- kind: Deployment
  namespace: rook-ceph
  name: rook-ceph-mon-a
  justification: Ceph monitors use the host network so clients outside the cluster reach them.
- kind: CronJob
  namespace: ops
  name: node-probe
  justification: Probes the node network stack every 30 minutes.
- kind: Job
  namespace: ops
  name: netcheck
  justification: One-off check of the node network after maintenance (suspended until needed).
- kind: Pod
  namespace: lab
  name: perf-probe
  justification: Network benchmark run by the performance team lead, on the host network by design.
  requesters: [alice]
""";

    public static Scenario Create(int seed = 11)
    {
        var scenario = new Scenario { Name = Name, ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed);
        b.AddNodes(controlPlane: 3, workers: 5);
        const string enforce = "pod-security.kubernetes.io/enforce";
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease", "monitoring", "ingress-nginx", "metallb-system", "logging", "rook-ceph", "ops", "lab", "streaming", "legacy", "team-b" })
        {
            b.AddNamespace(ns);
        }

        b.AddNamespace("payments", new Dictionary<string, string> { [enforce] = "restricted" });

        // kube-system: the example's agents, the control plane's static pods on every control-plane node, and the
        // Cilium operator, which the example does not list.
        b.AddWorkload(Templates.KubeProxy());
        b.AddWorkload(Templates.Cilium());
        b.AddWorkload(Templates.NodeLocalDns());
        b.AddWorkload(Templates.CoreDns());
        b.AddWorkload(new WorkloadSpec("DaemonSet", "kube-system", "ebs-csi-node")
        {
            HostNetwork = true,
            ServiceAccount = "ebs-csi-node-sa",
            HostPaths = new[] { "/var/lib/kubelet", "/dev" },
            Containers = new[] { new ContainerSpec("ebs-plugin", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.37.0") { Ports = new[] { 9808 } } },
        });
        b.AddWorkload(new WorkloadSpec("Deployment", "kube-system", "cilium-operator")
        {
            HostNetwork = true,
            Replicas = 2,
            ServiceAccount = "cilium-operator",
            Containers = new[] { new ContainerSpec("cilium-operator", "quay.io/cilium/operator-generic:v1.16.4") { Ports = new[] { 9963 } } },
        });
        b.AddWorkload(new WorkloadSpec("Deployment", "kube-system", "metrics-server") { Containers = new[] { new ContainerSpec("metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.2") { Ports = new[] { 10250 } } } });
        foreach (var node in new[] { "cp-1", "cp-2", "cp-3" })
        {
            b.AddStaticPod("etcd", node, "registry.k8s.io/etcd:3.5.16-0", 2381);
            b.AddStaticPod("kube-apiserver", node, "registry.k8s.io/kube-apiserver:v1.31.4", 6443);
            b.AddStaticPod("kube-controller-manager", node, "registry.k8s.io/kube-controller-manager:v1.31.4", 10257);
            b.AddStaticPod("kube-scheduler", node, "registry.k8s.io/kube-scheduler:v1.31.4", 10259);
        }

        b.AddWorkload(Templates.NodeExporter());
        b.AddWorkload(new WorkloadSpec("StatefulSet", "monitoring", "prometheus") { Replicas = 2, Containers = new[] { new ContainerSpec("prometheus", "quay.io/prometheus/prometheus:v2.55.1") { Ports = new[] { 9090 } } } });
        b.AddWorkload(Templates.IngressController());
        b.AddWorkload(Templates.MetalLbSpeaker());

        // Fails baseline for another reason than hostNetwork: a log shipper reading the node's logs.
        b.AddWorkload(new WorkloadSpec("DaemonSet", "logging", "fluent-bit")
        {
            HostPaths = new[] { "/var/log", "/var/lib/containerd" },
            ServiceAccount = "fluent-bit",
            Containers = new[] { new ContainerSpec("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.2.2") { Ports = new[] { 2020 } } },
        });

        b.AddWorkload(new WorkloadSpec("Deployment", "rook-ceph", "rook-ceph-mon-a")
        {
            HostNetwork = true,
            ServiceAccount = "rook-ceph-default",
            Containers = new[] { new ContainerSpec("mon", "quay.io/ceph/ceph:v18.2.4") { Ports = new[] { 3300, 6789 } } },
        });
        b.AddWorkload(new WorkloadSpec("Deployment", "rook-ceph", "rook-ceph-operator") { ServiceAccount = "rook-ceph-system", Containers = new[] { new ContainerSpec("operator", "docker.io/rook/ceph:v1.15.6") } });
        b.AddWorkload(new WorkloadSpec("CronJob", "ops", "node-probe")
        {
            HostNetwork = true,
            ActiveJobs = 2,
            Containers = new[] { new ContainerSpec("probe", "busybox:1.36") { Ports = new[] { 9200 } } },
        });
        b.AddWorkload(new WorkloadSpec("Job", "ops", "netcheck")
        {
            HostNetwork = true,
            Suspended = true,
            Containers = new[] { new ContainerSpec("netcheck", "busybox:1.36") },
        });
        b.AddPod(new WorkloadSpec("Pod", "lab", "perf-probe") { HostNetwork = true, Containers = new[] { new ContainerSpec("iperf", "networkstatic/iperf3:latest") { Ports = new[] { 5201 } } } }, "perf-probe", "worker-4", null);

        // Shortcuts nobody should declare.
        b.AddWorkload(new WorkloadSpec("StatefulSet", "streaming", "kafka")
        {
            HostNetwork = true,
            Replicas = 3,
            Containers = new[] { new ContainerSpec("kafka", "apache/kafka:3.8.1") { Ports = new[] { 9092 } } },
        });
        b.AddWorkload(new WorkloadSpec("ReplicationController", "legacy", "guestbook")
        {
            HostNetwork = true,
            Replicas = 2,
            Containers = new[] { new ContainerSpec("guestbook", "registry.k8s.io/guestbook:v3") { Ports = new[] { 3000 } } },
        });
        b.AddWorkload(new WorkloadSpec("Deployment", "team-b", "debug-tools")
        {
            HostNetwork = true,
            Replicas = 0,
            Containers = new[] { new ContainerSpec("netshoot", "nicolaka/netshoot:v0.13") },
        });
        b.AddWorkload(Templates.WebApp("team-b", "worker", 2, restricted: false));
        b.AddWorkload(Templates.WebApp("payments", "checkout", 2));
        b.AddWorkload(Templates.WebApp("default", "hello", 1));
        for (var i = 1; i <= 24; i++)
        {
            var ns = "app-" + i.ToString("D2", CultureInfo.InvariantCulture);
            b.AddNamespace(ns);
            b.AddWorkload(Templates.WebApp(ns, "web", 2, restricted: i % 3 != 0));
        }

        scenario.Truth["targeted"] = new JsonObject
        {
            ["legitimate"] = Legitimate,
            ["leftOut"] = new JsonObject
            {
                ["legacy"] = new JsonArray("ReplicationController/guestbook (2 pods)"),
                ["streaming"] = new JsonArray("StatefulSet/kafka (3 pods)"),
                ["team-b"] = new JsonArray("Deployment/debug-tools (0 pods)"),
            },
            // 12 static pods, 8 each of kube-proxy, cilium, node-local-dns, ebs-csi-node, node-exporter and speaker,
            // 2 cilium-operator, 2 ingress, 1 rook mon, 2 node-probe, 1 perf-probe, 3 kafka, 2 guestbook.
            ["hostNetworkPods"] = 12 + (6 * 8) + 2 + 2 + 1 + 2 + 1 + 3 + 2,
        };
        return scenario;
    }
}

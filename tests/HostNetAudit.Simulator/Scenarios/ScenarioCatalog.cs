using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>The named clusters the tests, the demo and the benchmarks start.</summary>
public static class ScenarioCatalog
{
    public static readonly IReadOnlyList<string> Names = new[] { "empty", "demo", "bench", RemediationScenario.Name, "policy", RbacScenario.Name, AdmissionScenario.Name, PermissionScenario.Name, TargetedScenario.Name };

    public static Scenario Create(string name, IReadOnlyDictionary<string, string>? parameters = null)
    {
        parameters ??= new Dictionary<string, string>();
        return name switch
        {
            "empty" => Empty(),
            "demo" => Demo(Int(parameters, "seed", 42)),
            "workloads" => WorkloadScenario.Create(Int(parameters, "seed", 42)),
            "bench" => Bench(Int(parameters, "pods", 50000), Int(parameters, "namespaces", 2000), Double(parameters, "hostnet-percent", 2.0), Int(parameters, "pod-kb", 0)),
            RemediationScenario.Name => RemediationScenario.Create(Int(parameters, "namespaces", 0)),
            "policy" => PolicyScenario.Create(Int(parameters, "namespaces", 0)),
            RbacScenario.Name => RbacScenario.Create(),
            AdmissionScenario.Name => AdmissionScenario.Create(),
            PermissionScenario.Name => PermissionScenario.Create(Int(parameters, "namespaces", 0), Int(parameters, "bindings", 0)),
            TargetedScenario.Name => TargetedScenario.Create(),
            _ => throw new ArgumentException($"unknown scenario '{name}'; known: {string.Join(", ", Names)}"),
        };
    }

    private static int Int(IReadOnlyDictionary<string, string> p, string key, int fallback) =>
        p.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : fallback;

    private static double Double(IReadOnlyDictionary<string, string> p, string key, double fallback) =>
        p.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : fallback;

    public static Scenario Empty()
    {
        var scenario = new Scenario { Name = "empty" };
        var builder = new ClusterBuilder(scenario);
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            builder.AddNamespace(ns);
        }

        return scenario;
    }

    /// <summary>
    /// The demo's hostNetwork workloads its author marks legitimate besides the example file's agents (exemption entries,
    /// YAML list items): the ingress controller on the host network, the ops team's node probe CronJob and network check
    /// Job. team-b's debug-tools (netshoot on the host network) is not: team-b is left out until it is declared or changed.
    /// Served as Truth["targeted"]["legitimate"], so the tests and the demo read it from one place.
    /// </summary>
    public const string DemoLegitimate = """

- kind: Deployment
  namespace: ingress-nginx
  name: ingress-nginx-controller
  justification: The ingress controller binds ports 80 and 443 on the nodes (hostNetwork install).
  debuggers: [oncall-sre]
- kind: CronJob
  namespace: ops
  name: node-probe
  justification: Probes the node's network stack every 30 minutes.
- kind: Job
  namespace: ops
  name: netcheck
  justification: One-off check of the node network after maintenance.

""";

    /// <summary>
    /// A small cluster that looks like a real one: CNI, proxy, DNS cache and node exporter DaemonSets,
    /// static control-plane pods, an ingress controller on the host network, team namespaces with and
    /// without PSA enforcement, a hostNetwork CronJob, a zero-replica and a suspended hostNetwork template.
    /// </summary>
    public static Scenario Demo(int seed = 42)
    {
        var scenario = new Scenario { Name = "demo", ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed);
        b.AddNodes(controlPlane: 1, workers: 3);

        const string enforce = "pod-security.kubernetes.io/enforce";
        const string warn = "pod-security.kubernetes.io/warn";
        const string audit = "pod-security.kubernetes.io/audit";
        b.AddNamespace("default");
        b.AddNamespace("kube-system");
        b.AddNamespace("kube-public");
        b.AddNamespace("kube-node-lease");
        b.AddNamespace("monitoring", new Dictionary<string, string> { [enforce] = "privileged" });
        b.AddNamespace("ingress-nginx", new Dictionary<string, string> { [enforce] = "privileged", [warn] = "baseline" });
        b.AddNamespace("team-a", new Dictionary<string, string> { [enforce] = "baseline", [warn] = "restricted" }, new Dictionary<string, string> { ["owner"] = "team-a@example.com" });
        b.AddNamespace("team-b", new Dictionary<string, string> { [warn] = "restricted", [audit] = "restricted" });
        b.AddNamespace("payments", new Dictionary<string, string> { [enforce] = "restricted", [enforce + "-version"] = "v1.31" });
        b.AddNamespace("ops");
        b.AddNamespace("legacy", new Dictionary<string, string> { [enforce] = "Baseline" });

        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease", "monitoring", "ingress-nginx", "team-b", "ops" })
        {
            scenario.DeclareNamespace(ns, "NonCompliant");
        }

        foreach (var ns in new[] { "team-a", "payments", "legacy" })
        {
            scenario.DeclareNamespace(ns, "Compliant");
        }

        b.AddWorkload(Templates.KubeProxy());
        b.AddWorkload(Templates.Cilium());
        b.AddWorkload(Templates.NodeLocalDns());
        b.AddWorkload(Templates.CoreDns());
        b.AddStaticPod("etcd", "cp-1", "registry.k8s.io/etcd:3.5.16-0", 2381);
        b.AddStaticPod("kube-apiserver", "cp-1", "registry.k8s.io/kube-apiserver:v1.31.4", 6443);
        b.AddStaticPod("kube-controller-manager", "cp-1", "registry.k8s.io/kube-controller-manager:v1.31.4", 10257);
        b.AddStaticPod("kube-scheduler", "cp-1", "registry.k8s.io/kube-scheduler:v1.31.4", 10259);
        b.AddWorkload(Templates.NodeExporter());
        b.AddWorkload(new WorkloadSpec("StatefulSet", "monitoring", "prometheus") { Replicas = 2, Containers = new[] { new ContainerSpec("prometheus", "quay.io/prometheus/prometheus:v2.55.1") { Ports = new[] { 9090 } } } });
        b.AddWorkload(Templates.IngressController());
        b.AddWorkload(Templates.WebApp("team-a", "frontend", 3));
        b.AddWorkload(Templates.WebApp("team-a", "api", 2, restricted: false));
        b.AddWorkload(Templates.WebApp("team-b", "worker", 2, restricted: false));
        b.AddWorkload(new WorkloadSpec("Deployment", "team-b", "debug-tools")
        {
            HostNetwork = true,
            Replicas = 0,
            Containers = new[] { new ContainerSpec("netshoot", "nicolaka/netshoot:v0.13") },
        });
        b.AddWorkload(Templates.WebApp("payments", "checkout", 2));
        b.AddWorkload(new WorkloadSpec("CronJob", "ops", "node-probe")
        {
            HostNetwork = true,
            ActiveJobs = 1,
            Containers = new[] { new ContainerSpec("probe", "busybox:1.36") { Ports = new[] { 9200 } } },
        });
        b.AddWorkload(new WorkloadSpec("Job", "ops", "netcheck")
        {
            HostNetwork = true,
            Suspended = true,
            Containers = new[] { new ContainerSpec("netcheck", "busybox:1.36") },
        });
        b.AddWorkload(new WorkloadSpec("ReplicationController", "default", "guestbook") { Replicas = 2, Containers = new[] { new ContainerSpec("guestbook", "registry.k8s.io/guestbook:v3") { Ports = new[] { 3000 } } } });
        scenario.Truth["targeted"] = new JsonObject
        {
            ["legitimate"] = DemoLegitimate,
            ["leftOut"] = new JsonObject { ["team-b"] = new JsonArray("Deployment/debug-tools (0 pods)") },
        };
        return scenario;
    }

    /// <summary>
    /// A large cluster for benchmarks: <paramref name="pods"/> pods as the apiserver serves them (status and
    /// managedFields included, about 5 KB each, or <paramref name="podKilobytes"/> KB with environment
    /// variables added, as applications carry them) in <paramref name="namespaces"/> namespaces,
    /// <paramref name="hostNetworkPercent"/>% of them owned by a hostNetwork DaemonSet. Pods are stored as
    /// bytes made from two templates.
    /// </summary>
    public static Scenario Bench(int pods, int namespaces, double hostNetworkPercent, int podKilobytes = 0)
    {
        var scenario = new Scenario { Name = "bench", ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, 7);
        b.AddNodes(controlPlane: 3, workers: 47);
        var nsNames = Enumerable.Range(1, namespaces).Select(i => "bench-" + i.ToString("D5", CultureInfo.InvariantCulture)).ToArray();
        foreach (var ns in nsNames)
        {
            b.AddNamespace(ns, new Dictionary<string, string> { ["team"] = "bench" });
        }

        var hostNetTemplate = PodTemplate(b, hostNetwork: true, podKilobytes);
        var plainTemplate = PodTemplate(b, hostNetwork: false, podKilobytes);
        var every = hostNetworkPercent <= 0 ? int.MaxValue : (int)Math.Round(100.0 / hostNetworkPercent);
        var truth = new JsonArray();
        for (var i = 0; i < pods; i++)
        {
            if (i % every == 0)
            {
                truth.Add(nsNames[i % namespaces] + "/" + BenchPodName(i, true));
            }
        }

        scenario.Truth["hostNetworkPods"] = truth;
        scenario.Truth["podCount"] = pods;
        scenario.Bulk.Add(("v1", "Pod", Enumerable.Range(0, pods).Select(i =>
        {
            var hostNetwork = i % every == 0;
            var ns = nsNames[i % namespaces];
            var node = b.Nodes[i % b.Nodes.Count];
            var template = hostNetwork ? hostNetTemplate : plainTemplate;
            var text = template
                .Replace("__NAME__", BenchPodName(i, hostNetwork), StringComparison.Ordinal)
                .Replace("__NS__", ns, StringComparison.Ordinal)
                .Replace("__NODE__", node, StringComparison.Ordinal)
                .Replace("__UID__", new Guid(i, 0x4abc, unchecked((short)0x8def), 1, 2, 3, 4, 5, 6, 7, 8).ToString(), StringComparison.Ordinal)
                .Replace("__RV__", (100000 + i).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            return Encoding.UTF8.GetBytes(text);
        })));
        return scenario;
    }

    private static string BenchPodName(int i, bool hostNetwork) =>
        (hostNetwork ? "node-agent-" : "app-7d9f8b6c5d-") + i.ToString("x6", CultureInfo.InvariantCulture);

    private static string PodTemplate(ClusterBuilder b, bool hostNetwork, int podKilobytes)
    {
        var scratch = new Scenario();
        var builder = new ClusterBuilder(scratch, 3);
        var workload = hostNetwork
            ? Templates.NodeExporter("__NS__") with { Name = "node-agent" }
            : Templates.WebApp("__NS__", "app", 1, restricted: true);
        var owner = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = hostNetwork ? "DaemonSet" : "ReplicaSet",
            ["name"] = hostNetwork ? "node-agent" : "app-7d9f8b6c5d",
            ["uid"] = b.Uid(),
            ["controller"] = true,
            ["blockOwnerDeletion"] = true,
        };
        var pod = builder.AddPod(workload, "__NAME__", "worker-1", owner);
        pod["metadata"]!["uid"] = "__UID__";
        pod["metadata"]!["resourceVersion"] = "__RV__";
        pod["spec"]!["nodeName"] = "__NODE__";
        var container = (JsonObject)pod["spec"]!["containers"]![0]!;
        var env = container["env"] as JsonArray ?? new JsonArray();
        container["env"] = env;
        string text;
        while (true)
        {
            ClusterBuilder.SetServedManagedFields(pod, "kube-controller-manager");
            text = pod.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
            if (Encoding.UTF8.GetByteCount(text) >= podKilobytes * 1024)
            {
                return text;
            }

            var n = env.Count.ToString("D3", CultureInfo.InvariantCulture);
            env.Add(new JsonObject { ["name"] = "APP_SETTING_" + n, ["value"] = "https://config.internal.example/app/settings/" + n + "?region=eu-west-1&tier=standard" });
        }
    }
}

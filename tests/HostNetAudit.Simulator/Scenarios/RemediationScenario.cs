using System.Globalization;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// The cluster the remediation tests (Set-/Restore-NamespacePodSecurity) need, with the author's truth in
/// Truth["remediation"]: for each namespace, the pods and templates ("Kind/name") that the baseline and
/// restricted levels refuse, written down here as the objects are generated (never computed by the
/// module's engine). Parameter <c>namespaces</c> adds that many bulk namespaces (bulk-0001 ...) without pods,
/// every third of them labelled enforce=privileged.
/// </summary>
public static class RemediationScenario
{
    public const string Name = "remediation";

    public static Scenario Create(int bulkNamespaces = 0, int seed = 5)
    {
        var scenario = new Scenario { Name = Name, ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed);
        b.AddNodes(controlPlane: 1, workers: 3);
        const string psa = "pod-security.kubernetes.io/";
        var truth = new JsonObject();
        scenario.Truth["remediation"] = truth;

        foreach (var ns in new[] { "default", "kube-public", "kube-node-lease" })
        {
            b.AddNamespace(ns);
        }

        b.AddNamespace("kube-system");
        b.AddWorkload(Templates.KubeProxy());

        // Nothing breaks at either level: restricted-compliant web apps.
        b.AddNamespace("plain");
        Declare(truth, "plain", b, Templates.WebApp("plain", "shop", 2), breaksBaseline: false, breaksRestricted: false);

        // 20 unrelated labels and 20 annotations that must survive every change exactly.
        var labels = new Dictionary<string, string>();
        var annotations = new Dictionary<string, string>();
        for (var i = 1; i <= 20; i++)
        {
            var n = i.ToString("D2", CultureInfo.InvariantCulture);
            labels[$"example.com/label-{n}"] = "value-" + n;
            annotations[$"example.com/note-{n}"] = $"free text {n}: {{\"json\": [1, 2]}}, spaces and / slashes";
        }

        labels["app.kubernetes.io/part-of"] = "storefront";
        labels["team"] = "payments";
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"labelled\"}}";
        b.AddNamespace("labelled", labels, annotations);
        Declare(truth, "labelled", b, Templates.WebApp("labelled", "cart", 2), breaksBaseline: false, breaksRestricted: false);

        // Running hostNetwork pods: a DaemonSet on every node and a Deployment.
        b.AddNamespace("hostnet");
        Declare(truth, "hostnet", b, new WorkloadSpec("DaemonSet", "hostnet", "node-agent")
        {
            HostNetwork = true,
            Containers = new[] { new ContainerSpec("agent", "ghcr.io/example/node-agent:2.3.0") { Ports = new[] { 9100 } } },
        }, breaksBaseline: true, breaksRestricted: true);
        Declare(truth, "hostnet", b, new WorkloadSpec("Deployment", "hostnet", "edge-proxy")
        {
            HostNetwork = true,
            Replicas = 2,
            Containers = new[] { new ContainerSpec("proxy", "ghcr.io/example/edge-proxy:1.9.1") { Ports = new[] { 8443 } } },
        }, breaksBaseline: true, breaksRestricted: true);

        // Only a hostNetwork CronJob, with no job running now: nothing but the template can tell.
        b.AddNamespace("cron-only");
        Declare(truth, "cron-only", b, new WorkloadSpec("CronJob", "cron-only", "node-probe")
        {
            HostNetwork = true,
            Containers = new[] { new ContainerSpec("probe", "busybox:1.36") { Ports = new[] { 9200 } } },
        }, breaksBaseline: true, breaksRestricted: true);

        // Templates that run nothing now: a suspended Job, a zero-replica Deployment, a DaemonSet scheduled on no node.
        b.AddNamespace("templates");
        Declare(truth, "templates", b, new WorkloadSpec("Job", "templates", "netcheck")
        {
            HostNetwork = true,
            Suspended = true,
            Containers = new[] { new ContainerSpec("netcheck", "busybox:1.36") },
        }, breaksBaseline: true, breaksRestricted: true);
        Declare(truth, "templates", b, new WorkloadSpec("Deployment", "templates", "debug-tools")
        {
            HostNetwork = true,
            Replicas = 0,
            Containers = new[] { new ContainerSpec("netshoot", "nicolaka/netshoot:v0.13") },
        }, breaksBaseline: true, breaksRestricted: true);
        AddUnscheduledDaemonSet(b, "templates", "gpu-agent");
        Add(truth, "templates", "baseline", "DaemonSet/gpu-agent");
        Add(truth, "templates", "restricted", "DaemonSet/gpu-agent");

        // Already restricted (pinned): never lowered to baseline without -Force.
        b.AddNamespace("strict", new Dictionary<string, string> { [psa + "enforce"] = "restricted", [psa + "enforce-version"] = "v1.31", [psa + "warn"] = "restricted", [psa + "audit"] = "restricted" });
        Declare(truth, "strict", b, Templates.WebApp("strict", "ledger", 2), breaksBaseline: false, breaksRestricted: false);

        // Baseline enforced, restricted warned; its app meets baseline only.
        b.AddNamespace("partial", new Dictionary<string, string> { [psa + "enforce"] = "baseline", [psa + "warn"] = "restricted" });
        Declare(truth, "partial", b, Templates.WebApp("partial", "api", 2, restricted: false), breaksBaseline: false, breaksRestricted: true);

        // Odd label combinations for the round trips of Restore.
        b.AddNamespace("mixed-a", new Dictionary<string, string> { [psa + "enforce"] = "privileged", [psa + "warn"] = "baseline", [psa + "audit-version"] = "v1.28" });
        Declare(truth, "mixed-a", b, Templates.WebApp("mixed-a", "docs", 1), breaksBaseline: false, breaksRestricted: false);
        b.AddNamespace("mixed-b", new Dictionary<string, string> { [psa + "enforce"] = "baseline", [psa + "enforce-version"] = "v1.30" });
        Declare(truth, "mixed-b", b, Templates.WebApp("mixed-b", "search", 1), breaksBaseline: false, breaksRestricted: false);

        for (var i = 1; i <= bulkNamespaces; i++)
        {
            var ns = BulkName(i);
            var bulkLabels = new Dictionary<string, string> { ["team"] = "bulk" };
            if (i % 3 == 0)
            {
                bulkLabels[psa + "enforce"] = "privileged";
            }

            b.AddNamespace(ns, bulkLabels);
        }

        truth["bulkNamespaces"] = bulkNamespaces;
        return scenario;
    }

    public static string BulkName(int i) => "bulk-" + i.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>Adds a workload and writes down which of its objects each level refuses.</summary>
    private static void Declare(JsonObject truth, string ns, ClusterBuilder b, WorkloadSpec workload, bool breaksBaseline, bool breaksRestricted)
    {
        var first = b.Scenario.Objects.Count;
        b.AddWorkload(workload);
        EnsureLevel(truth, ns, "baseline");
        EnsureLevel(truth, ns, "restricted");
        var refused = new List<string> { workload.Kind + "/" + workload.Name };

        // Running (not finished) pods of the workload: their names are only known once generated.
        refused.AddRange(b.Scenario.Objects.Skip(first)
            .Where(o => o["kind"]?.GetValue<string>() == "Pod" && o["status"]?["phase"]?.GetValue<string>() is not ("Succeeded" or "Failed"))
            .Select(o => "Pod/" + o["metadata"]!["name"]!.GetValue<string>()));
        foreach (var item in refused)
        {
            if (breaksBaseline)
            {
                Add(truth, ns, "baseline", item);
            }

            if (breaksRestricted)
            {
                Add(truth, ns, "restricted", item);
            }
        }
    }

    private static void EnsureLevel(JsonObject truth, string ns, string level)
    {
        if (truth[ns] is not JsonObject levels)
        {
            levels = new JsonObject();
            truth[ns] = levels;
        }

        levels[level] ??= new JsonArray();
    }

    private static void Add(JsonObject truth, string ns, string level, string item)
    {
        EnsureLevel(truth, ns, level);
        truth[ns]![level]!.AsArray().Add(item);
    }

    /// <summary>A hostNetwork DaemonSet whose nodeSelector matches no node: a template with no pod.</summary>
    private static void AddUnscheduledDaemonSet(ClusterBuilder b, string ns, string name)
    {
        var workload = new WorkloadSpec("DaemonSet", ns, name)
        {
            HostNetwork = true,
            Containers = new[] { new ContainerSpec("agent", "ghcr.io/example/gpu-agent:0.4.0") { Ports = new[] { 9400 } } },
        };
        var spec = b.PodSpec(workload, null);
        spec["nodeSelector"] = new JsonObject { ["example.com/gpu"] = "true" };
        b.Scenario.Add(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "DaemonSet",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = b.Uid(), ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
                ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = name } }, ["spec"] = spec },
            },
            ["status"] = new JsonObject { ["currentNumberScheduled"] = 0, ["desiredNumberScheduled"] = 0, ["numberAvailable"] = 0, ["numberReady"] = 0, ["numberMisscheduled"] = 0 },
        });
        b.Scenario.Declare("hostNetworkWorkloads", "DaemonSet/" + ns + "/" + name);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace HostNetAudit.Engine.Reports;

/// <summary>The two policy report APIs: wgpolicyk8s.io (what Kyverno writes and Policy Reporter reads) and its
/// successor openreports.io, which also names the source once per report.</summary>
internal sealed record PolicyReportApi(string ApiVersion, string ClusterKind, string NamespacedKind, bool ReportSource)
{
    public static readonly PolicyReportApi WgPolicy = new("wgpolicyk8s.io/v1alpha2", "ClusterPolicyReport", "PolicyReport", ReportSource: false);

    public static readonly PolicyReportApi OpenReports = new("openreports.io/v1alpha1", "ClusterReport", "Report", ReportSource: true);

    public static bool IsReportKind(string? kind) =>
        kind is not null && (kind == WgPolicy.ClusterKind || kind == WgPolicy.NamespacedKind || kind == OpenReports.ClusterKind || kind == OpenReports.NamespacedKind);
}

/// <summary>
/// One cluster's audit as policy reports, the shape Policy Reporter and the Kyverno UI read: a cluster report with
/// one result per namespace (its verdict), and per namespace a report with one result per top-level workload that
/// uses the host network (bare and static pods by name), pod counts in properties. Every report is named
/// <see cref="Name"/> (chunks <c>hostnetaudit-1</c>, <c>-2</c>, ... as Kyverno splits reports) and labelled
/// managed-by HostNetAudit. A result keeps the timestamp of the previous report's equal result, so only what
/// changed gets a new time; the rest of an object is fixed by the audit, so an unchanged audit gives the same
/// objects (a publisher compares before it applies).
/// </summary>
internal static class PolicyReportBuilder
{
    public const string Name = "hostnetaudit";
    public const string PolicyName = "cis-5.2.5-host-network";
    public const string NamespaceRule = "namespace-admission";
    public const string WorkloadRule = "hostnetwork-workload";
    public const string Source = "hostnetaudit";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "HostNetAudit";

    /// <summary>No object may exceed 1 MiB (etcd refuses large requests; Kyverno hit it with big reports).</summary>
    public const int MaxObjectBytes = 1024 * 1024;

    /// <summary>What a chunk's JSON may take: the rest of the 1 MiB is left for what the apiserver adds (uid,
    /// resourceVersion, timestamps, managedFields).</summary>
    public const int ChunkBudgetBytes = 900 * 1024;

    // Kyverno's category for its hostNetwork rule, so dashboards group both.
    private const string Category = "Pod Security Standards (Baseline)";
    private const string Severity = "medium";

    private static readonly string[] Outcomes = { "pass", "fail", "warn", "error", "skip" };

    /// <summary>The reports of one cluster's audit.</summary>
    /// <param name="report">The audit.</param>
    /// <param name="api">Which API to write.</param>
    /// <param name="previous">The reports written before (objects from a file or from the cluster; others are ignored):
    /// an equal result keeps its timestamp. Without them every result carries the audit's time.</param>
    /// <param name="budget">The largest JSON a report may take before its results go to a further chunk.</param>
    public static IReadOnlyList<JsonObject> Build(AuditReport report, PolicyReportApi api, IEnumerable<JsonNode?> previous, int budget = ChunkBudgetBytes)
    {
        var times = new PreviousTimestamps(previous);
        var auditTime = report.GeneratedAt.ToUnixTimeSeconds();
        JsonObject Stamp(JsonObject result) => times.Stamp(result, auditTime);

        var objects = new List<JsonObject>();
        var verdicts = report.Namespaces
            .OrderBy(n => n.Namespace, StringComparer.Ordinal)
            .Select(n => Stamp(NamespaceResult(n)))
            .ToList();
        objects.AddRange(Chunks(api, null, verdicts, budget));

        var statuses = report.Namespaces.GroupBy(n => n.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Status, StringComparer.Ordinal);
        foreach (var byNamespace in Workloads(report).GroupBy(w => w.Namespace, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var results = byNamespace
                .OrderBy(w => w.Kind, StringComparer.Ordinal)
                .ThenBy(w => w.Name, StringComparer.Ordinal)
                .Select(w => Stamp(WorkloadResult(w, statuses.GetValueOrDefault(w.Namespace))))
                .ToList();
            objects.AddRange(Chunks(api, byNamespace.Key, results, budget));
        }

        return objects;
    }

    /// <summary>The result for an audit status: Compliant pass, Exempt skip, NonCompliant fail, Conditional warn, Unknown error.</summary>
    public static string Outcome(string status) => status switch
    {
        PolicyStatus.Compliant => "pass",
        PolicyStatus.Exempt => "skip",
        PolicyStatus.NonCompliant => "fail",
        PolicyStatus.Conditional => "warn",
        _ => "error",
    };

    private static JsonObject NamespaceResult(AuditNamespace n)
    {
        var properties = new JsonObject { ["status"] = n.Status };
        Add(properties, "enforcedBy", n.EnforcedBy);
        Add(properties, "auditOnly", n.AuditOnly);
        Add(properties, "podSecurity", n.PodSecurity);
        Add(properties, "podSecuritySource", n.PodSecuritySource);
        Add(properties, "hostNetworkPods", n.HostNetworkPodCount.ToString(CultureInfo.InvariantCulture));
        Add(properties, "reason", n.Reason);
        Add(properties, "remediation", n.Remediation);
        Add(properties, "fix", n.Fix);
        Add(properties, "justification", n.Justification);
        var message = n.Reason ?? (n.Justification is null ? n.Status : "Exempt: " + n.Justification);
        return Result(NamespaceRule, Outcome(n.Status), message, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["name"] = n.Namespace }, properties);
    }

    private static JsonObject WorkloadResult(Workload w, string? namespaceStatus)
    {
        var justification = w.Justification;
        var properties = new JsonObject { ["hostNetworkPods"] = w.Pods.ToString(CultureInfo.InvariantCulture) };
        if (w.Template is { } template && template.ReplicaSummary != "-")
        {
            properties["replicas"] = template.ReplicaSummary;
        }

        if (w.HostPorts.Count > 0)
        {
            properties["hostPorts"] = string.Join(",", w.HostPorts.Select(p => p.Port.ToString(CultureInfo.InvariantCulture) + "/" + p.Protocol));
        }

        properties["privileged"] = w.Privileged ? "true" : "false";
        Add(properties, "namespaceStatus", namespaceStatus);
        Add(properties, "justification", justification);

        var what = $"{w.Kind} {w.Namespace}/{w.Name}";
        var running = w.Pods switch { 0 => "none running", 1 => "1 running", _ => w.Pods.ToString(CultureInfo.InvariantCulture) + " running" };
        var message = justification is not null
            ? $"{what} uses the host network under a declared exemption: {justification}"
            : $"{what} creates pods that share the node's network namespace ({running}); no exemption covers it.";
        var resource = new JsonObject();
        Add(resource, "apiVersion", w.ApiVersion);
        resource["kind"] = w.Kind;
        resource["name"] = w.Name;
        resource["namespace"] = w.Namespace;
        Add(resource, "uid", w.Uid);
        return Result(WorkloadRule, justification is null ? "fail" : "skip", message, resource, properties);
    }

    private static JsonObject Result(string rule, string outcome, string message, JsonObject resource, JsonObject properties) => new()
    {
        ["policy"] = PolicyName,
        ["rule"] = rule,
        ["category"] = Category,
        ["severity"] = Severity,
        ["result"] = outcome,
        ["scored"] = true,
        ["source"] = Source,
        ["message"] = message,
        ["resources"] = new JsonArray(resource),
        ["properties"] = properties,
    };

    private static void Add(JsonObject target, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            target[key] = value;
        }
    }

    private static IEnumerable<JsonObject> Chunks(PolicyReportApi api, string? ns, List<JsonObject> results, int budget)
    {
        // The frame of a report (metadata, summary with large counts, the longest chunk name) plus each result and its comma.
        var frame = Size(Report(api, ns, Name + "-99999", new List<JsonObject>())) + 64;
        var chunks = new List<List<JsonObject>> { new() };
        var size = frame;
        foreach (var result in results)
        {
            var bytes = Size(result) + 1;
            if (chunks[^1].Count > 0 && size + bytes > budget)
            {
                chunks.Add(new List<JsonObject>());
                size = frame;
            }

            chunks[^1].Add(result);
            size += bytes;
        }

        return chunks.Select((chunk, i) => Report(api, ns, i == 0 ? Name : Name + "-" + i.ToString(CultureInfo.InvariantCulture), chunk));
    }

    private static JsonObject Report(PolicyReportApi api, string? ns, string name, List<JsonObject> results)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        metadata["labels"] = new JsonObject { [ManagedByLabel] = ManagedBy };
        var report = new JsonObject
        {
            ["apiVersion"] = api.ApiVersion,
            ["kind"] = ns is null ? api.ClusterKind : api.NamespacedKind,
            ["metadata"] = metadata,
        };
        if (api.ReportSource)
        {
            report["source"] = Source;
        }

        var summary = new JsonObject();
        foreach (var outcome in Outcomes)
        {
            summary[outcome] = results.Count(r => (string?)r["result"] == outcome);
        }

        report["summary"] = summary;
        report["results"] = new JsonArray(results.Select(r => (JsonNode)r).ToArray());
        return report;
    }

    /// <summary>The object's JSON size in bytes, as the apiserver stores it.</summary>
    public static int Size(JsonNode node) => Encoding.UTF8.GetByteCount(node.ToJsonString());

    /// <summary>The top-level workloads of a cluster that use the host network: the templates (also at zero replicas)
    /// and the top owners of hostNetwork pods; a pod without a controller (bare, or a node's static pod) by name.</summary>
    private static IEnumerable<Workload> Workloads(AuditReport report)
    {
        var byKey = new Dictionary<(string Namespace, string Kind, string Name), Workload>();
        Workload Get(string ns, string kind, string name) =>
            byKey.TryGetValue((ns, kind, name), out var found) ? found : byKey[(ns, kind, name)] = new Workload(ns, kind, name);

        foreach (var template in report.HostNetworkWorkloads)
        {
            var w = Get(template.Namespace, template.Kind, template.Name);
            w.Template = template;
            w.ApiVersion = template.ApiVersion;
            w.Uid = template.Uid;
            w.Privileged |= template.Privileged;
            w.AddPorts(template.HostPorts);
        }

        foreach (var pod in report.HostNetworkPods)
        {
            var byName = pod.OwnerKind is null or "Node" || pod.OwnerName is null;
            var w = byName ? Get(pod.Namespace, "Pod", pod.Name) : Get(pod.Namespace, pod.OwnerKind!, pod.OwnerName!);
            w.Pods++;
            if (pod.Exemption is not null)
            {
                w.ExemptPods++;
                w.PodExemption ??= pod.Exemption;
            }

            if (w.Template is null)
            {
                w.Privileged |= pod.Privileged;
                w.AddPorts(pod.HostPorts);
                if (byName)
                {
                    w.Uid = pod.Uid;
                }
            }
        }

        foreach (var w in byKey.Values)
        {
            w.ApiVersion ??= KnownApiVersion(w.Kind);
        }

        return byKey.Values;
    }

    private static string? KnownApiVersion(string kind) => kind switch
    {
        "Pod" or "ReplicationController" => "v1",
        "Deployment" or "DaemonSet" or "StatefulSet" or "ReplicaSet" => "apps/v1",
        "Job" or "CronJob" => "batch/v1",
        _ => null,
    };

    private sealed class Workload
    {
        public Workload(string ns, string kind, string name)
        {
            Namespace = ns;
            Kind = kind;
            Name = name;
        }

        public string Namespace { get; }

        public string Kind { get; }

        public string Name { get; }

        public string? ApiVersion { get; set; }

        public string? Uid { get; set; }

        public HostNetworkWorkload? Template { get; set; }

        public int Pods { get; set; }

        public int ExemptPods { get; set; }

        public string? PodExemption { get; set; }

        public bool Privileged { get; set; }

        public SortedSet<(int Port, string Protocol)> HostPorts { get; } = new();

        /// <summary>The template's exemption, or (without a template) the one that covers every pod.</summary>
        public string? Justification => Template is not null ? Template.Exemption : ExemptPods == Pods ? PodExemption : null;

        public void AddPorts(IEnumerable<HostPortBinding> ports)
        {
            foreach (var port in ports)
            {
                HostPorts.Add((port.Port, port.Protocol));
            }
        }
    }

    /// <summary>The timestamps of the previous reports' results, by rule and resource, with what each result said.</summary>
    private sealed class PreviousTimestamps
    {
        private readonly Dictionary<string, (JsonObject Content, JsonNode Timestamp)> results = new(StringComparer.Ordinal);

        public PreviousTimestamps(IEnumerable<JsonNode?> previous)
        {
            foreach (var node in previous)
            {
                if (node is not JsonObject report || !PolicyReportApi.IsReportKind(Text(report["kind"]))
                    || Text(report["metadata"]?["labels"]?[ManagedByLabel]) != ManagedBy
                    || report["results"] is not JsonArray list)
                {
                    continue;
                }

                foreach (var item in list.OfType<JsonObject>())
                {
                    if (item["timestamp"] is JsonObject timestamp && Key(item) is { } key)
                    {
                        var content = (JsonObject)item.DeepClone();
                        content.Remove("timestamp");
                        results[key] = (content, timestamp.DeepClone());
                    }
                }
            }
        }

        /// <summary>Adds the timestamp: the previous one when the result is unchanged, else the audit's time.</summary>
        public JsonObject Stamp(JsonObject result, long auditTime)
        {
            var key = Key(result);
            result["timestamp"] = key is not null && results.TryGetValue(key, out var previous) && JsonNode.DeepEquals(previous.Content, result)
                ? previous.Timestamp.DeepClone()
                : new JsonObject { ["seconds"] = auditTime, ["nanos"] = 0 };
            return result;
        }

        private static string? Key(JsonObject result) =>
            result["resources"] is JsonArray { Count: > 0 } resources && resources[0] is JsonObject resource
                ? $"{Text(result["rule"])}/{Text(resource["kind"])}/{Text(resource["namespace"])}/{Text(resource["name"])}"
                : null;

        // Previous reports come from files and clusters: a field of another type is no match, never an exception.
        private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
    }
}

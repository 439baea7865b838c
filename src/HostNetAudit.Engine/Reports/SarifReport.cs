using System.Globalization;
using System.Text.Json;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// SARIF 2.1.0: one run per cluster. Results: a namespace that admits hostNetwork pods (error), one
/// that refuses them only for some pods (warning), one whose policy could not be determined (warning),
/// and every hostNetwork pod not covered by an exemption (note; with the manifest file as location when
/// the evidence came from files). Namespaces are logical locations.
/// </summary>
internal static class SarifReport
{
    private sealed record Rule(string Id, string Name, string Level, string Short, string Full, string Help);

    private static readonly Rule[] Rules =
    {
        new("HNA001", "NamespaceAdmitsHostNetworkPods", "error",
            "No enforcing admission policy refuses hostNetwork pods in this namespace.",
            "CIS Kubernetes 5.2.5 asks that every namespace with user workloads has at least one enforcing admission policy that refuses pods with spec.hostNetwork: true.",
            "Each result's remediation names the least invasive fix that works now: a Pod Security label at baseline (Set-NamespacePodSecurity -Level Baseline -WhatIf) where nothing running or templated violates baseline, else the targeted hostNetwork policy (Set-HostNetworkPolicy -WhatIf), after the hostNetwork workloads it names are declared or changed."),
        new("HNA002", "NamespaceRefusesHostNetworkConditionally", "warning",
            "The admission policy that refuses hostNetwork pods applies only to some pods.",
            "A policy limited by an object selector, match conditions, a label selector, user exemptions or a missing parameter does not protect every pod; the control counts the namespace as not compliant.",
            "Make the policy cover every pod, or add an unconditional enforcing policy that refuses hostNetwork pods."),
        new("HNA003", "NamespacePolicyUnknown", "warning",
            "Whether an enforcing policy refuses hostNetwork pods could not be determined.",
            "A policy could not be read (permissions) or judged (unrecognised expressions); run Test-NamespacePolicy -Probe to verify with a server-side dry run.",
            "Grant the auditor role's read permissions, or verify with Test-NamespacePolicy -Probe."),
        new("HNA004", "HostNetworkPod", "note",
            "A pod runs with spec.hostNetwork: true.",
            "The pod shares the node's network namespace: it sees the node's loopback and the traffic of every other pod on the node.",
            "Remove hostNetwork, or declare the workload in the exemptions file with a justification."),
        new("HNA005", "HostNetworkWorkload", "note",
            "A workload template creates pods with spec.hostNetwork: true.",
            "Every pod the workload creates (also after scaling up, resuming or the next schedule) shares the node's network namespace.",
            "Remove hostNetwork from the pod template, or declare the workload in the exemptions file with a justification."),
    };

    public static void Write(IReadOnlyList<AuditReport> reports, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
        json.WriteString("version", "2.1.0");
        json.WriteStartArray("runs");
        foreach (var report in reports)
        {
            WriteRun(json, report);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteRun(Utf8JsonWriter json, AuditReport report)
    {
        json.WriteStartObject();
        json.WriteStartObject("tool");
        json.WriteStartObject("driver");
        json.WriteString("name", "HostNetAudit");
        var version = string.IsNullOrEmpty(report.ModuleVersion) ? "0.0.0" : report.ModuleVersion;
        json.WriteString("version", version);
        json.WriteString("semanticVersion", version);
        json.WriteStartArray("rules");
        foreach (var rule in Rules)
        {
            json.WriteStartObject();
            json.WriteString("id", rule.Id);
            json.WriteString("name", rule.Name);
            json.WriteStartObject("shortDescription");
            json.WriteString("text", rule.Short);
            json.WriteEndObject();
            json.WriteStartObject("fullDescription");
            json.WriteString("text", rule.Full);
            json.WriteEndObject();
            json.WriteStartObject("help");
            json.WriteString("text", rule.Help);
            json.WriteEndObject();
            json.WriteStartObject("defaultConfiguration");
            json.WriteString("level", rule.Level);
            json.WriteEndObject();
            json.WriteStartObject("properties");
            json.WriteStartArray("tags");
            json.WriteStringValue("security");
            json.WriteStringValue("kubernetes");
            json.WriteStringValue("CIS-5.2.5");
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteStartObject("automationDetails");
        json.WriteString("id", "hostnetaudit/" + report.Context + "/" + report.GeneratedAt.UtcDateTime.ToString("yyyyMMddTHHmmssZ", CultureInfo.InvariantCulture));
        json.WriteEndObject();

        json.WriteStartArray("invocations");
        json.WriteStartObject();
        json.WriteBoolean("executionSuccessful", true);
        json.WriteString("endTimeUtc", report.GeneratedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        json.WriteEndObject();
        json.WriteEndArray();

        var artifacts = report.HostNetworkPods.Select(p => p.SourcePath).Concat(report.HostNetworkWorkloads.Select(w => w.SourcePath))
            .Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).Distinct(StringComparer.Ordinal).ToList();
        var files = new SourceFiles();
        if (artifacts.Count > 0)
        {
            json.WriteStartArray("artifacts");
            foreach (var artifact in artifacts)
            {
                json.WriteStartObject();
                json.WriteStartObject("location");
                json.WriteString("uri", FileUri(artifact));
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteStartArray("results");
        foreach (var ns in report.Namespaces)
        {
            var ruleIndex = ns.Status switch
            {
                "NonCompliant" => 0,
                "Conditional" => 1,
                "Unknown" => 2,
                _ => -1,
            };
            if (ruleIndex < 0)
            {
                continue;
            }

            json.WriteStartObject();
            json.WriteString("ruleId", Rules[ruleIndex].Id);
            json.WriteNumber("ruleIndex", ruleIndex);
            json.WriteString("level", Rules[ruleIndex].Level);
            json.WriteStartObject("message");
            json.WriteString("text", $"Namespace '{ns.Namespace}' ({report.Context}): {ns.Reason ?? ns.Status}");
            json.WriteEndObject();
            json.WriteStartArray("locations");
            json.WriteStartObject();
            json.WriteStartArray("logicalLocations");
            json.WriteStartObject();
            json.WriteString("name", ns.Namespace);
            json.WriteString("fullyQualifiedName", report.Context + "/" + ns.Namespace);
            json.WriteString("kind", "namespace");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("partialFingerprints");
            json.WriteString("hostNetAuditNamespace/v1", report.Context + "/" + ns.Namespace);
            json.WriteEndObject();
            json.WriteStartObject("properties");
            json.WriteString("status", ns.Status);
            WriteOptional(json, "podSecurity", ns.PodSecurity);
            WriteOptional(json, "enforcedBy", ns.EnforcedBy);
            WriteOptional(json, "auditOnly", ns.AuditOnly);
            json.WriteNumber("hostNetworkPods", ns.HostNetworkPodCount);
            WriteOptional(json, "remediation", ns.Remediation);
            WriteOptional(json, "fix", ns.Fix);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        foreach (var pod in report.HostNetworkPods.Where(p => p.Exemption is null))
        {
            WriteResource(json, 3, $"Pod '{pod.Namespace}/{pod.Name}' ({pod.Owner}) runs with hostNetwork: true.",
                report.Context + "/" + pod.Namespace + "/" + pod.Name, pod.SourcePath, pod.SourceLine, artifacts, files,
                "hostNetAuditPod/v1", report.Context + "/" + pod.Namespace + "/" + (pod.OwnerKind is null ? pod.Name : pod.Owner),
                ("owner", pod.Owner), ("node", pod.NodeName));
        }

        foreach (var workload in report.HostNetworkWorkloads.Where(w => w.Exemption is null))
        {
            WriteResource(json, 4, $"{workload.Kind} '{workload.Namespace}/{workload.Name}' creates pods with hostNetwork: true.",
                report.Context + "/" + workload.Namespace + "/" + workload.Kind + "/" + workload.Name, workload.SourcePath, workload.SourceLine, artifacts, files,
                "hostNetAuditWorkload/v1", report.Context + "/" + workload.Kind + "/" + workload.Namespace + "/" + workload.Name,
                ("kind", workload.Kind), ("replicas", workload.ReplicaSummary));
        }

        json.WriteEndArray();

        json.WriteStartObject("properties");
        json.WriteString("context", report.Context);
        json.WriteString("result", report.Result);
        json.WriteString("title", report.Title);
        WriteOptional(json, "kubernetesVersion", report.KubernetesVersion);
        json.WriteBoolean("podSecurityDefaultAssumed", report.PodSecurityDefaultAssumed);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteResource(
        Utf8JsonWriter json,
        int ruleIndex,
        string message,
        string qualifiedName,
        string? sourcePath,
        int? sourceLine,
        List<string> artifacts,
        SourceFiles files,
        string fingerprintName,
        string fingerprint,
        params (string Name, string? Value)[] properties)
    {
        json.WriteStartObject();
        json.WriteString("ruleId", Rules[ruleIndex].Id);
        json.WriteNumber("ruleIndex", ruleIndex);
        json.WriteString("level", Rules[ruleIndex].Level);
        json.WriteStartObject("message");
        json.WriteString("text", message);
        json.WriteEndObject();
        json.WriteStartArray("locations");
        json.WriteStartObject();
        if (!string.IsNullOrEmpty(sourcePath))
        {
            json.WriteStartObject("physicalLocation");
            json.WriteStartObject("artifactLocation");
            json.WriteString("uri", FileUri(sourcePath));
            json.WriteNumber("index", artifacts.IndexOf(sourcePath));
            json.WriteEndObject();
            if (files.Region(sourcePath, sourceLine) is { } region)
            {
                json.WriteStartObject("region");
                json.WriteNumber("startLine", region.StartLine);
                json.WriteNumber("startColumn", 1);
                json.WriteNumber("endLine", region.EndLine);
                json.WriteNumber("endColumn", region.EndColumn);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteStartArray("logicalLocations");
        json.WriteStartObject();
        json.WriteString("name", qualifiedName[(qualifiedName.LastIndexOf('/') + 1)..]);
        json.WriteString("fullyQualifiedName", qualifiedName);
        json.WriteString("kind", "resource");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("partialFingerprints");
        json.WriteString(fingerprintName, fingerprint);
        json.WriteEndObject();
        json.WriteStartObject("properties");
        foreach (var (name, value) in properties)
        {
            WriteOptional(json, name, value);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// Regions in the evidence files: the object's first line when known, else the whole file; read once per
    /// file, and left out when the file cannot be read (the report may be written elsewhere than it was made).
    /// </summary>
    private sealed class SourceFiles
    {
        private readonly Dictionary<string, string[]?> lines = new(StringComparer.Ordinal);

        public (int StartLine, int EndLine, int EndColumn)? Region(string path, int? line)
        {
            if (!lines.TryGetValue(path, out var text))
            {
                try
                {
                    text = File.Exists(path) ? File.ReadAllLines(path) : null;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    text = null;
                }

                lines[path] = text;
            }

            if (text is null || text.Length == 0)
            {
                return null;
            }

            if (line is { } start && start >= 1 && start <= text.Length)
            {
                return (start, start, text[start - 1].Length + 1);
            }

            return (1, text.Length, text[^1].Length + 1);
        }
    }

    private static string FileUri(string path) => Path.IsPathRooted(path) ? new Uri(path).AbsoluteUri : path.Replace('\\', '/');

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json.WriteString(name, value);
        }
    }
}

using System.Text;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Reports;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Simulator;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Reports;

/// <summary>
/// Export-HostNetworkAuditReport -Format PolicyReport | OpenReports: the shape Policy Reporter and the Kyverno UI
/// read, valid against the CRDs (unknown fields refused), summaries equal to the results, stable timestamps,
/// no object over 1 MiB.
/// </summary>
public sealed class PolicyReportTests : IAsyncLifetime
{
    private static readonly PolicyReportApi[] Apis = { PolicyReportApi.WgPolicy, PolicyReportApi.OpenReports };
    private AuditReport[] audits = Array.Empty<AuditReport>();

    public async Task InitializeAsync()
    {
        audits = new[]
        {
            await SimulatedAudits.AuditAsync("demo", exemptions: true),
            await SimulatedAudits.AuditAsync("policy", probe: true),
            await SimulatedAudits.AuditAsync(RemediationScenario.Name),
            ReportFixtures.Cluster("hostile"),
        };
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static IReadOnlyList<JsonObject> Build(AuditReport report, PolicyReportApi? api = null, IEnumerable<JsonNode?>? previous = null, int budget = PolicyReportBuilder.ChunkBudgetBytes) =>
        PolicyReportBuilder.Build(report, api ?? PolicyReportApi.WgPolicy, previous ?? Array.Empty<JsonNode?>(), budget);

    private static JsonObject Cluster(IReadOnlyList<JsonObject> objects) => objects.Single(o => (string?)o["kind"] is "ClusterPolicyReport" or "ClusterReport");

    private static IEnumerable<JsonObject> Results(JsonObject report) => report["results"]!.AsArray().Select(r => r!.AsObject());

    private static JsonObject NamespaceResult(IReadOnlyList<JsonObject> objects, string ns) =>
        Results(Cluster(objects)).Single(r => (string?)r["resources"]![0]!["name"] == ns);

    private static byte[] WriteFile(AuditReport report, ReportFormat format, string? previousPath = null)
    {
        using var stream = new MemoryStream();
        ReportWriter.Write(new[] { report }, format, stream, previousPath);
        return stream.ToArray();
    }

    private static List<JsonNode?> ReadYaml(byte[] bytes)
    {
        var documents = YamlDocuments.Read(Encoding.UTF8.GetString(bytes)).ToList();
        Assert.All(documents, d => Assert.Null(d.Error));
        return documents.Select(d => d.Node).ToList();
    }

    [PolicyReportFact]
    public void Every_report_of_every_audit_validates_against_its_CRD_with_no_field_the_apiserver_would_prune()
    {
        var checkedObjects = 0;
        foreach (var api in Apis)
        {
            foreach (var audit in audits)
            {
                foreach (var report in Build(audit, api))
                {
                    var schema = PolicyReportSchemas.For((string)report["apiVersion"]!, (string)report["kind"]!);
                    Assert.Empty(OpenApiSchema.Validate(schema, report));
                    checkedObjects++;
                }
            }
        }

        Assert.True(checkedObjects > 10, $"only {checkedObjects} objects were generated");
    }

    [PolicyReportFact]
    public void The_validator_refuses_unknown_fields_wrong_types_enum_violations_and_missing_required_fields()
    {
        var schema = PolicyReportSchemas.For("wgpolicyk8s.io/v1alpha2", "PolicyReport");
        var valid = Build(audits[0]).First(o => (string?)o["kind"] == "PolicyReport");
        Assert.Empty(OpenApiSchema.Validate(schema, valid));

        static JsonObject Broken(JsonObject report, Action<JsonObject> change)
        {
            var copy = report.DeepClone().AsObject();
            change(copy);
            return copy;
        }

        var cases = new (Action<JsonObject> Change, string Error)[]
        {
            (r => r["results"]![0]!["resultDetail"] = "x", "$.results[0].resultDetail: the schema does not declare this field"),
            (r => r["status"] = new JsonObject(), "$.status: the schema does not declare this field"),
            (r => r["results"]![0]!["result"] = "ok", "$.results[0].result: \"ok\" is not one of"),
            (r => r["results"]![0]!["severity"] = "medium-high", "$.results[0].severity: \"medium-high\" is not one of"),
            (r => r["results"]![0]!["properties"]!["hostNetworkPods"] = 3, "$.results[0].properties.hostNetworkPods: expected a string"),
            (r => r["results"]![0]!["scored"] = "true", "$.results[0].scored: expected a boolean"),
            (r => r["results"]![0]!.AsObject().Remove("policy"), "$.results[0]: the required field 'policy' is missing"),
            (r => r["results"]![0]!["timestamp"]!["nanos"] = 1.5, "$.results[0].timestamp.nanos: expected an integer"),
            (r => r["summary"]!["pass"] = null, "$.summary.pass: null is not allowed"),
            (r => r["metadata"]!["labels"]!["app.kubernetes.io/managed-by"] = "Host Net Audit", "is not a valid label value"),
            (r => r["metadata"]!["name"] = "HostNetAudit", "is not a DNS subdomain name"),
        };
        foreach (var (change, error) in cases)
        {
            var errors = OpenApiSchema.Validate(schema, Broken(valid, change));
            Assert.Contains(errors, e => e.Contains(error, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Every_summary_equals_the_tally_of_its_results_and_results_hold_the_fixed_names()
    {
        foreach (var api in Apis)
        {
            foreach (var report in audits.SelectMany(a => Build(a, api)))
            {
                var results = Results(report).ToList();
                foreach (var outcome in new[] { "pass", "fail", "warn", "error", "skip" })
                {
                    Assert.Equal(results.Count(r => (string?)r["result"] == outcome), (int)report["summary"]![outcome]!);
                }

                Assert.All(results, r =>
                {
                    Assert.Equal("cis-5.2.5-host-network", (string?)r["policy"]);
                    Assert.Contains((string?)r["rule"], new[] { "namespace-admission", "hostnetwork-workload" });
                    Assert.Equal("hostnetaudit", (string?)r["source"]);
                    Assert.All(r["properties"]!.AsObject(), p => Assert.Equal(System.Text.Json.JsonValueKind.String, p.Value!.GetValueKind()));
                });
            }
        }
    }

    [Fact]
    public void Namespace_verdicts_are_one_cluster_report_with_a_result_per_namespace_mapped_from_the_status()
    {
        var hostile = audits[3];
        var objects = Build(hostile);
        var cluster = Cluster(objects);
        Assert.Equal("wgpolicyk8s.io/v1alpha2", (string?)cluster["apiVersion"]);
        Assert.Equal(hostile.Namespaces.Length, Results(cluster).Count());
        Assert.All(Results(cluster), r =>
        {
            Assert.Equal("namespace-admission", (string?)r["rule"]);
            var resource = r["resources"]!.AsArray().Single()!;
            Assert.Equal("v1", (string?)resource["apiVersion"]);
            Assert.Equal("Namespace", (string?)resource["kind"]);
        });

        Assert.Equal("pass", (string?)NamespaceResult(objects, "team-a")["result"]);
        Assert.Equal("PodSecurityAdmission: baseline:latest (label)", (string?)NamespaceResult(objects, "team-a")["properties"]!["enforcedBy"]);
        var failing = NamespaceResult(objects, "ops");
        Assert.Equal("fail", (string?)failing["result"]);
        Assert.EndsWith("then Set-HostNetworkPolicy -Context 'prod-west' -ExemptionPath './exemptions.yaml' -WhatIf", (string?)failing["properties"]!["remediation"], StringComparison.Ordinal);
        Assert.Equal("TargetedPolicy", (string?)failing["properties"]!["fix"]);
        Assert.StartsWith("No enforcing policy refuses hostNetwork", (string?)failing["properties"]!["reason"], StringComparison.Ordinal);
        Assert.Equal((string?)failing["properties"]!["reason"], (string?)failing["message"]);
        Assert.Equal("1", (string?)failing["properties"]!["hostNetworkPods"]);
        Assert.Equal("warn", (string?)NamespaceResult(objects, "edge")["result"]);
        Assert.Equal("error", (string?)NamespaceResult(objects, "payments")["result"]);
        var exempt = NamespaceResult(objects, "kube-system");
        Assert.Equal("skip", (string?)exempt["result"]);
        Assert.Equal("CNI & kube-proxy need the host network", (string?)exempt["properties"]!["justification"]);

        // A live audit: every namespace of the cluster once, in name order.
        var demo = audits[0];
        var names = Results(Cluster(Build(demo))).Select(r => (string?)r["resources"]![0]!["name"]).ToList();
        Assert.Equal(demo.Namespaces.Select(n => (string?)n.Namespace).OrderBy(n => n, StringComparer.Ordinal).ToList(), names);
    }

    [Fact]
    public void Workload_results_are_one_report_per_namespace_with_the_top_level_workloads_and_pod_counts_not_every_pod()
    {
        var demo = audits[0];
        var objects = Build(demo);
        var namespaced = objects.Where(o => (string?)o["kind"] == "PolicyReport").ToList();
        Assert.Equal(namespaced.Count, namespaced.Select(o => (string?)o["metadata"]!["namespace"]).Distinct().Count());
        var workloads = namespaced.SelectMany(Results).ToList();
        Assert.All(workloads, r => Assert.Equal("hostnetwork-workload", (string?)r["rule"]));
        Assert.True(workloads.Count < demo.HostNetworkPods.Length, "workloads, not pods");

        // Every hostNetwork pod is counted once, under its top controller (a pod without one by its own name).
        Assert.Equal(demo.HostNetworkPods.Length, workloads.Sum(r => int.Parse((string)r["properties"]!["hostNetworkPods"]!, System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var owner in demo.HostNetworkPods.GroupBy(p => (p.Namespace, Kind: p.OwnerKind is null or "Node" ? "Pod" : p.OwnerKind, Name: p.OwnerKind is null or "Node" ? p.Name : p.OwnerName)))
        {
            var result = workloads.Single(r => (string?)r["resources"]![0]!["namespace"] == owner.Key.Namespace && (string?)r["resources"]![0]!["kind"] == owner.Key.Kind && (string?)r["resources"]![0]!["name"] == owner.Key.Name);
            Assert.Equal(owner.Count().ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)result["properties"]!["hostNetworkPods"]);
            Assert.Equal(owner.All(p => p.Exemption is not null) ? "skip" : "fail", (string?)result["result"]);
        }

        // Templates that run no pod are there too, and every template once.
        foreach (var template in demo.HostNetworkWorkloads)
        {
            var result = workloads.Single(r => (string?)r["resources"]![0]!["kind"] == template.Kind && (string?)r["resources"]![0]!["name"] == template.Name && (string?)r["resources"]![0]!["namespace"] == template.Namespace);
            Assert.Equal(template.ApiVersion, (string?)result["resources"]![0]!["apiVersion"]);
            Assert.Equal(template.Exemption is null ? "fail" : "skip", (string?)result["result"]);
            Assert.Equal(template.Exemption, (string?)result["properties"]!["justification"]);
        }

        Assert.Contains(workloads, r => (string?)r["result"] == "skip");
        Assert.Contains(workloads, r => (string?)r["result"] == "fail");
        Assert.Contains(workloads, r => (string?)r["resources"]![0]!["kind"] == "Pod");
    }

    [Fact]
    public void Every_report_is_named_hostnetaudit_and_labelled_managed_by_HostNetAudit()
    {
        foreach (var api in Apis)
        {
            foreach (var report in audits.SelectMany(a => Build(a, api)))
            {
                Assert.Equal("hostnetaudit", (string?)report["metadata"]!["name"]);
                Assert.Equal("HostNetAudit", (string?)report["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]);
                var clusterScoped = (string?)report["kind"] is "ClusterPolicyReport" or "ClusterReport";
                Assert.Equal(clusterScoped, report["metadata"]!["namespace"] is null);
            }
        }
    }

    [Fact]
    public void OpenReports_are_Report_and_ClusterReport_with_their_top_level_source()
    {
        var objects = Build(audits[0], PolicyReportApi.OpenReports);
        Assert.All(objects, o =>
        {
            Assert.Equal("openreports.io/v1alpha1", (string?)o["apiVersion"]);
            Assert.Contains((string?)o["kind"], new[] { "Report", "ClusterReport" });
            Assert.Equal("hostnetaudit", (string?)o["source"]);
        });
        var wg = Build(audits[0]);
        Assert.Equal(wg.Count, objects.Count);
        Assert.True(JsonNode.DeepEquals(wg[0]["results"], objects[0]["results"]), "the same results in both APIs");
        Assert.Null(wg[0]["source"]);
    }

    [Fact]
    public void A_result_keeps_its_timestamp_until_it_changes_and_an_unchanged_audit_gives_the_same_objects()
    {
        var first = ReportFixtures.Cluster("prod-west");
        var firstObjects = Build(first);
        var auditTime = first.GeneratedAt.ToUnixTimeSeconds();
        Assert.All(firstObjects.SelectMany(Results), r => Assert.Equal(auditTime, (long)r["timestamp"]!["seconds"]!));

        // An hour later, nothing changed: the same objects (a publisher has nothing to write).
        var second = ReportFixtures.Cluster("prod-west");
        second.GeneratedAt = first.GeneratedAt.AddHours(1);
        var secondObjects = Build(second, previous: firstObjects);
        Assert.Equal(firstObjects.Count, secondObjects.Count);
        for (var i = 0; i < firstObjects.Count; i++)
        {
            Assert.True(JsonNode.DeepEquals(firstObjects[i], secondObjects[i]), $"object {i} changed");
        }

        // One namespace is fixed: only its result gets the new time.
        var third = ReportFixtures.Cluster("prod-west");
        third.GeneratedAt = first.GeneratedAt.AddHours(2);
        var ops = third.Namespaces.Single(n => n.Namespace == "ops");
        ops.Status = "Compliant";
        ops.Compliant = true;
        ops.Reason = "Refused by Pod Security Admission enforce=baseline:latest.";
        ops.Remediation = null;
        var thirdObjects = Build(third, previous: secondObjects);
        foreach (var result in Results(Cluster(thirdObjects)))
        {
            var expected = (string?)result["resources"]![0]!["name"] == "ops" ? third.GeneratedAt.ToUnixTimeSeconds() : auditTime;
            Assert.Equal(expected, (long)result["timestamp"]!["seconds"]!);
            Assert.Equal(0, (int)result["timestamp"]!["nanos"]!);
        }

        Assert.Equal("pass", (string?)NamespaceResult(thirdObjects, "ops")["result"]);
    }

    [Fact]
    public void Previous_reports_are_read_from_the_file_being_replaced_so_an_unchanged_audit_writes_the_same_bytes()
    {
        var file = Path.Combine(Path.GetTempPath(), "hna-policyreport-" + Guid.NewGuid().ToString("N")[..8] + ".yaml");
        try
        {
            var first = ReportFixtures.Cluster("prod-west");
            File.WriteAllBytes(file, WriteFile(first, ReportFormat.PolicyReport));
            var later = ReportFixtures.Cluster("prod-west");
            later.GeneratedAt = first.GeneratedAt.AddDays(1);
            Assert.Equal(File.ReadAllBytes(file), WriteFile(later, ReportFormat.PolicyReport, file));

            // Another file there (not policy reports): the audit's time, and a warning naming the file.
            File.WriteAllText(file, "<html></html>");
            using var stream = new MemoryStream();
            var warnings = ReportWriter.Write(new[] { later }, ReportFormat.PolicyReport, stream, file);
            Assert.Contains(warnings, w => w.Contains(file, StringComparison.Ordinal) && w.Contains("holds no policy reports", StringComparison.Ordinal));
            Assert.All(ReadYaml(stream.ToArray()).SelectMany(o => o!["results"]!.AsArray()), r => Assert.Equal(later.GeneratedAt.ToUnixTimeSeconds(), (long)r!["timestamp"]!["seconds"]!));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [PolicyReportFact]
    public void Results_are_chunked_so_that_no_object_exceeds_1_MiB_each_chunk_numbered_valid_and_summed()
    {
        // 6,000 namespaces with long reasons: several megabytes of results.
        var big = ReportFixtures.Cluster("big");
        big.Namespaces = Enumerable.Range(0, 6000).Select(i => new AuditNamespace
        {
            Context = "big",
            Namespace = "team-" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture),
            Status = (i % 3) switch { 0 => "NonCompliant", 1 => "Compliant", _ => "Conditional" },
            Reason = "No enforcing policy refuses hostNetwork; " + new string('x', 600),
            Remediation = $"Set-NamespacePodSecurity -Context 'big' -Namespace 'team-{i}' -Level Baseline",
        }).ToArray();

        foreach (var api in Apis)
        {
            var clusterReports = Build(big, api).Where(o => (string?)o["kind"] is "ClusterPolicyReport" or "ClusterReport").ToList();
            Assert.True(clusterReports.Count > 3, $"{clusterReports.Count} chunks");
            Assert.Equal(
                new[] { "hostnetaudit" }.Concat(Enumerable.Range(1, clusterReports.Count - 1).Select(i => "hostnetaudit-" + i)),
                clusterReports.Select(o => (string?)o["metadata"]!["name"]));
            Assert.All(clusterReports, o =>
            {
                Assert.True(PolicyReportBuilder.Size(o) <= PolicyReportBuilder.ChunkBudgetBytes, $"{PolicyReportBuilder.Size(o)} bytes");
                Assert.True(PolicyReportBuilder.Size(o) < 1024 * 1024);
                Assert.Empty(OpenApiSchema.Validate(PolicyReportSchemas.For((string)o["apiVersion"]!, (string)o["kind"]!), o));
                Assert.Equal(Results(o).Count(), new[] { "pass", "fail", "warn", "error", "skip" }.Sum(k => (int)o["summary"]![k]!));
            });
            var all = clusterReports.SelectMany(Results).Select(r => (string?)r["resources"]![0]!["name"]).ToList();
            Assert.Equal(big.Namespaces.Select(n => n.Namespace), all);
        }
    }

    [Fact]
    public void The_YAML_reads_back_as_the_same_objects_where_strings_look_like_other_types()
    {
        var tricky = ReportFixtures.Cluster("tricky");
        var values = new[] { "true", "no", "on", "Y", "~", "null", "80", "0x1F", "1e3", "1:20", "2026-01-31", "-1", ".5", "a: b", "#hash", "multi\nline", " padded ", "'quoted'", "\"double\"", "{flow}", "[list]", "*alias", "&anchor", "!tag", "%directive", "@at", "`tick`", "ümlaut ✓", "" };
        tricky.Namespaces = values.Select((v, i) => new AuditNamespace { Context = "tricky", Namespace = "ns-" + i, Status = "NonCompliant", Reason = v, Remediation = v, EnforcedBy = v }).ToArray();
        foreach (var format in new[] { ReportFormat.PolicyReport, ReportFormat.OpenReports })
        {
            var bytes = WriteFile(tricky, format);
            var expected = Build(tricky, format == ReportFormat.OpenReports ? PolicyReportApi.OpenReports : PolicyReportApi.WgPolicy);
            var read = ReadYaml(bytes);
            Assert.Equal(expected.Count, read.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(JsonNode.DeepEquals(expected[i], read[i]), $"document {i}: {read[i]?.ToJsonString()}");
            }

            var text = Encoding.UTF8.GetString(bytes);
            Assert.StartsWith("---\napiVersion: ", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
    }

    [PolicyReportFact]
    public async Task Every_report_applied_to_the_simulator_by_server_side_apply_reads_back_as_written_and_a_second_apply_writes_nothing()
    {
        // The simulator serves the CRDs as the apiserver does: validation, pruning of undeclared fields, apply.
        await using var host = await SimHost.StartAsync(ScenarioCatalog.Create("demo"), new SimulatorOptions { CustomResourceDefinitionPaths = { PolicyReportSchemas.Path! } });
        var audit = await SimulatedAudits.AuditAsync(host, "demo", exemptions: true);
        using var api = new SimApi(host);
        foreach (var reportApi in Apis)
        {
            var objects = Build(audit, reportApi);
            var versions = new List<string>();
            foreach (var report in objects)
            {
                var metadata = report["metadata"]!;
                var ns = (string?)metadata["namespace"];
                var path = $"/apis/{report["apiVersion"]}/{(ns is null ? string.Empty : "namespaces/" + ns + "/")}{((string)report["kind"]!).ToLowerInvariant()}s/{metadata["name"]}";
                using var yaml = new StringWriter();
                KubernetesYaml.Write(new[] { report }, yaml);
                var applied = await api.Apply(path, yaml.ToString(), "hostnetaudit");
                Assert.True(applied.Status == System.Net.HttpStatusCode.Created, $"{path}: {applied.Status} {applied.Message}");

                var read = (await api.Get(path)).Object;
                versions.Add((string)read["metadata"]!["resourceVersion"]!);
                foreach (var serverField in new[] { "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields" })
                {
                    read["metadata"]!.AsObject().Remove(serverField);
                }

                Assert.True(JsonNode.DeepEquals(report, read), $"{path} reads back as {read.ToJsonString()}");
            }

            // The same objects again (an unchanged audit): nothing is written.
            var again = new List<string>();
            foreach (var report in Build(audit, reportApi, previous: objects))
            {
                var ns = (string?)report["metadata"]!["namespace"];
                var path = $"/apis/{report["apiVersion"]}/{(ns is null ? string.Empty : "namespaces/" + ns + "/")}{((string)report["kind"]!).ToLowerInvariant()}s/{report["metadata"]!["name"]}";
                again.Add((string)(await api.Apply(path, report.ToJsonString(), "hostnetaudit")).Object["metadata"]!["resourceVersion"]!);
            }

            Assert.Equal(versions, again);
        }
    }

    [Fact]
    public void Several_clusters_in_one_file_are_refused_with_ReportMultipleClusters_naming_them()
    {
        using var stream = new MemoryStream();
        var error = Assert.Throws<HostNetAuditException>(() => ReportWriter.Write(new[] { ReportFixtures.Cluster("a"), ReportFixtures.Cluster("b") }, ReportFormat.PolicyReport, stream));
        Assert.Equal("ReportMultipleClusters", error.ErrorId);
        Assert.Equal("a, b", error.Target);
        Assert.Contains("ForEach-Object", error.RecommendedAction, StringComparison.Ordinal);
    }
}

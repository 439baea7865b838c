using System.Net;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

/// <summary>CustomResourceDefinitions: discovery, CRUD, server-side apply and dry-run of custom objects, pruning and validation.</summary>
public sealed class CustomResourceTests
{
    private static async Task<SimHost> Start() =>
        await SimHost.StartAsync(ScenarioCatalog.Empty(), new SimulatorOptions { CustomResourceDefinitionPaths = { PolicyReportSchemas.Path! } });

    private static string Report(string name, string result, string extra = "") => SimApi.Fill("""
        {"apiVersion":"wgpolicyk8s.io/v1alpha2","kind":"PolicyReport","metadata":{"name":"@0@","labels":{"app.kubernetes.io/managed-by":"HostNetAudit"}},
         "summary":{"pass":1,"fail":0,"warn":0,"error":0,"skip":0}@1@,
         "results":[{"policy":"cis-5.2.5-host-network","rule":"hostnetwork-workload","result":"@2@","source":"hostnetaudit","properties":{"pods":"3"}}]}
        """, name, extra, result);

    [PolicyReportFact]
    public async Task The_CRDs_make_their_kinds_discoverable_and_served()
    {
        await using var host = await Start();
        using var api = new SimApi(host);
        var groups = (await api.Get("/apis")).Object["groups"]!.AsArray().Select(g => g!["name"]!.ToString()).ToList();
        Assert.Contains("wgpolicyk8s.io", groups);
        Assert.Contains("openreports.io", groups);
        var wg = (await api.Get("/apis/wgpolicyk8s.io/v1alpha2")).Object["resources"]!.AsArray();
        Assert.Equal(new[] { ("clusterpolicyreports", false), ("policyreports", true) }, wg.Select(r => (r!["name"]!.ToString(), r["namespaced"]!.GetValue<bool>())).Order());
        var open = (await api.Get("/apis/openreports.io/v1alpha1")).Object["resources"]!.AsArray();
        Assert.Equal(new[] { "clusterreports", "reports" }, open.Select(r => r!["name"]!.ToString()).Order());
        Assert.Equal(HttpStatusCode.OK, (await api.Get("/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports")).Status);
        Assert.Equal(4, (await api.Get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")).Object["items"]!.AsArray().Count);
    }

    [PolicyReportFact]
    public async Task Unknown_fields_are_pruned_and_invalid_values_refused()
    {
        await using var host = await Start();
        using var api = new SimApi(host);
        var created = await api.Post("/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports", Report("hostnetaudit", "pass", ",\"unknownTopLevel\":1").Replace("\"source\":\"hostnetaudit\"", "\"source\":\"hostnetaudit\",\"notInSchema\":true", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Null(created.Object["unknownTopLevel"]);
        Assert.Null(created.Object["results"]![0]!["notInSchema"]);
        Assert.Equal("3", created.Object["results"]![0]!["properties"]!["pods"]!.ToString());

        var invalid = await api.Post("/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports", Report("bad", "Pass"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Status);
        Assert.StartsWith("PolicyReport.wgpolicyk8s.io \"bad\" is invalid: results[0].result: Unsupported value: \"Pass\": supported values: ", invalid.Message, StringComparison.Ordinal);
    }

    [PolicyReportFact]
    public async Task Reports_are_applied_server_side_with_dry_run_and_a_second_identical_apply_changes_nothing()
    {
        await using var host = await Start();
        using var api = new SimApi(host);
        const string Path = "/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/hostnetaudit";
        Assert.Equal(HttpStatusCode.Created, (await api.Apply(Path, Report("hostnetaudit", "pass"), "hostnetaudit", dryRun: true)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.Get(Path)).Status);

        var created = await api.Apply(Path, Report("hostnetaudit", "pass"), "hostnetaudit");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var again = await api.Apply(Path, Report("hostnetaudit", "pass"), "hostnetaudit");
        Assert.Equal(created.Object["metadata"]!["resourceVersion"]!.ToString(), again.Object["metadata"]!["resourceVersion"]!.ToString());
        var changed = await api.Apply(Path, Report("hostnetaudit", "fail"), "hostnetaudit");
        Assert.Equal("fail", changed.Object["results"]![0]!["result"]!.ToString());
        Assert.Equal(2, changed.Object["metadata"]!["generation"]!.GetValue<long>());

        var cluster = await api.Apply("/apis/openreports.io/v1alpha1/clusterreports/hostnetaudit", """
            {"apiVersion":"openreports.io/v1alpha1","kind":"ClusterReport","metadata":{"name":"hostnetaudit"},"source":"hostnetaudit","summary":{"pass":0,"fail":0,"warn":0,"error":0,"skip":0},"results":[]}
            """, "hostnetaudit");
        Assert.Equal(HttpStatusCode.Created, cluster.Status);
        Assert.Equal("hostnetaudit", cluster.Object["source"]!.ToString());
    }

    [PolicyReportFact]
    public async Task Without_the_CRD_the_kind_is_not_served_and_deleting_the_CRD_stops_serving_it()
    {
        await using var bare = await SimHost.StartAsync(ScenarioCatalog.Empty());
        using var bareApi = new SimApi(bare);
        Assert.Equal(HttpStatusCode.NotFound, (await bareApi.Get("/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports")).Status);

        await using var host = await Start();
        using var admin = SimApi.Admin(host);
        await admin.Post("/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports", Report("hostnetaudit", "pass"));
        Assert.Equal(HttpStatusCode.OK, (await admin.Delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/policyreports.wgpolicyk8s.io")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.Get("/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports/hostnetaudit")).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.Get("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports")).Status);

        // Installing it again (a YAML body, as kubectl create sends it) serves the kind again.
        var yaml = await File.ReadAllTextAsync(System.IO.Path.Combine(PolicyReportSchemas.Path!, "wgpolicyk8s.io_policyreports.yaml"));
        var installed = await admin.Send(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", yaml.Replace("---\n", string.Empty, StringComparison.Ordinal), "application/yaml");
        Assert.Equal(HttpStatusCode.Created, installed.Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.Get("/apis/wgpolicyk8s.io/v1alpha2/namespaces/default/policyreports")).Status);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

public sealed class SimulatorTests : IAsyncLifetime
{
    private SimHost host = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        host = await SimHost.StartAsync(ScenarioCatalog.Demo());
        http = host.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Server.Token);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await host.DisposeAsync();
    }

    private async Task<JsonObject> GetJson(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(expected, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task Pages_lists_with_continue_tokens_and_remainingItemCount_only_without_selectors()
    {
        var first = await GetJson("/api/v1/pods?limit=5");
        Assert.Equal(5, first["items"]!.AsArray().Count);
        Assert.NotNull(first["metadata"]!["continue"]);
        Assert.NotNull(first["metadata"]!["remainingItemCount"]);

        var names = new List<string>();
        string? next = null;
        do
        {
            var page = await GetJson("/api/v1/pods?limit=7" + (next is null ? string.Empty : "&continue=" + Uri.EscapeDataString(next)));
            names.AddRange(page["items"]!.AsArray().Select(i => i!["metadata"]!["namespace"] + "/" + i["metadata"]!["name"]));
            next = page["metadata"]?["continue"]?.GetValue<string>();
        }
        while (next is not null);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), names);

        var selected = await GetJson("/api/v1/pods?limit=2&fieldSelector=spec.hostNetwork%3Dtrue");
        Assert.Null(selected["metadata"]!["remainingItemCount"]);
        Assert.All(selected["items"]!.AsArray(), i => Assert.True(i!["spec"]!["hostNetwork"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Supports_field_and_label_selectors_and_rejects_unknown_fields()
    {
        var running = await GetJson("/api/v1/namespaces/kube-system/pods?fieldSelector=status.phase%3DRunning,spec.hostNetwork!%3Dtrue");
        Assert.All(running["items"]!.AsArray(), i => Assert.Null(i!["spec"]!["hostNetwork"]));
        var labelled = await GetJson("/api/v1/namespaces?labelSelector=" + Uri.EscapeDataString("pod-security.kubernetes.io/enforce in (baseline,restricted),!nothing"));
        Assert.Equal(new[] { "payments", "team-a" }, labelled["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Order());
        var status = await GetJson("/api/v1/pods?fieldSelector=spec.foo%3Dbar", HttpStatusCode.BadRequest);
        Assert.Equal("field label not supported: spec.foo", status["message"]!.GetValue<string>());

        host.Cluster.Options.HostNetworkFieldSelector = false;
        var old = await GetJson("/api/v1/pods?fieldSelector=spec.hostNetwork%3Dtrue", HttpStatusCode.BadRequest);
        Assert.Equal("field label not supported: spec.hostNetwork", old["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Requires_a_bearer_token_and_emulates_RBAC_denials()
    {
        using var anonymous = host.Http();
        using var response = await anonymous.GetAsync("/api/v1/pods");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        host.Cluster.Access.Deny(new HostNetAudit.Simulator.Infrastructure.DenyRule { Verb = "list", Resource = "pods" });
        var denied = await GetJson("/api/v1/pods", HttpStatusCode.Forbidden);
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:hostnetaudit:auditor\" cannot list resource \"pods\" in API group \"\" at the cluster scope", denied["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Serves_discovery_for_the_groups_present()
    {
        var groups = await GetJson("/apis");
        var names = groups["groups"]!.AsArray().Select(g => g!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("apps", names);
        Assert.DoesNotContain("kyverno.io", names);
        var core = await GetJson("/api/v1");
        Assert.Contains(core["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "pods");
        using var missing = await http.GetAsync("/apis/kyverno.io/v1/clusterpolicies");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<HttpResponseMessage> Patch(string path, string contentType, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task Json_patch_applies_test_operations_and_dry_run_changes_nothing()
    {
        const string ns = "/api/v1/namespaces/ops";
        using (var failed = await Patch(ns, "application/json-patch+json", """[{"op":"test","path":"/metadata/labels/pod-security.kubernetes.io~1enforce","value":"baseline"},{"op":"add","path":"/metadata/labels/x","value":"y"}]"""))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, failed.StatusCode);
        }

        using (var dry = await Patch(ns + "?dryRun=All", "application/json-patch+json", """[{"op":"add","path":"/metadata/labels/pod-security.kubernetes.io~1enforce","value":"baseline"}]"""))
        {
            Assert.Equal(HttpStatusCode.OK, dry.StatusCode);
            var warnings = dry.Headers.GetValues("Warning").ToList();
            Assert.Contains(warnings, w => w.Contains("existing pods in namespace \\\"ops\\\" violate the new PodSecurity enforce level \\\"baseline:latest\\\"", StringComparison.Ordinal));
        }

        var unchanged = await GetJson(ns);
        Assert.Null(unchanged["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]);

        using (var applied = await Patch(ns, "application/merge-patch+json", """{"metadata":{"labels":{"pod-security.kubernetes.io/warn":"baseline"}}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        }

        var changed = await GetJson(ns);
        Assert.Equal("baseline", changed["metadata"]!["labels"]!["pod-security.kubernetes.io/warn"]!.GetValue<string>());
        Assert.Single(host.Cluster.Requests.All, r => r.IsWrite && r.Status == 200);
    }

    [Fact]
    public async Task Rejects_a_stale_resourceVersion_and_invalid_label_values()
    {
        using (var stale = await Patch("/api/v1/namespaces/ops", "application/merge-patch+json", """{"metadata":{"resourceVersion":"1","labels":{"a":"b"}}}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        }

        using var invalid = await Patch("/api/v1/namespaces/ops", "application/merge-patch+json", """{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"strict"}}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
    }

    [Fact]
    public async Task Dry_run_pod_creation_is_judged_by_PSA_with_the_real_message()
    {
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"probe"},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"x"}]}}""";
        using var denied = await http.PostAsync("/api/v1/namespaces/team-a/pods?dryRun=All", new StringContent(pod, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var status = JsonNode.Parse(await denied.Content.ReadAsStringAsync())!;
        Assert.StartsWith("pods \"probe\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)", status["message"]!.GetValue<string>(), StringComparison.Ordinal);

        using var admitted = await http.PostAsync("/api/v1/namespaces/ops/pods?dryRun=All", new StringContent(pod, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, admitted.StatusCode);
        Assert.DoesNotContain(host.Cluster.Store.InNamespace(host.Cluster.Store.Definitions.First(d => d.Kind == "Pod"), "ops"), p => p.Name == "probe");
    }

    [Fact]
    public void Continue_tokens_round_trip()
    {
        var token = ContinueToken.Encode(1234, "ns/name");
        Assert.True(ContinueToken.TryDecode(token, out var rv, out var key));
        Assert.Equal(1234, rv);
        Assert.Equal("ns/name", key);
        Assert.False(ContinueToken.TryDecode("garbage", out _, out _));
    }

    [Fact]
    public void Demo_scenario_pods_look_like_a_real_apiservers()
    {
        var pods = host.Cluster.Store.Snapshot(host.Cluster.Store.Definitions.First(d => d.Kind == "Pod"));
        Assert.True(pods.Length > 30);
        Assert.All(pods, p => Assert.True(p.Bytes.Length > 2500, $"{p.Name} is {p.Bytes.Length} bytes"));
        var pod = JsonSerializer.Deserialize<JsonObject>(pods[0].Bytes)!;
        Assert.NotNull(pod["metadata"]!["managedFields"]);
        Assert.NotNull(pod["status"]!["containerStatuses"]);
    }
}

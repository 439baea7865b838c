using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>
/// Issue 12, paramRef live: a simulated cluster holding a ValidatingAdmissionPolicy whose params are ConfigMaps, one
/// per namespace. The verdicts are this test's own truth; the module must read the params with one cluster-wide
/// list (a field selector on the name), never per namespace, and say Unknown, naming the permission, when the list
/// is forbidden.
/// </summary>
public sealed class LiveParamsTests : IAsyncLifetime
{
    private SimHost host = null!;

    public async Task InitializeAsync()
    {
        var scenario = new Scenario { Name = "params" };
        foreach (var ns in new[] { "strict", "lenient", "missing" })
        {
            scenario.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = ns, ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = ns } },
            });
        }

        scenario.Add(Json("""
            {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"host-network-by-namespace"},
             "spec":{"failurePolicy":"Fail","paramKind":{"apiVersion":"v1","kind":"ConfigMap"},
              "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]},
              "validations":[{"expression":"params.data.?allowHostNetwork.orValue('false') == 'true' || !object.spec.?hostNetwork.orValue(false)"}]}}
            """));
        scenario.Add(Json("""
            {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"host-network-by-namespace"},
             "spec":{"policyName":"host-network-by-namespace","validationActions":["Deny"],"paramRef":{"name":"hostnetwork-policy","parameterNotFoundAction":"Deny"}}}
            """));
        scenario.Add(Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hostnetwork-policy","namespace":"strict"},"data":{"allowHostNetwork":"false"}}"""));
        scenario.Add(Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hostnetwork-policy","namespace":"lenient"},"data":{"allowHostNetwork":"true"}}"""));
        scenario.Add(Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"unrelated","namespace":"missing"},"data":{"allowHostNetwork":"true"}}"""));
        host = await SimHost.StartAsync(scenario);
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    private async Task<Dictionary<string, NamespacePolicyResult>> EvaluateAsync(RecordingLog log)
    {
        using var session = new ClusterSession(host.Api(log), log);
        var results = await session.TestNamespacePoliciesAsync(new NamespacePolicyQuery(), CancellationToken.None);
        ReasonText.AssertClean(results);
        return results.ToDictionary(r => r.Namespace);
    }

    [Fact]
    public async Task Params_are_read_with_one_cluster_wide_list_and_judged_per_namespace()
    {
        var results = await EvaluateAsync(new RecordingLog());

        Assert.Equal("Compliant", results["strict"].Status);
        Assert.Equal("NonCompliant", results["lenient"].Status);
        Assert.Equal("NonCompliant", results["missing"].Status);
        Assert.Contains("no ConfigMap named hostnetwork-policy exists in missing", Assert.Single(results["missing"].Informational).Detail, StringComparison.Ordinal);

        var configMapRequests = host.Cluster.Requests.All.Where(r => r.Resource == "configmaps").ToList();
        var list = Assert.Single(configMapRequests);
        Assert.Equal(("list", "/api/v1/configmaps"), (list.Verb, list.Path));
        Assert.Contains("fieldSelector=metadata.name%3Dhostnetwork-policy", list.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forbidden_param_list_is_Unknown_and_names_the_missing_permission()
    {
        host.Cluster.Access.Deny(new DenyRule { Verb = "list", Group = string.Empty, Resource = "configmaps" });
        var log = new RecordingLog();
        var results = await EvaluateAsync(log);

        Assert.All(results.Values, r => Assert.Equal("Unknown", r.Status));
        var finding = Assert.Single(results["strict"].Unknown);
        Assert.Contains("RBAC must allow 'list' on 'configmaps'", finding.Detail, StringComparison.Ordinal);
        Assert.Contains(log.Warnings, w => w.Contains("configmaps", StringComparison.Ordinal));
    }

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;
}

using System.Net;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

/// <summary>One rbac-scenario cluster shared by the truth-table rows.</summary>
public sealed class RbacClusterFixture : IAsyncLifetime
{
    public SimHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await SimHost.StartAsync(RbacScenario.Create());

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The simulator's RBAC authorizer, SubjectAccessReviews and aggregation controller, against the rbac scenario's
/// hand-written truth table (one test per row) and hand-written expectations.
/// </summary>
public sealed class RbacTests : IClassFixture<RbacClusterFixture>
{
    private const string Reviews = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
    private readonly SimHost host;

    public RbacTests(RbacClusterFixture fixture)
    {
        host = fixture.Host;
    }

    public static TheoryData<int, string> Rows()
    {
        var data = new TheoryData<int, string>();
        var rows = RbacScenario.Create().Truth["accessReviews"]!.AsArray();
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i]!;
            var what = r["path"] is { } path
                ? $"get {path}"
                : $"{r["verb"]} {r["group"]}/{r["resource"]}{(r["subresource"]!.ToString().Length > 0 ? "/" + r["subresource"] : string.Empty)} {r["name"]} in '{r["namespace"]}'";
            data.Add(i, $"{r["user"]} {r["groups"]!.ToJsonString()}: {what} -> {r["allowed"]}");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task SubjectAccessReview_answers_each_row_of_the_hand_written_truth(int index, string row)
    {
        var expected = RbacScenario.Create().Truth["accessReviews"]![index]!;
        var spec = new JsonObject { ["user"] = expected["user"]!.ToString(), ["groups"] = expected["groups"]!.DeepClone() };
        if (expected["path"] is { } path)
        {
            spec["nonResourceAttributes"] = new JsonObject { ["path"] = path.ToString(), ["verb"] = expected["verb"]!.ToString() };
        }
        else
        {
            spec["resourceAttributes"] = new JsonObject
            {
                ["verb"] = expected["verb"]!.ToString(),
                ["group"] = expected["group"]!.ToString(),
                ["resource"] = expected["resource"]!.ToString(),
                ["subresource"] = expected["subresource"]!.ToString(),
                ["namespace"] = expected["namespace"]!.ToString(),
                ["name"] = expected["name"]!.ToString(),
            };
        }

        using var api = SimApi.Admin(host);
        var reply = await api.Post(Reviews, new JsonObject { ["apiVersion"] = "authorization.k8s.io/v1", ["kind"] = "SubjectAccessReview", ["spec"] = spec }.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, reply.Status);
        Assert.True(expected["allowed"]!.GetValue<bool>() == reply.Object["status"]!["allowed"]!.GetValue<bool>(), row);
        if (expected["reason"] is { } reason)
        {
            Assert.Equal(reason.ToString(), reply.Object["status"]!["reason"]?.ToString());
        }
    }

    [Fact]
    public async Task SelfSubjectAccessReview_answers_for_the_caller_or_the_user_it_impersonates()
    {
        host.Cluster.Access.AddToken("alice-token", "alice");
        using var alice = new SimApi(host, "alice-token");
        Assert.True(await SelfReview(alice, "team-a"));
        Assert.False(await SelfReview(alice, "team-b"));

        using var admin = SimApi.Admin(host);
        Assert.True(await SelfReview(admin, "team-b"));
        admin.ImpersonateUser = "alice";
        Assert.True(await SelfReview(admin, "team-a"));
        Assert.False(await SelfReview(admin, "team-b"));
    }

    private static async Task<bool> SelfReview(SimApi api, string ns)
    {
        var reply = await api.Post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", SimApi.Fill("""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"create","resource":"pods","namespace":"@0@"}}}""", ns));
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        return reply.Object["status"]!["allowed"]!.GetValue<bool>();
    }

    [Fact]
    public async Task LocalSubjectAccessReview_takes_its_namespace_from_the_URL_and_refuses_another()
    {
        using var admin = SimApi.Admin(host);
        var local = await admin.Post("/apis/authorization.k8s.io/v1/namespaces/team-a/localsubjectaccessreviews", """{"spec":{"user":"alice","resourceAttributes":{"verb":"create","resource":"pods"}}}""");
        Assert.True(local.Object["status"]!["allowed"]!.GetValue<bool>());
        Assert.Equal("team-a", local.Object["spec"]!["resourceAttributes"]!["namespace"]!.ToString());

        var other = await admin.Post("/apis/authorization.k8s.io/v1/namespaces/team-a/localsubjectaccessreviews", """{"spec":{"user":"alice","resourceAttributes":{"verb":"create","resource":"pods","namespace":"team-b"}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, other.Status);
    }

    [Fact]
    public async Task SubjectAccessReview_without_a_subject_or_with_both_attribute_kinds_is_invalid()
    {
        using var admin = SimApi.Admin(host);
        var noSubject = await admin.Post(Reviews, """{"spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noSubject.Status);
        Assert.Contains("at least one of user or group must be specified", noSubject.Message, StringComparison.Ordinal);

        var both = await admin.Post(Reviews, """{"spec":{"user":"a","resourceAttributes":{"verb":"get","resource":"pods"},"nonResourceAttributes":{"verb":"get","path":"/x"}}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, both.Status);
    }

    [Fact]
    public async Task Aggregated_ClusterRoles_store_the_rules_of_the_roles_their_selectors_pick_as_those_change()
    {
        await using var own = await SimHost.StartAsync(RbacScenario.Create());
        using var admin = SimApi.Admin(own);
        var auditor = (await admin.Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/auditor")).Object;
        Assert.Equal(new[] { "pods", "deployments" }, auditor["rules"]!.AsArray().Select(r => r!["resources"]![0]!.ToString()));
        var edit = (await admin.Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/edit")).Object;
        Assert.Contains(edit["rules"]!.AsArray(), r => r!["resources"]!.AsArray().Any(x => x!.ToString() == "pods/exec") && r["verbs"]!.AsArray().Any(v => v!.ToString() == "create"));

        var created = await admin.Post("/apis/rbac.authorization.k8s.io/v1/clusterroles", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"secret-reader","labels":{"example.com/aggregate-to-auditor":"true"}},
             "rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}
            """);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.True(await Allowed(admin, "auditors", "get", "secrets"));
        Assert.Equal(3, (await admin.Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/auditor")).Object["rules"]!.AsArray().Count);

        var unlabelled = await admin.Patch("/apis/rbac.authorization.k8s.io/v1/clusterroles/secret-reader", """{"metadata":{"labels":{"example.com/aggregate-to-auditor":null}}}""");
        Assert.Equal(HttpStatusCode.OK, unlabelled.Status);
        Assert.False(await Allowed(admin, "auditors", "get", "secrets"));

        await admin.Patch("/apis/rbac.authorization.k8s.io/v1/clusterroles/secret-reader", """{"metadata":{"labels":{"example.com/aggregate-to-auditor":"true"}}}""");
        Assert.Equal(HttpStatusCode.OK, (await admin.Delete("/apis/rbac.authorization.k8s.io/v1/clusterroles/secret-reader")).Status);
        Assert.False(await Allowed(admin, "auditors", "get", "secrets"));
        Assert.Equal(2, (await admin.Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/auditor")).Object["rules"]!.AsArray().Count);
    }

    private static async Task<bool> Allowed(SimApi api, string group, string verb, string resource)
    {
        var reply = await api.Post(Reviews, SimApi.Fill("""{"spec":{"groups":["@0@"],"resourceAttributes":{"verb":"@1@","resource":"@2@","namespace":"team-a"}}}""", group, verb, resource));
        return reply.Object["status"]!["allowed"]!.GetValue<bool>();
    }

    [Fact]
    public async Task Enforced_RBAC_refuses_what_no_binding_grants_with_the_apiservers_message()
    {
        await using var enforced = await SimHost.StartAsync(RbacScenario.Create(), new SimulatorOptions { EnforceRbac = true });
        enforced.Cluster.Access.AddToken("alice-token", "alice");
        enforced.Cluster.Access.AddToken("dave-token", "dave");
        using var alice = new SimApi(enforced, "alice-token");

        Assert.Equal(HttpStatusCode.OK, (await alice.Get("/apis")).Status);
        Assert.Equal(HttpStatusCode.OK, (await alice.Get("/api/v1/namespaces/team-a/pods")).Status);
        var refused = await alice.Get("/api/v1/namespaces/team-b/pods");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the namespace \"team-b\"", refused.Message);
        var grouped = await alice.Get("/apis/apps/v1/namespaces/team-b/deployments/web");
        Assert.Equal("deployments.apps \"web\" is forbidden: User \"alice\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"team-b\"", grouped.Message);

        using var dave = new SimApi(enforced, "dave-token");
        var missing = await dave.Get("/api/v1/namespaces/team-a/pods");
        Assert.Equal(HttpStatusCode.Forbidden, missing.Status);
        Assert.EndsWith("in the namespace \"team-a\": RBAC: role.rbac.authorization.k8s.io \"does-not-exist\" not found", missing.Message, StringComparison.Ordinal);

        // A namespace object is authorized in its own namespace: team-b's service accounts may view team-b.
        enforced.Cluster.Access.AddToken("team-b-token", "system:serviceaccount:team-b:default");
        using var teamB = new SimApi(enforced, "team-b-token");
        Assert.Equal(HttpStatusCode.OK, (await teamB.Get("/api/v1/namespaces/team-b")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await teamB.Get("/api/v1/namespaces/team-a")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await teamB.Get("/api/v1/namespaces")).Status);

        // The module's default identity has no binding in this scenario.
        using var module = new SimApi(enforced);
        Assert.Equal(HttpStatusCode.Forbidden, (await module.Get("/api/v1/pods")).Status);
        using var admin = SimApi.Admin(enforced);
        Assert.Equal(HttpStatusCode.OK, (await admin.Get("/api/v1/pods")).Status);
    }

    [Fact]
    public async Task Enforced_RBAC_authorizes_a_server_side_apply_create_with_its_name_but_a_POST_create_without()
    {
        await using var enforced = await SimHost.StartAsync(RbacScenario.Create(), new SimulatorOptions { EnforceRbac = true });
        enforced.Cluster.Access.AddToken("ci-token", "system:serviceaccount:team-b:ci");
        using var ci = new SimApi(enforced, "ci-token");

        var posted = await ci.Post("/apis/apps/v1/namespaces/team-b/deployments", Deployment("web"));
        Assert.Equal(HttpStatusCode.Forbidden, posted.Status);
        Assert.Equal("deployments.apps is forbidden: User \"system:serviceaccount:team-b:ci\" cannot create resource \"deployments\" in API group \"apps\" in the namespace \"team-b\"", posted.Message);

        var applied = await ci.Apply("/apis/apps/v1/namespaces/team-b/deployments/web", Deployment("web"), "ci");
        Assert.Equal(HttpStatusCode.Created, applied.Status);
        var other = await ci.Apply("/apis/apps/v1/namespaces/team-b/deployments/api", Deployment("api"), "ci");
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        Assert.Contains("cannot patch resource \"deployments\"", other.Message, StringComparison.Ordinal);
    }

    internal static string Deployment(string name, bool hostNetwork = false, int replicas = 1) => SimApi.Fill("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"@0@"},
         "spec":{"replicas":@1@,"selector":{"matchLabels":{"app":"@2@"}},
                 "template":{"metadata":{"labels":{"app":"@3@"}},"spec":{"hostNetwork":@4@,"containers":[{"name":"c","image":"nginx"}]}}}}
        """, name, replicas, name, name, (hostNetwork ? "true" : "false"));

    [Fact]
    public async Task A_bindings_roleRef_cannot_change()
    {
        using var admin = SimApi.Admin(host);
        var changed = await admin.Patch("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/alice-edit", """{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.Status);
        Assert.Contains("cannot change roleRef", changed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_simulator_assembly_references_neither_the_engine_nor_the_module()
    {
        var references = typeof(SimCluster).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain("HostNetAudit.Engine", references);
        Assert.DoesNotContain("HostNetAudit", references);
        Assert.Contains("Cel", references);
    }
}

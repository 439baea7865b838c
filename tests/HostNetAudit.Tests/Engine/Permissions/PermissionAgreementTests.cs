using System.Net;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Simulator.Auth;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Simulator;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Permissions;

/// <summary>The permissions scenario with scale-NNNN namespaces and 240 more bindings, read live by the engine.</summary>
public sealed class PermissionFleetFixture : IAsyncLifetime
{
    public const int ExtraNamespaces = 12;
    public const int ExtraBindings = 240;

    public Scenario Scenario { get; } = PermissionScenario.Create(ExtraNamespaces, ExtraBindings);

    public SimHost Host { get; private set; } = null!;

    public IReadOnlyList<HostNetworkPermission> Records { get; private set; } = Array.Empty<HostNetworkPermission>();

    public async Task InitializeAsync()
    {
        Host = await SimHost.StartAsync(Scenario);
        using var session = new ClusterSession(Host.Api(), NullEngineLog.Instance);
        Records = await session.GetHostNetworkPermissionsAsync(new NamespacePolicyQuery(), CancellationToken.None);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Agreement with the simulator's own authorizer (docs/design.md, "Who can get a hostNetwork pod admitted"), which
/// never references the engine: over a scenario with more than 200 bindings, every request a record names is
/// allowed by a SubjectAccessReview of its subject, and for (subject, namespace) pairs with no record, drawn from the
/// namespaces reported on, every request that would give a path is denied. The live answer is also the offline one.
/// </summary>
public sealed class PermissionAgreementTests : IClassFixture<PermissionFleetFixture>
{
    private const string Reviews = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
    private const string Rbac = "rbac.authorization.k8s.io";
    private readonly PermissionFleetFixture fixture;

    public PermissionAgreementTests(PermissionFleetFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public void The_scenario_has_more_than_200_bindings_and_the_engine_reports_on_them()
    {
        var bindings = fixture.Scenario.Objects.Count(o => o["kind"]!.ToString() is "RoleBinding" or "ClusterRoleBinding");
        Assert.True(bindings >= 200, $"{bindings} bindings");
        Assert.True(fixture.Records.Count >= 100, $"{fixture.Records.Count} records");
        Assert.Contains(fixture.Records, r => r.Namespace.StartsWith("scale-", StringComparison.Ordinal) && r.Subject.StartsWith("User user-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_request_an_emitted_record_names_is_allowed_by_a_SubjectAccessReview()
    {
        using var api = SimApi.Admin(fixture.Host);
        var checkedActions = 0;
        foreach (var record in fixture.Records.Where(r => !r.Latent))
        {
            if (record.Authorizer == "Node")
            {
                // The Node authorizer is not the simulator's: nodes are listed by rule.
                Assert.Equal("Group system:nodes", record.Subject);
                continue;
            }

            Assert.NotEmpty(record.Actions);
            foreach (var action in record.Actions)
            {
                var (allowed, reason) = await Review(api, record, action);
                Assert.True(allowed, $"{record.Subject} in {record.Namespace} ({record.PathType}, {record.PathText}): {action} is denied ({reason})");
                checkedActions++;
            }
        }

        Assert.True(checkedActions >= 100, $"{checkedActions} actions checked");
    }

    [Fact]
    public async Task A_latent_binding_grants_nothing()
    {
        using var api = SimApi.Admin(fixture.Host);
        var latent = fixture.Records.Where(r => r.Latent).ToList();
        Assert.True(latent.Count >= 10, $"{latent.Count} latent records");
        foreach (var record in latent.Where(l => !fixture.Records.Any(r => !r.Latent && r.Subject == l.Subject && r.Namespace == l.Namespace)))
        {
            var (allowed, _) = await Review(api, record, new PermissionAction { Verb = "create", Resource = "pods", Namespace = record.Namespace });
            Assert.False(allowed, $"{record.Subject} may create pods in {record.Namespace}");
        }
    }

    [Fact]
    public async Task Pairs_without_a_record_are_denied_every_request_that_would_give_a_path()
    {
        using var api = SimApi.Admin(fixture.Host);
        var truth = fixture.Scenario.Truth;
        var open = truth["namespaces"]!.AsObject().Where(p => p.Value!.ToString() == "NonCompliant").Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var pods = await HostNetworkPods(api);
        var reported = open.Concat(pods.Select(p => p.Namespace)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var subjects = Subjects();
        var emitted = fixture.Records.Where(r => !r.Latent).Select(r => (r.Subject, r.Namespace)).ToHashSet();
        var pairs = subjects.SelectMany(s => reported.Select(ns => (Subject: s, Namespace: ns))).Where(p => !emitted.Contains((p.Subject.Text, p.Namespace))).ToList();

        // Pairs where the subject holds a binding in the namespace (or cluster-wide) first: they are where a path hides.
        var random = new Random(14);
        var sample = pairs.Where(p => Bound(p.Subject, p.Namespace)).OrderBy(_ => random.Next()).Take(110)
            .Concat(pairs.Where(p => !Bound(p.Subject, p.Namespace)).OrderBy(_ => random.Next()).Take(40))
            .ToList();
        Assert.True(sample.Count >= 100, $"{sample.Count} pairs sampled of {pairs.Count}");

        var checkedWays = 0;
        foreach (var (subject, ns) in sample)
        {
            foreach (var way in Ways(subject, ns, open.Contains(ns), pods.Where(p => p.Namespace == ns).ToList()))
            {
                var all = true;
                foreach (var action in way)
                {
                    if (!(await Review(api, subject, action)).Allowed)
                    {
                        all = false;
                        break;
                    }
                }

                Assert.False(all, $"{subject.Text} has no record in {ns}, yet may {string.Join(" and ", way.Select(a => a.ToString()))}");
                checkedWays++;
            }
        }

        Assert.True(checkedWays >= 3000, $"{checkedWays} ways checked");
    }

    [Fact]
    public async Task Offline_evidence_exported_from_the_cluster_gives_the_live_answer()
    {
        using var api = SimApi.Admin(fixture.Host);
        var objects = new List<JsonObject>();
        foreach (var (path, kind) in new[]
        {
            ("/api/v1/namespaces", "Namespace"), ("/api/v1/pods", "Pod"), ("/api/v1/serviceaccounts", "ServiceAccount"),
            ("/apis/apps/v1/daemonsets", "DaemonSet"),
            ("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", "ValidatingAdmissionPolicy"),
            ("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding"),
            ("/apis/rbac.authorization.k8s.io/v1/roles", "Role"), ("/apis/rbac.authorization.k8s.io/v1/clusterroles", "ClusterRole"),
            ("/apis/rbac.authorization.k8s.io/v1/rolebindings", "RoleBinding"), ("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "ClusterRoleBinding"),
        })
        {
            var reply = await api.Get(path);
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            var apiVersion = reply.Object["apiVersion"]!.ToString();
            foreach (var item in reply.Object["items"]!.AsArray())
            {
                var obj = item!.DeepClone().AsObject();
                obj["apiVersion"] = apiVersion;
                obj["kind"] = kind;
                objects.Add(obj);
            }
        }

        // The export holds the aggregated roles as the controller stored them; offline they are computed again.
        static string Key(HostNetworkPermission r) => $"{r.Namespace}|{r.Subject}|{r.PathType}|{r.PathText}|{string.Join(",", r.Verbs)}|{r.Resource}|{r.Latent}";
        var offline = PermissionScenarioTests.AnalyzeExport(objects).Select(Key).ToList();
        var live = fixture.Records.Select(Key).ToList();
        Assert.Equal(live, offline);
    }

    private List<Subject> Subjects()
    {
        var subjects = new List<Subject>();
        foreach (var obj in fixture.Scenario.Objects.Concat(RbacBootstrap.Objects()))
        {
            var kind = obj["kind"]!.ToString();
            if (kind is "RoleBinding" or "ClusterRoleBinding")
            {
                var bindingNamespace = obj["metadata"]!["namespace"]?.ToString();
                foreach (var s in obj["subjects"]!.AsArray())
                {
                    var subjectKind = s!["kind"]!.ToString();
                    var ns = subjectKind == "ServiceAccount" ? s["namespace"]?.ToString() ?? bindingNamespace : null;
                    if (subjectKind != "ServiceAccount" || ns is not null)
                    {
                        subjects.Add(new Subject(subjectKind, s["name"]!.ToString(), ns));
                    }
                }
            }
            else if (kind == "ServiceAccount")
            {
                subjects.Add(new Subject("ServiceAccount", obj["metadata"]!["name"]!.ToString(), obj["metadata"]!["namespace"]!.ToString()));
            }
        }

        return subjects.Distinct().ToList();
    }

    /// <summary>Whether a binding names the subject in the namespace or cluster-wide (from the scenario's objects).</summary>
    private bool Bound(Subject subject, string ns) => fixture.Scenario.Objects.Any(o =>
        (o["kind"]!.ToString() == "ClusterRoleBinding" || (o["kind"]!.ToString() == "RoleBinding" && o["metadata"]!["namespace"]!.ToString() == ns)) &&
        o["subjects"]!.AsArray().Any(s => s!["kind"]!.ToString() == subject.Kind && s["name"]!.ToString() == subject.Name));

    /// <summary>
    /// Every way to a path in the namespace (all of a way's requests allowed gives one): create a pod or a workload
    /// (open namespaces), change or apply the objects the scenario's resourceNames name, act inside its hostNetwork
    /// pods, bind a role that creates pods into a new binding, escalate a role the subject is bound to, become an
    /// identity that has a record there (a service account's pod, token or token Secret, impersonation), or mint a
    /// node's identity when nodes have a record there.
    /// </summary>
    private IEnumerable<PermissionAction[]> Ways(Subject subject, string ns, bool open, IReadOnlyList<(string Namespace, string Name, string Node)> pods)
    {
        PermissionAction A(string verb, string group, string resource, string? ns2, string? name = null, string? sub = null) =>
            new() { Verb = verb, Group = group, Resource = resource, Namespace = ns2, Name = name, Subresource = sub };

        if (open)
        {
            yield return new[] { A("create", string.Empty, "pods", ns) };
            foreach (var (group, resource) in new[] { ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"), ("batch", "jobs"), ("batch", "cronjobs"), (string.Empty, "replicationcontrollers") })
            {
                foreach (var verb in new[] { "create", "update", "patch" })
                {
                    yield return new[] { A(verb, group, resource, ns) };
                }

                foreach (var name in new[] { "web", "api" })
                {
                    yield return new[] { A("update", group, resource, ns, name) };
                    yield return new[] { A("patch", group, resource, ns, name) };
                    yield return new[] { A("patch", group, resource, ns, name), A("create", group, resource, ns, name) };
                }
            }
        }

        foreach (var pod in pods)
        {
            foreach (var sub in new[] { "exec", "attach", "portforward" })
            {
                yield return new[] { A("create", string.Empty, "pods", ns, pod.Name, sub) };
                yield return new[] { A("get", string.Empty, "pods", ns, pod.Name, sub) };
            }

            yield return new[] { A("update", string.Empty, "pods", ns, pod.Name, "ephemeralcontainers") };
            yield return new[] { A("patch", string.Empty, "pods", ns, pod.Name, "ephemeralcontainers") };
            yield return new[] { A("get", string.Empty, "nodes", null, pod.Node, "proxy") };
            yield return new[] { A("create", string.Empty, "nodes", null, pod.Node, "proxy") };
        }

        if (!open)
        {
            yield break;
        }

        foreach (var role in new[] { "team-edit", "team-admin", "edit", "admin", "cluster-admin", "anything" })
        {
            yield return new[] { A("create", Rbac, "rolebindings", ns), A("bind", Rbac, "clusterroles", ns, role) };
            yield return new[] { A("create", Rbac, "clusterrolebindings", null), A("bind", Rbac, "clusterroles", null, role) };
        }

        foreach (var bound in fixture.Scenario.Objects.Where(o => o["kind"]!.ToString() == "RoleBinding" && o["metadata"]!["namespace"]!.ToString() == ns && o["roleRef"]!["kind"]!.ToString() == "Role" &&
            o["subjects"]!.AsArray().Any(s => s!["kind"]!.ToString() == subject.Kind && s["name"]!.ToString() == subject.Name)))
        {
            var role = bound["roleRef"]!["name"]!.ToString();
            yield return new[] { A("escalate", Rbac, "roles", ns, role), A("update", Rbac, "roles", ns, role) };
        }

        yield return new[] { A("impersonate", "authentication.k8s.io", "uids", null, "x") };
        yield return new[] { A("impersonate", "authentication.k8s.io", "userextras", null, "x", "scopes") };

        // Become an identity with a record here.
        var targets = fixture.Records.Where(r => r.Namespace == ns && !r.Latent).Select(r => (r.SubjectKind, r.SubjectName, r.SubjectNamespace)).Distinct().ToList();
        foreach (var (kind, name, saNamespace) in targets)
        {
            switch (kind)
            {
                case "ServiceAccount":
                    yield return new[] { A("create", string.Empty, "pods", saNamespace) };
                    yield return new[] { A("create", string.Empty, "serviceaccounts", saNamespace, name, "token") };
                    yield return new[] { A("create", string.Empty, "secrets", saNamespace) };
                    yield return new[] { A("impersonate", string.Empty, "serviceaccounts", saNamespace, name) };
                    yield return new[] { A("impersonate", string.Empty, "users", null, "system:serviceaccount:" + saNamespace + ":" + name) };
                    break;
                case "User":
                    yield return new[] { A("impersonate", string.Empty, "users", null, name) };
                    break;
                case "Group":
                    yield return new[] { A("impersonate", string.Empty, "groups", null, name) };
                    if (name == "system:nodes")
                    {
                        yield return new[]
                        {
                            A("create", "certificates.k8s.io", "certificatesigningrequests", null),
                            A("update", "certificates.k8s.io", "certificatesigningrequests", null, sub: "approval"),
                            A("approve", "certificates.k8s.io", "signers", null, "kubernetes.io/kube-apiserver-client-kubelet"),
                        };
                    }

                    if (name.StartsWith("system:serviceaccounts:", StringComparison.Ordinal))
                    {
                        yield return new[] { A("create", string.Empty, "pods", name["system:serviceaccounts:".Length..]) };
                    }

                    break;
            }
        }

        // Token Secrets the scenario's service accounts name.
        if (targets.Any(t => t.SubjectKind == "ServiceAccount" && t.SubjectName == "deployer" && t.SubjectNamespace == "open-a"))
        {
            yield return new[] { A("get", string.Empty, "secrets", "open-a", "deployer-token-abc") };
            yield return new[] { A("list", string.Empty, "secrets", "open-a") };
        }
    }

    private async Task<List<(string Namespace, string Name, string Node)>> HostNetworkPods(SimApi api)
    {
        var reply = await api.Get("/api/v1/pods?fieldSelector=spec.hostNetwork%3Dtrue");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Object["items"]!.AsArray()
            .Select(p => (p!["metadata"]!["namespace"]!.ToString(), p["metadata"]!["name"]!.ToString(), p["spec"]!["nodeName"]!.ToString()))
            .ToList();
    }

    private static Task<(bool Allowed, string Reason)> Review(SimApi api, HostNetworkPermission record, PermissionAction action) =>
        Review(api, new Subject(record.SubjectKind, record.SubjectName, record.SubjectNamespace), action);

    /// <summary>A SubjectAccessReview for exactly the subject: a user or service account without groups, or a member of the group only.</summary>
    private static async Task<(bool Allowed, string Reason)> Review(SimApi api, Subject subject, PermissionAction action)
    {
        var spec = new JsonObject
        {
            ["user"] = subject.Kind switch
            {
                "ServiceAccount" => $"system:serviceaccount:{subject.Namespace}:{subject.Name}",
                "User" => subject.Name,
                _ => "hostnetaudit-test:a-member",
            },
            ["groups"] = subject.Kind == "Group" ? new JsonArray(subject.Name) : new JsonArray(),
            ["resourceAttributes"] = new JsonObject
            {
                ["verb"] = action.Verb,
                ["group"] = action.Group,
                ["resource"] = action.Resource,
                ["subresource"] = action.Subresource ?? string.Empty,
                ["namespace"] = action.Namespace ?? string.Empty,
                ["name"] = action.Name ?? string.Empty,
            },
        };
        var reply = await api.Post(Reviews, new JsonObject { ["apiVersion"] = "authorization.k8s.io/v1", ["kind"] = "SubjectAccessReview", ["spec"] = spec }.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        return (reply.Object["status"]!["allowed"]!.GetValue<bool>(), reply.Object["status"]!["reason"]?.ToString() ?? string.Empty);
    }

    private sealed record Subject(string Kind, string Name, string? Namespace)
    {
        public string Text => Kind == "ServiceAccount" ? $"{Kind} {Namespace}/{Name}" : Kind + " " + Name;
    }
}

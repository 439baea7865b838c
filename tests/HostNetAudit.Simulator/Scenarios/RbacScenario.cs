using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// A small cluster of RBAC objects (beside the bootstrap ones) with the access its author worked out by hand in
/// Truth["accessReviews"]: each row is a SubjectAccessReview (user, groups, verb, group, resource, subresource,
/// namespace, name, or a non-resource path) and whether it is allowed, with a reason fragment where the reason is
/// the point. It covers aggregation (a custom aggregated role and the bootstrap edit role), a RoleBinding to a
/// ClusterRole, group and service-account subjects (a ServiceAccount without namespace in a RoleBinding),
/// resourceNames on a POST create versus a named (server-side apply) create, wildcards and subresources, "*/exec"
/// against the literal "pods/*", a binding to a missing role, impersonation, token requests, non-resource URLs and
/// system:masters. Never computed by the module's engine.
/// </summary>
public static class RbacScenario
{
    public const string Name = "rbac";
    private const string Rbac = "rbac.authorization.k8s.io";

    public static Scenario Create()
    {
        var scenario = new Scenario { Name = Name, ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed: 13);
        b.AddNodes(controlPlane: 1, workers: 2);
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease", "team-a", "team-b" })
        {
            b.AddNamespace(ns);
        }

        foreach (var (ns, name) in new[] { ("team-b", "ci"), ("team-b", "default"), ("team-a", "default"), ("kube-system", "daemon-set-controller") })
        {
            scenario.Add(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns } });
        }

        // An aggregated role: the controller stores the rules of the roles its selector picks.
        const string aggregate = "example.com/aggregate-to-auditor";
        scenario.Add(ClusterRole("pod-reader", Labels(aggregate), Rule(string.Empty, "pods", "get", "list")));
        scenario.Add(ClusterRole("workload-reader", Labels(aggregate), Rule("apps", "deployments", "get", "list")));
        var auditor = ClusterRole("auditor", null);
        auditor["aggregationRule"] = new JsonObject { ["clusterRoleSelectors"] = new JsonArray(new JsonObject { ["matchLabels"] = Labels(aggregate) }) };
        scenario.Add(auditor);
        scenario.Add(ClusterRoleBinding("auditors", "auditor", Subject("Group", "auditors")));

        // A RoleBinding to the bootstrap (aggregated) edit role grants in its namespace only.
        scenario.Add(RoleBinding("team-a", "alice-edit", "ClusterRole", "edit", Subject("User", "alice")));

        // resourceNames, bound to a ServiceAccount subject without namespace (= the binding's).
        scenario.Add(Role("team-b", "deployer", Named(Rule("apps", "deployments", "create", "update", "patch"), "web")));
        scenario.Add(RoleBinding("team-b", "ci-deployer", "Role", "deployer", Subject("ServiceAccount", "ci")));

        // "*/exec" is the exec subresource of any resource; "pods/*" is a literal that matches nothing real.
        scenario.Add(ClusterRole("exec-anything", null, Rule(string.Empty, "*/exec", "create")));
        scenario.Add(RoleBinding("team-b", "bob-exec", "ClusterRole", "exec-anything", Subject("User", "bob")));
        scenario.Add(ClusterRole("pods-star", null, Rule(string.Empty, "pods/*", "get")));
        scenario.Add(ClusterRoleBinding("carol-pods-star", "pods-star", Subject("User", "carol")));

        // Wildcards for a group, in one namespace.
        scenario.Add(ClusterRole("everything", null, Rule("*", "*", "*")));
        scenario.Add(RoleBinding("team-a", "team-a-admins", "ClusterRole", "everything", Subject("Group", "team-a-admins")));

        // A binding to a role that does not exist grants nothing.
        scenario.Add(RoleBinding("team-a", "dave-missing", "Role", "does-not-exist", Subject("User", "dave")));

        // Impersonating a node, and minting a controller's token.
        scenario.Add(ClusterRole("impersonate-worker-1", null, Named(Rule(string.Empty, "users", "impersonate"), "system:node:worker-1"), Named(Rule(string.Empty, "groups", "impersonate"), "system:nodes")));
        scenario.Add(ClusterRoleBinding("eve-impersonates", "impersonate-worker-1", Subject("User", "eve")));
        scenario.Add(Role("kube-system", "controller-token", Named(Rule(string.Empty, "serviceaccounts/token", "create"), "daemon-set-controller")));
        scenario.Add(RoleBinding("kube-system", "frank-token", "Role", "controller-token", Subject("User", "frank")));

        // Non-resource URLs, and the service-account group of a namespace.
        scenario.Add(ClusterRole("metrics-reader", null, new JsonObject { ["nonResourceURLs"] = new JsonArray("/metrics", "/logs/*"), ["verbs"] = new JsonArray("get") }));
        scenario.Add(ClusterRoleBinding("monitoring-metrics", "metrics-reader", Subject("Group", "monitoring")));
        scenario.Add(RoleBinding("team-b", "team-b-view", "ClusterRole", "view", Subject("Group", "system:serviceaccounts:team-b")));

        scenario.Truth["accessReviews"] = AccessReviews();
        return scenario;
    }

    // The author's truth, worked out from the bindings above and the bootstrap roles.
    private static JsonArray AccessReviews()
    {
        var rows = new JsonArray();
        void Row(string user, string[] groups, string verb, string group, string resource, string ns, bool allowed, string subresource = "", string name = "", string? reason = null)
        {
            var row = new JsonObject
            {
                ["user"] = user,
                ["groups"] = new JsonArray(groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
                ["verb"] = verb,
                ["group"] = group,
                ["resource"] = resource,
                ["subresource"] = subresource,
                ["namespace"] = ns,
                ["name"] = name,
                ["allowed"] = allowed,
            };
            if (reason is not null)
            {
                row["reason"] = reason;
            }

            rows.Add(row);
        }

        void Path(string user, string[] groups, string path, bool allowed) => rows.Add(new JsonObject
        {
            ["user"] = user,
            ["groups"] = new JsonArray(groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
            ["verb"] = "get",
            ["path"] = path,
            ["allowed"] = allowed,
        });

        var none = Array.Empty<string>();
        const string ci = "system:serviceaccount:team-b:ci";
        Row("alice", none, "create", string.Empty, "pods", "team-a", true, reason: "RBAC: allowed by RoleBinding \"alice-edit/team-a\" of ClusterRole \"edit\" to User \"alice\"");
        Row("alice", none, "create", string.Empty, "pods", "team-b", false);
        Row("alice", none, "create", string.Empty, "pods", "team-a", true, subresource: "exec");
        Row("alice", none, "create", "apps", "daemonsets", "team-a", true);
        Row("alice", none, "create", Rbac, "rolebindings", "team-a", false);
        Row("someone", new[] { "auditors" }, "list", string.Empty, "pods", string.Empty, true, reason: "RBAC: allowed by ClusterRoleBinding \"auditors\" of ClusterRole \"auditor\" to Group \"auditors\"");
        Row("someone", new[] { "auditors" }, "list", "apps", "deployments", "team-b", true);
        Row("someone", new[] { "auditors" }, "delete", string.Empty, "pods", "team-a", false);
        Row(ci, none, "update", "apps", "deployments", "team-b", true, name: "web", reason: "RBAC: allowed by RoleBinding \"ci-deployer/team-b\" of Role \"deployer\" to ServiceAccount \"ci/team-b\"");
        Row(ci, none, "create", "apps", "deployments", "team-b", false);
        Row(ci, none, "create", "apps", "deployments", "team-b", true, name: "web");
        Row(ci, none, "patch", "apps", "deployments", "team-b", false, name: "api");
        Row("system:serviceaccount:team-a:ci", none, "update", "apps", "deployments", "team-b", false, name: "web");
        Row("bob", none, "create", string.Empty, "pods", "team-b", true, subresource: "exec");
        Row("bob", none, "create", string.Empty, "pods", "team-b", false, subresource: "attach");
        Row("bob", none, "create", string.Empty, "pods", "team-a", false, subresource: "exec");
        Row("bob", none, "get", string.Empty, "pods", "team-b", false);
        Row("carol", none, "get", string.Empty, "pods", "team-a", false, subresource: "log");
        Row("carol", none, "get", string.Empty, "pods", "team-a", false);
        Row("someone", new[] { "team-a-admins" }, "delete", string.Empty, "secrets", "team-a", true);
        Row("someone", new[] { "team-a-admins" }, "patch", string.Empty, "pods", "team-a", true, subresource: "ephemeralcontainers", name: "web-0");
        Row("someone", new[] { "team-a-admins" }, "get", string.Empty, "pods", "team-b", false);
        Row("dave", none, "get", string.Empty, "pods", "team-a", false, reason: "RBAC: role.rbac.authorization.k8s.io \"does-not-exist\" not found");
        Row("eve", none, "impersonate", string.Empty, "users", string.Empty, true, name: "system:node:worker-1");
        Row("eve", none, "impersonate", string.Empty, "users", string.Empty, false, name: "system:node:worker-2");
        Row("eve", none, "impersonate", string.Empty, "groups", string.Empty, true, name: "system:nodes");
        Row("frank", none, "create", string.Empty, "serviceaccounts", "kube-system", true, subresource: "token", name: "daemon-set-controller");
        Row("frank", none, "create", string.Empty, "serviceaccounts", "kube-system", false, subresource: "token", name: "replicaset-controller");
        Row("someone", new[] { "system:authenticated" }, "create", "authorization.k8s.io", "selfsubjectaccessreviews", string.Empty, true);
        Row("someone", new[] { "system:masters" }, "delete", string.Empty, "nodes", string.Empty, true);
        Row("system:serviceaccount:team-b:default", new[] { "system:serviceaccounts", "system:serviceaccounts:team-b" }, "list", string.Empty, "pods", "team-b", true);
        Row("system:serviceaccount:team-b:default", new[] { "system:serviceaccounts", "system:serviceaccounts:team-b" }, "list", string.Empty, "pods", "team-a", false);
        Path("someone", new[] { "monitoring" }, "/metrics", true);
        Path("someone", new[] { "monitoring" }, "/logs/kubelet.log", true);
        Path("someone", new[] { "monitoring" }, "/healthz", false);
        Path("someone", new[] { "system:authenticated" }, "/apis", true);
        return rows;
    }

    private static JsonObject Labels(string key) => new() { [key] = "true" };

    private static JsonObject Rule(string group, string resource, params string[] verbs) => new()
    {
        ["apiGroups"] = new JsonArray(group),
        ["resources"] = new JsonArray(resource),
        ["verbs"] = new JsonArray(verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
    };

    private static JsonObject Named(JsonObject rule, params string[] names)
    {
        rule["resourceNames"] = new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        return rule;
    }

    private static JsonObject Subject(string kind, string name) => kind == "ServiceAccount"
        ? new JsonObject { ["kind"] = kind, ["name"] = name }
        : new JsonObject { ["apiGroup"] = Rbac, ["kind"] = kind, ["name"] = name };

    private static JsonObject ClusterRole(string name, JsonObject? labels, params JsonObject[] rules)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (labels is not null)
        {
            metadata["labels"] = labels;
        }

        return new JsonObject
        {
            ["apiVersion"] = Rbac + "/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = metadata,
            ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()),
        };
    }

    private static JsonObject Role(string ns, string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = Rbac + "/v1",
        ["kind"] = "Role",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()),
    };

    private static JsonObject ClusterRoleBinding(string name, string role, params JsonObject[] subjects) => new()
    {
        ["apiVersion"] = Rbac + "/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["roleRef"] = new JsonObject { ["apiGroup"] = Rbac, ["kind"] = "ClusterRole", ["name"] = role },
        ["subjects"] = new JsonArray(subjects.Select(s => (JsonNode?)s).ToArray()),
    };

    private static JsonObject RoleBinding(string ns, string name, string roleKind, string role, params JsonObject[] subjects) => new()
    {
        ["apiVersion"] = Rbac + "/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["roleRef"] = new JsonObject { ["apiGroup"] = Rbac, ["kind"] = roleKind, ["name"] = role },
        ["subjects"] = new JsonArray(subjects.Select(s => (JsonNode?)s).ToArray()),
    };
}

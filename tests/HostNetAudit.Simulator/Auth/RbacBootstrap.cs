using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Auth;

/// <summary>
/// The RBAC objects every apiserver creates at start, in their documented shape, reduced to the rules that matter
/// here: cluster-admin for system:masters, discovery and self-review for everyone authenticated, and the
/// user-facing admin, edit and view roles built by aggregation from the system:aggregate-to-* roles (so edit can
/// create pods and workloads and exec into pods, as it does on a real cluster). Written by hand for the simulator.
/// </summary>
public static class RbacBootstrap
{
    private const string Group = "rbac.authorization.k8s.io";
    private const string Bootstrapping = "rbac.authorization.kubernetes.io/autoupdate";

    public static IEnumerable<JsonObject> Objects()
    {
        var workloads = new[] { "deployments", "daemonsets", "statefulsets", "replicasets" };
        var write = new[] { "create", "delete", "deletecollection", "patch", "update" };
        var read = new[] { "get", "list", "watch" };

        yield return ClusterRole("cluster-admin", null, Rule(new[] { "*" }, new[] { "*" }, new[] { "*" }), NonResource(new[] { "*" }, "*"));
        yield return ClusterRoleBinding("cluster-admin", "cluster-admin", ("Group", UserInfo.Masters));
        yield return ClusterRole("system:discovery", null, NonResource(new[] { "get" }, "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"));
        yield return ClusterRoleBinding("system:discovery", "system:discovery", ("Group", UserInfo.Authenticated));
        yield return ClusterRole(
            "system:basic-user",
            null,
            Rule(new[] { "authorization.k8s.io" }, new[] { "selfsubjectaccessreviews", "selfsubjectrulesreviews" }, new[] { "create" }),
            Rule(new[] { "authentication.k8s.io" }, new[] { "selfsubjectreviews" }, new[] { "create" }));
        yield return ClusterRoleBinding("system:basic-user", "system:basic-user", ("Group", UserInfo.Authenticated));
        yield return ClusterRole("system:public-info-viewer", null, NonResource(new[] { "get" }, "/healthz", "/livez", "/readyz", "/version", "/version/"));
        yield return ClusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", ("Group", UserInfo.Authenticated), ("Group", UserInfo.Unauthenticated));

        yield return Aggregated("admin", "rbac.authorization.k8s.io/aggregate-to-admin");
        yield return Aggregated("edit", "rbac.authorization.k8s.io/aggregate-to-edit", "rbac.authorization.k8s.io/aggregate-to-admin");
        yield return Aggregated("view", "rbac.authorization.k8s.io/aggregate-to-view", "rbac.authorization.k8s.io/aggregate-to-edit");
        yield return ClusterRole(
            "system:aggregate-to-view",
            "rbac.authorization.k8s.io/aggregate-to-view",
            Rule(new[] { string.Empty }, new[] { "configmaps", "endpoints", "persistentvolumeclaims", "pods", "replicationcontrollers", "serviceaccounts", "services", "namespaces", "pods/log", "pods/status" }, read),
            Rule(new[] { "apps" }, workloads, read),
            Rule(new[] { "batch" }, new[] { "cronjobs", "jobs" }, read));
        yield return ClusterRole(
            "system:aggregate-to-edit",
            "rbac.authorization.k8s.io/aggregate-to-edit",
            Rule(new[] { string.Empty }, new[] { "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy" }, read),
            Rule(new[] { string.Empty }, new[] { "serviceaccounts" }, new[] { "impersonate" }),
            Rule(new[] { string.Empty }, new[] { "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy" }, new[] { "create", "delete", "deletecollection", "patch", "update" }),
            Rule(new[] { string.Empty }, new[] { "pods/eviction" }, new[] { "create" }),
            Rule(new[] { string.Empty }, new[] { "configmaps", "persistentvolumeclaims", "replicationcontrollers", "secrets", "serviceaccounts", "services" }, write),
            Rule(new[] { string.Empty }, new[] { "serviceaccounts/token" }, new[] { "create" }),
            Rule(new[] { "apps" }, workloads, write),
            Rule(new[] { "batch" }, new[] { "cronjobs", "jobs" }, write));
        yield return ClusterRole(
            "system:aggregate-to-admin",
            "rbac.authorization.k8s.io/aggregate-to-admin",
            Rule(new[] { "authorization.k8s.io" }, new[] { "localsubjectaccessreviews" }, new[] { "create" }),
            Rule(new[] { Group }, new[] { "rolebindings", "roles" }, new[] { "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch" }));
    }

    private static JsonObject Rule(string[] groups, string[] resources, string[] verbs) => new()
    {
        ["apiGroups"] = Array(groups),
        ["resources"] = Array(resources),
        ["verbs"] = Array(verbs),
    };

    private static JsonObject NonResource(string[] verbs, params string[] urls) => new()
    {
        ["nonResourceURLs"] = Array(urls),
        ["verbs"] = Array(verbs),
    };

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static JsonObject ClusterRole(string name, string? aggregateTo, params JsonObject[] rules)
    {
        var labels = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        if (aggregateTo is not null)
        {
            labels[aggregateTo] = "true";
        }

        return new JsonObject
        {
            ["apiVersion"] = Group + "/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels, ["annotations"] = new JsonObject { [Bootstrapping] = "true" } },
            ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()),
        };
    }

    private static JsonObject Aggregated(string name, string selectorLabel, string? aggregateTo = null)
    {
        var role = ClusterRole(name, aggregateTo);
        role["aggregationRule"] = new JsonObject
        {
            ["clusterRoleSelectors"] = new JsonArray(new JsonObject { ["matchLabels"] = new JsonObject { [selectorLabel] = "true" } }),
        };
        return role;
    }

    private static JsonObject ClusterRoleBinding(string name, string role, params (string Kind, string Name)[] subjects) => new()
    {
        ["apiVersion"] = Group + "/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            ["annotations"] = new JsonObject { [Bootstrapping] = "true" },
        },
        ["roleRef"] = new JsonObject { ["apiGroup"] = Group, ["kind"] = "ClusterRole", ["name"] = role },
        ["subjects"] = new JsonArray(subjects.Select(s => (JsonNode?)new JsonObject { ["apiGroup"] = Group, ["kind"] = s.Kind, ["name"] = s.Name }).ToArray()),
    };
}

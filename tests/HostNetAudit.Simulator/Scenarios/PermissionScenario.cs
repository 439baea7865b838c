using System.Globalization;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// Who can get a hostNetwork pod admitted (Get-HostNetworkPermission): namespaces that admit hostNetwork pods for
/// anyone (open-a, open-b, kube-system), through an exception (vap-excepted: a ValidatingAdmissionPolicy whose
/// matchConditions let ops-admin and the DaemonSet controller through), not at all (closed), or not at all but with a
/// hostNetwork pod still running (closed-running); and RBAC objects, beside the simulator's bootstrap ones, that
/// reach them by every path the issue names. Truth["permissions"] is the author's table, worked out by hand from
/// the objects below, one row per fact: a subject, a namespace, whether it has a path there (and of which type,
/// through which resource and link), and the row's point (aggregation, a RoleBinding to a ClusterRole, group
/// subjects, wildcards, "*/exec", resourceNames on a POST create versus a server-side-apply create, a missing role,
/// escalation pairs, service-account token paths). Never computed by the module's engine.
/// With <c>namespaces</c> and <c>bindings</c> it adds scale-NNNN namespaces (alternately open and closed) and that
/// many bindings across them, in rotation over subject kinds and roles, many of which grant nothing that counts.
/// </summary>
public static class PermissionScenario
{
    public const string Name = "permissions";
    private const string Rbac = "rbac.authorization.k8s.io";
    private const string Enforce = "pod-security.kubernetes.io/enforce";
    private const string AggregateToEdit = "hna.example/aggregate-to-team-edit";
    private const string AggregateToAdmin = "hna.example/aggregate-to-team-admin";

    public static Scenario Create(int extraNamespaces = 0, int extraBindings = 0)
    {
        var scenario = new Scenario { Name = Name, ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed: 14);
        b.AddNodes(controlPlane: 1, workers: 1);
        foreach (var ns in new[] { "default", "kube-public", "kube-node-lease", "kube-system", "open-a", "open-b" })
        {
            b.AddNamespace(ns);
            scenario.DeclareNamespace(ns, "NonCompliant");
        }

        b.AddNamespace("closed", new Dictionary<string, string> { [Enforce] = "baseline" });
        scenario.DeclareNamespace("closed", "Compliant");
        b.AddNamespace("closed-running", new Dictionary<string, string> { [Enforce] = "baseline" });
        scenario.DeclareNamespace("closed-running", "Compliant");
        b.AddNamespace("vap-excepted", new Dictionary<string, string> { ["hostnet-guard"] = "vap" });
        scenario.DeclareNamespace("vap-excepted", "Conditional");

        // hostNetwork pods: the CNI agent on every node, and a bare pod older than closed-running's label.
        b.AddWorkload(new WorkloadSpec("DaemonSet", "kube-system", "cilium") { HostNetwork = true, ServiceAccount = "cilium", Containers = new[] { new ContainerSpec("cilium-agent", "quay.io/cilium/cilium:v1.16.1") { Privileged = true } } });
        b.AddPod(new WorkloadSpec("Pod", "closed-running", "legacy-agent") { HostNetwork = true, Containers = new[] { new ContainerSpec("agent", "registry.example/agent:1.0") } }, "legacy-agent", "worker-1", null);

        foreach (var (ns, name) in new[] { ("kube-system", "daemon-set-controller"), ("kube-system", "cilium"), ("kube-system", "default"), ("open-a", "default"), ("open-b", "default"), ("vap-excepted", "default"), ("closed", "default"), ("closed-running", "default") })
        {
            scenario.Add(ServiceAccount(ns, name));
        }

        scenario.Add(ServiceAccount("open-a", "deployer", "deployer-token-abc"));

        // A refusal with an exception on the requesting user: ops-admin and the DaemonSet controller pass it.
        scenario.Add(Json("""
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"deny-host-network"},
         "spec":{"failurePolicy":"Fail",
          "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]},
          "matchConditions":[{"name":"not-trusted","expression":"!(request.userInfo.username in ['system:serviceaccount:kube-system:daemon-set-controller', 'ops-admin'])"}],
          "validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false","message":"hostNetwork is not allowed"}]}}
        """));
        scenario.Add(Json("""
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"deny-host-network"},
         "spec":{"policyName":"deny-host-network","validationActions":["Deny"],"matchResources":{"namespaceSelector":{"matchLabels":{"hostnet-guard":"vap"}}}}}
        """));

        AddRoles(scenario);
        AddBindings(scenario);
        scenario.Truth["permissions"] = Truth();

        if (extraNamespaces > 0 || extraBindings > 0)
        {
            AddScale(scenario, b, Math.Max(1, extraNamespaces), extraBindings);
        }

        return scenario;
    }

    private static void AddRoles(Scenario s)
    {
        // Nested aggregation: team-admin <- team-edit (itself aggregated) and team-admin-rbac; team-edit <- pods, workloads.
        s.Add(Aggregated("team-admin", AggregateToAdmin));
        s.Add(Aggregated("team-edit", AggregateToEdit, AggregateToAdmin));
        s.Add(ClusterRole("team-edit-pods", AggregateToEdit, Rule(string.Empty, new[] { "pods" }, "create", "update", "patch", "delete"), Rule(string.Empty, new[] { "pods/exec" }, "create")));
        s.Add(ClusterRole("team-edit-workloads", AggregateToEdit, Rule("apps", new[] { "deployments", "daemonsets", "statefulsets", "replicasets" }, "create", "update", "patch"), Rule("batch", new[] { "jobs", "cronjobs" }, "create", "update", "patch")));
        s.Add(ClusterRole("team-admin-rbac", AggregateToAdmin, Rule(Rbac, new[] { "roles", "rolebindings" }, "create", "update", "patch", "delete")));

        s.Add(ClusterRole("anything", null, Rule("*", new[] { "*" }, "*")));
        s.Add(ClusterRole("exec-anything", null, Rule(string.Empty, new[] { "*/exec" }, "create")));
        s.Add(ClusterRole("pods-star", null, Rule(string.Empty, new[] { "pods/*" }, "get", "create")));
        s.Add(ClusterRole("node-proxier", null, Rule(string.Empty, new[] { "nodes/proxy" }, "get")));
        s.Add(ClusterRole("pod-viewer", null, Rule(string.Empty, new[] { "pods" }, "get", "list")));
        s.Add(ClusterRole("impersonate-alice", null, Named(Rule(string.Empty, new[] { "users" }, "impersonate"), "alice")));
        s.Add(ClusterRole(
            "kubelet-csr-approver",
            null,
            Rule("certificates.k8s.io", new[] { "certificatesigningrequests" }, "create", "get"),
            Rule("certificates.k8s.io", new[] { "certificatesigningrequests/approval" }, "update"),
            Named(Rule("certificates.k8s.io", new[] { "signers" }, "approve"), "kubernetes.io/kube-apiserver-client-kubelet")));
        s.Add(ClusterRole("system:controller:daemon-set-controller", null, Rule(string.Empty, new[] { "pods" }, "list", "watch", "create", "delete", "patch"), Rule("apps", new[] { "daemonsets" }, "get", "list", "watch")));

        s.Add(Role("kube-system", "pod-creator", Rule(string.Empty, new[] { "pods" }, "create")));
        s.Add(Role("kube-system", "mint-ds-token", Named(Rule(string.Empty, new[] { "serviceaccounts/token" }, "create"), "daemon-set-controller")));
        s.Add(Role("open-a", "deploy-web", Named(Rule("apps", new[] { "deployments" }, "update", "patch"), "web")));
        s.Add(Role("open-a", "create-api", Named(Rule("apps", new[] { "deployments" }, "create"), "api")));
        s.Add(Role("open-a", "apply-api", Named(Rule("apps", new[] { "deployments" }, "create", "patch"), "api")));
        s.Add(Role("open-a", "role-writer", Rule(Rbac, new[] { "roles" }, "create")));
        s.Add(Role("open-a", "rb-manager", Rule(Rbac, new[] { "rolebindings" }, "create"), Named(Rule(Rbac, new[] { "clusterroles" }, "bind"), "team-edit")));
        s.Add(Role("open-a", "rb-only", Rule(Rbac, new[] { "rolebindings" }, "create")));
        s.Add(Role("open-a", "read-deployer-secret", Named(Rule(string.Empty, new[] { "secrets" }, "get"), "deployer-token-abc")));
        s.Add(Role("open-b", "pod-creator", Rule(string.Empty, new[] { "pods" }, "create")));
        s.Add(Role("open-b", "self-role", Named(Rule(Rbac, new[] { "roles" }, "escalate", "update"), "self-role")));
        s.Add(Role("vap-excepted", "pod-maker", Rule(string.Empty, new[] { "pods" }, "create")));
        s.Add(Role("closed-running", "exec-legacy", Named(Rule(string.Empty, new[] { "pods/exec" }, "create"), "legacy-agent")));
        s.Add(Role("closed-running", "exec-other", Named(Rule(string.Empty, new[] { "pods/exec" }, "create"), "other-pod")));
    }

    private static void AddBindings(Scenario s)
    {
        s.Add(ClusterRoleBinding("system:controller:daemon-set-controller", "system:controller:daemon-set-controller", Subject("ServiceAccount", "daemon-set-controller", "kube-system")));
        s.Add(RoleBinding("open-a", "alice-admin", "ClusterRole", "team-admin", Subject("User", "alice")));
        s.Add(RoleBinding("open-b", "everyone-pods", "Role", "pod-creator", Subject("Group", "system:authenticated")));
        s.Add(RoleBinding("open-b", "team-b-edit", "ClusterRole", "team-edit", Subject("Group", "team-b")));
        s.Add(RoleBinding("open-b", "wild", "ClusterRole", "anything", Subject("User", "wild")));
        s.Add(RoleBinding("closed-running", "star-exec", "ClusterRole", "exec-anything", Subject("User", "star-exec")));
        s.Add(ClusterRoleBinding("pods-star", "pods-star", Subject("User", "pods-star")));
        s.Add(RoleBinding("closed-running", "debugger", "Role", "exec-legacy", Subject("User", "debugger")));
        s.Add(RoleBinding("closed-running", "wrong-exec", "Role", "exec-other", Subject("User", "wrong-exec")));

        // A ServiceAccount subject without a namespace: the binding's.
        s.Add(RoleBinding("open-a", "deployer", "Role", "deploy-web", Subject("ServiceAccount", "deployer")));
        s.Add(RoleBinding("open-a", "named-creator", "Role", "create-api", Subject("User", "named-creator")));
        s.Add(RoleBinding("open-a", "ssa-creator", "Role", "apply-api", Subject("User", "ssa-creator")));
        s.Add(RoleBinding("open-a", "dave-missing", "Role", "does-not-exist", Subject("User", "dave")));
        s.Add(RoleBinding("open-a", "role-author", "Role", "role-writer", Subject("User", "role-author")));
        s.Add(RoleBinding("open-a", "binder", "Role", "rb-manager", Subject("User", "binder")));
        s.Add(RoleBinding("open-a", "binder-nobind", "Role", "rb-only", Subject("User", "binder-nobind")));
        s.Add(RoleBinding("open-b", "escalator", "Role", "self-role", Subject("User", "escalator")));
        s.Add(ClusterRoleBinding("impersonator", "impersonate-alice", Subject("User", "impersonator")));
        s.Add(ClusterRoleBinding("csr-approver", "kubelet-csr-approver", Subject("User", "csr-approver")));
        s.Add(RoleBinding("kube-system", "ks-pods", "Role", "pod-creator", Subject("User", "ks-pods")));
        s.Add(RoleBinding("kube-system", "token-minter", "Role", "mint-ds-token", Subject("User", "token-minter")));
        s.Add(RoleBinding("open-a", "secret-reader", "Role", "read-deployer-secret", Subject("User", "secret-reader")));
        s.Add(ClusterRoleBinding("node-proxy", "node-proxier", Subject("User", "node-proxy")));
        s.Add(RoleBinding("vap-excepted", "ops-admin", "ClusterRole", "team-edit", Subject("User", "ops-admin")));
        s.Add(RoleBinding("vap-excepted", "dev-1", "ClusterRole", "team-edit", Subject("User", "dev-1")));
        s.Add(RoleBinding("closed", "dev-1", "ClusterRole", "team-edit", Subject("User", "dev-1")));
        s.Add(RoleBinding("vap-excepted", "pod-only", "Role", "pod-maker", Subject("User", "pod-only")));
        s.Add(ClusterRoleBinding("root-user", "cluster-admin", Subject("User", "root-user")));
    }

    /// <summary>The author's table: one row per fact, each pinned by a test.</summary>
    private static JsonArray Truth()
    {
        var rows = new JsonArray();
        void Row(string point, string subject, string ns, string? pathType, string? resource = null, string? link = null, string? category = null, bool latent = false, string? creator = null, string[]? verbs = null)
        {
            var row = new JsonObject { ["point"] = point, ["subject"] = subject, ["namespace"] = ns, ["present"] = pathType is not null };
            if (pathType is not null)
            {
                row["pathType"] = pathType;
            }

            if (resource is not null)
            {
                row["resource"] = resource;
            }

            if (verbs is not null)
            {
                row["verbs"] = new JsonArray(verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            }

            if (link is not null)
            {
                row["link"] = link;
            }

            if (category is not null)
            {
                row["category"] = category;
            }

            if (latent)
            {
                row["latent"] = true;
                row["creator"] = creator;
            }

            rows.Add(row);
        }

        // team-admin aggregates team-edit, which aggregates team-edit-pods: create pods comes from there.
        Row("aggregation", "User alice", "open-a", "Open", "pods", "aggregated from ClusterRole team-edit-pods", "Custom");
        Row("RoleBinding to a ClusterRole grants in its namespace only", "User alice", "open-b", null);
        Row("group subject that stands for everyone", "Group system:authenticated", "open-b", "Open", "pods", "RoleBinding open-b/everyone-pods", "Broad");
        Row("group subject", "Group team-b", "open-b", "Open", "pods", "ClusterRole team-edit", "Custom");
        Row("wildcards", "User wild", "open-b", "Open", "pods", "ClusterRole anything", "Custom");
        Row("*/exec is exec on any resource", "User star-exec", "closed-running", "UsesExistingPod", "pods/exec", "ClusterRole exec-anything");
        Row("pods/* is a literal that matches nothing", "User pods-star", "closed-running", null);
        Row("resourceNames on exec honoured", "User debugger", "closed-running", "UsesExistingPod", "pods/exec", "Role closed-running/exec-legacy");
        Row("resourceNames on exec honoured", "User wrong-exec", "closed-running", null);
        Row("nodes/proxy reaches the pods of a node", "User node-proxy", "closed-running", "UsesExistingPod", "nodes/proxy");
        Row("ServiceAccount subject without namespace is the binding's; resourceNames on update", "ServiceAccount open-a/deployer", "open-a", "Open", "deployments.apps", "Role open-a/deploy-web", verbs: new[] { "update" });
        Row("resourceNames grant no POST create", "User named-creator", "open-a", null);
        Row("resourceNames grant a server-side-apply create (patch and create with the name)", "User ssa-creator", "open-a", "Open", "deployments.apps", "Role open-a/apply-api", verbs: new[] { "patch", "create" });
        Row("a binding to a missing role grants nothing: latent, with who can create it", "User dave", "open-a", "Open", latent: true, creator: "User role-author");
        Row("escalation pair: bind and create rolebindings", "User binder", "open-a", "Escalation", "rolebindings.rbac.authorization.k8s.io", "binds ClusterRole team-edit to itself");
        Row("escalation pair needs both halves", "User binder-nobind", "open-a", null);
        Row("escalation pair: escalate and update roles", "User escalator", "open-b", "Escalation", "roles.rbac.authorization.k8s.io", "adds a rule to Role open-b/self-role");
        Row("impersonate users", "User impersonator", "open-a", "Escalation", "users", "as User alice");
        Row("impersonated rights are the target's only", "User impersonator", "open-b", null);
        Row("create and approve of a kubelet client certificate", "User csr-approver", "open-b", "Escalation", "certificatesigningrequests.certificates.k8s.io", "as Group system:nodes");
        Row("create pods in kube-system", "User ks-pods", "kube-system", "Open", "pods");
        Row("service-account token path: a pod in kube-system mounts a controller's account", "User ks-pods", "open-b", "Escalation", "pods", "as ServiceAccount kube-system/daemon-set-controller");
        Row("service-account token path: create serviceaccounts/token", "User token-minter", "open-b", "Escalation", "serviceaccounts/token", "as ServiceAccount kube-system/daemon-set-controller");
        Row("service-account token path: get a token secret", "User secret-reader", "open-a", "Escalation", "secrets", "as ServiceAccount open-a/deployer");
        Row("exception on the requesting user (matchConditions on request.userInfo)", "User ops-admin", "vap-excepted", "ViaException", "pods", "request.userInfo");
        Row("exception on the requesting user stops the others", "User pod-only", "vap-excepted", null);
        Row("an exception that trusts a controller lets its workloads' creators through", "User dev-1", "vap-excepted", "ViaException", "daemonsets.apps", "request.userInfo");
        Row("a compliant namespace without running hostNetwork pods is not reported", "User dev-1", "closed", null);
        Row("system:masters by rule", "Group system:masters", "open-a", "Open", "pods", category: "Privileged");
        Row("cluster-admin is Privileged", "User root-user", "open-b", "Open", "pods", "ClusterRole cluster-admin", "Privileged");
        Row("the controller-manager's accounts are the control plane", "ServiceAccount kube-system/daemon-set-controller", "open-a", "Open", "pods", category: "ControlPlane");
        return rows;
    }

    /// <summary>scale-NNNN namespaces (odd: open, even: closed by PSA) and bindings in rotation across them.</summary>
    private static void AddScale(Scenario s, ClusterBuilder b, int namespaces, int bindings)
    {
        var names = Enumerable.Range(1, namespaces).Select(i => "scale-" + i.ToString("D4", CultureInfo.InvariantCulture)).ToList();
        for (var i = 0; i < names.Count; i++)
        {
            var closed = i % 2 == 1;
            b.AddNamespace(names[i], closed ? new Dictionary<string, string> { [Enforce] = "baseline" } : null);
            s.DeclareNamespace(names[i], closed ? "Compliant" : "NonCompliant");
            s.Add(ServiceAccount(names[i], "default"));
            s.Add(Role(names[i], "pod-maker", Rule(string.Empty, new[] { "pods" }, "create")));
            s.Add(Role(names[i], "web-updater", Named(Rule("apps", new[] { "deployments" }, "update"), "web")));
        }

        for (var i = 0; i < bindings; i++)
        {
            var ns = names[i / 8 % names.Count];
            var id = i.ToString("D4", CultureInfo.InvariantCulture);
            switch (i % 8)
            {
                case 0:
                    s.Add(RoleBinding(ns, "edit-" + id, "ClusterRole", "team-edit", Subject("User", "user-" + id)));
                    break;
                case 1:
                    s.Add(RoleBinding(ns, "pods-" + id, "Role", "pod-maker", Subject("Group", "group-" + id)));
                    break;
                case 2:
                    s.Add(RoleBinding(ns, "view-" + id, "ClusterRole", "pod-viewer", Subject("User", "user-" + id)));
                    break;
                case 3:
                    s.Add(ServiceAccount(ns, "sa-" + id));
                    s.Add(RoleBinding(ns, "sa-" + id, "Role", "web-updater", Subject("ServiceAccount", "sa-" + id)));
                    break;
                case 4:
                    s.Add(RoleBinding(ns, "exec-" + id, "ClusterRole", "exec-anything", Subject("User", "user-" + id)));
                    break;
                case 5:
                    s.Add(RoleBinding(ns, "missing-" + id, "Role", "missing-" + id, Subject("User", "user-" + id)));
                    break;
                case 6:
                    s.Add(ClusterRoleBinding("view-" + id, "pod-viewer", Subject("Group", "group-" + id)));
                    break;
                default:
                    s.Add(RoleBinding(ns, "rb-" + id, "Role", "pod-maker", Subject("User", "user-" + id), Subject("ServiceAccount", "default")));
                    break;
            }
        }
    }

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private static JsonObject ServiceAccount(string ns, string name, string? tokenSecret = null)
    {
        var sa = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns } };
        if (tokenSecret is not null)
        {
            sa["secrets"] = new JsonArray(new JsonObject { ["name"] = tokenSecret });
        }

        return sa;
    }

    private static JsonObject Rule(string group, string[] resources, params string[] verbs) => new()
    {
        ["apiGroups"] = new JsonArray(group),
        ["resources"] = new JsonArray(resources.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
        ["verbs"] = new JsonArray(verbs.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
    };

    private static JsonObject Named(JsonObject rule, params string[] names)
    {
        rule["resourceNames"] = new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        return rule;
    }

    private static JsonObject Subject(string kind, string name, string? ns = null)
    {
        var subject = kind == "ServiceAccount" ? new JsonObject { ["kind"] = kind, ["name"] = name } : new JsonObject { ["apiGroup"] = Rbac, ["kind"] = kind, ["name"] = name };
        if (ns is not null)
        {
            subject["namespace"] = ns;
        }

        return subject;
    }

    private static JsonObject ClusterRole(string name, string? aggregateTo, params JsonObject[] rules)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (aggregateTo is not null)
        {
            metadata["labels"] = new JsonObject { [aggregateTo] = "true" };
        }

        return new JsonObject
        {
            ["apiVersion"] = Rbac + "/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = metadata,
            ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()),
        };
    }

    /// <summary>An aggregated ClusterRole as written (its rules are the aggregation controller's to fill).</summary>
    private static JsonObject Aggregated(string name, string selectorLabel, string? aggregateTo = null)
    {
        var role = ClusterRole(name, aggregateTo);
        role["aggregationRule"] = new JsonObject
        {
            ["clusterRoleSelectors"] = new JsonArray(new JsonObject { ["matchLabels"] = new JsonObject { [selectorLabel] = "true" } }),
        };
        return role;
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
        ["subjects"] = new JsonArray(subjects.Select(x => (JsonNode?)x).ToArray()),
    };

    private static JsonObject RoleBinding(string ns, string name, string roleKind, string role, params JsonObject[] subjects) => new()
    {
        ["apiVersion"] = Rbac + "/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["roleRef"] = new JsonObject { ["apiGroup"] = Rbac, ["kind"] = roleKind, ["name"] = role },
        ["subjects"] = new JsonArray(subjects.Select(x => (JsonNode?)x).ToArray()),
    };
}

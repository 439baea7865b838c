using HostNetAudit.Engine.Permissions;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Permissions;

/// <summary>
/// The RBAC authorizer's semantics (docs/design.md, "Who can get a hostNetwork pod admitted", point 3), one row of a
/// hand-written table per rule of the apiserver's plugin/pkg/auth/authorizer/rbac: what a SubjectAccessReview with
/// that user, groups and attributes answers for the objects below.
/// </summary>
public sealed class RbacAuthorizerTests
{
    private const string Objects = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: editor}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [create, get]}
        - {apiGroups: [apps], resources: [deployments], verbs: [create, update, patch]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: alice-edit, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: editor}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: deployer, namespace: team-b}
        rules:
        - {apiGroups: [apps], resources: [deployments], verbs: [create, update], resourceNames: [web]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: ci, namespace: team-b}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
        subjects: [{kind: ServiceAccount, name: ci}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: sa-without-namespace}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: editor}
        subjects: [{kind: ServiceAccount, name: lost}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: everything}
        rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: admins, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: team-a-admins}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: exec-anything}
        rules: [{apiGroups: [""], resources: ["*/exec"], verbs: [create]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: bob-exec}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: exec-anything}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: pods-star}
        rules: [{apiGroups: [""], resources: ["pods/*"], verbs: [get, create]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: carol}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods-star}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: dave, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: does-not-exist}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: team-b-sas, namespace: team-b}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: editor}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:serviceaccounts:team-b"}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: everyone-gets-pods}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-getter}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: pod-getter}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [get]}
        - {nonResourceURLs: ["/logs/*", "/metrics"], verbs: [get]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: user-as-sa}
        rules: [{apiGroups: [""], resources: [secrets], verbs: [list]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: user-as-sa}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: user-as-sa}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:serviceaccount:team-c:builder"}]
        """;

    private static readonly RbacSnapshot Rbac = RbacSnapshot.From(TestObjects.YamlDocs(Objects), computeAggregation: true);

    /// <summary>user, groups (comma-separated), verb, group, resource, subresource, namespace, name, allowed, reason fragment.</summary>
    public static TheoryData<string, string, string, string, string, string, string, string, bool, string> Table() => new()
    {
        // A RoleBinding to a ClusterRole grants in its namespace only.
        { "alice", "", "create", "", "pods", "", "team-a", "", true, "RoleBinding \"alice-edit/team-a\" of ClusterRole \"editor\" to User \"alice\"" },
        { "alice", "", "create", "", "pods", "", "team-b", "", false, "" },
        { "alice", "", "list", "", "pods", "", "", "", false, "" },
        { "alice", "", "create", "", "deployments", "", "team-a", "", false, "" },
        // A ServiceAccount subject without namespace in a RoleBinding is the binding's; resourceNames are honoured.
        { "system:serviceaccount:team-b:ci", "", "update", "apps", "deployments", "", "team-b", "web", true, "ServiceAccount \"ci/team-b\"" },
        { "system:serviceaccount:team-a:ci", "", "update", "apps", "deployments", "", "team-b", "web", false, "" },
        { "system:serviceaccount:team-b:ci", "", "update", "apps", "deployments", "", "team-b", "api", false, "" },
        // A POST create carries no name, so a resourceNames rule never grants it; a named create (server-side apply) it does.
        { "system:serviceaccount:team-b:ci", "", "create", "apps", "deployments", "", "team-b", "", false, "" },
        { "system:serviceaccount:team-b:ci", "", "create", "apps", "deployments", "", "team-b", "web", true, "" },
        // A ServiceAccount subject without namespace in a ClusterRoleBinding matches nobody.
        { "system:serviceaccount:default:lost", "", "create", "", "pods", "", "default", "", false, "" },
        // A User subject named as a service account is that service account.
        { "system:serviceaccount:team-c:builder", "", "list", "", "secrets", "", "team-c", "", true, "User \"system:serviceaccount:team-c:builder\"" },
        // Wildcards: "*" resources match subresources too; the binding still limits the namespace.
        { "someone", "team-a-admins", "create", "", "pods", "exec", "team-a", "web-0", true, "Group \"team-a-admins\"" },
        { "someone", "team-a-admins", "impersonate", "", "serviceaccounts", "", "team-a", "x", true, "" },
        { "someone", "team-a-admins", "create", "", "pods", "", "team-b", "", false, "" },
        // "*/exec" is the exec subresource of any resource, not other subresources.
        { "bob", "", "create", "", "pods", "exec", "team-c", "p", true, "ClusterRole \"exec-anything\"" },
        { "bob", "", "create", "", "widgets", "exec", "team-c", "w", true, "" },
        { "bob", "", "create", "", "pods", "attach", "team-c", "p", false, "" },
        { "bob", "", "create", "", "pods", "", "team-c", "", false, "" },
        // "pods/*" is a literal: no request names that resource.
        { "carol", "", "get", "", "pods", "log", "team-a", "p", false, "" },
        { "carol", "", "create", "", "pods", "exec", "team-a", "p", false, "" },
        { "carol", "", "get", "", "pods", "", "team-a", "p", false, "" },
        // A binding to a role that does not exist grants nothing.
        { "dave", "", "get", "", "pods", "", "team-a", "p", false, "" },
        // Groups: system:authenticated, system:serviceaccounts:<ns>; the group must be in the request.
        { "anyone", "system:authenticated", "get", "", "pods", "", "team-x", "p", true, "Group \"system:authenticated\"" },
        { "anyone", "", "get", "", "pods", "", "team-x", "p", false, "" },
        { "system:serviceaccount:team-b:default", "system:serviceaccounts,system:serviceaccounts:team-b", "create", "", "pods", "", "team-b", "", true, "Group \"system:serviceaccounts:team-b\"" },
        { "system:serviceaccount:team-b:default", "system:serviceaccounts,system:serviceaccounts:team-b", "create", "", "pods", "", "team-a", "", false, "" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void AuthorizesAsTheApiServer(string user, string groups, string verb, string group, string resource, string subresource, string ns, string name, bool allowed, string reason)
    {
        var grant = Rbac.Authorize(new RbacUser(user, groups.Split(',', StringSplitOptions.RemoveEmptyEntries)), new ResourceAttributes(verb, group, resource, subresource, ns, name));
        Assert.Equal(allowed, grant is not null);
        if (allowed)
        {
            Assert.Contains(reason, grant!.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("get", "/metrics", true)]
    [InlineData("get", "/logs/kubelet.log", true)]
    [InlineData("get", "/logs", false)]
    [InlineData("post", "/metrics", false)]
    public void NonResourceUrlsMatchExactlyOrByPrefix(string verb, string path, bool allowed)
    {
        var role = Assert.Single(Rbac.ClusterRoles, r => r.Name == "pod-getter");
        Assert.Equal(allowed, role.Rules.Any(r => r.AllowsPath(verb, path)));
    }

    private const string Aggregation = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: admin-like}
        aggregationRule:
          clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-admin: "true"}}]
        rules: []
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: edit-like, labels: {example.com/aggregate-to-admin: "true"}}
        aggregationRule:
          clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-edit: "true"}}]
        rules: []
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: edit-pods, labels: {example.com/aggregate-to-edit: "true"}}
        rules: [{apiGroups: [""], resources: [pods], verbs: [create]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: admin-rbac, labels: {example.com/aggregate-to-admin: "true"}}
        rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: alice, namespace: team-a}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin-like}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
        """;

    [Fact]
    public void OfflineAggregationComputesNestedRulesFromTheSelectors()
    {
        var rbac = RbacSnapshot.From(TestObjects.YamlDocs(Aggregation), computeAggregation: true);
        var createPods = new ResourceAttributes("create", string.Empty, "pods", string.Empty, "team-a", string.Empty);
        var grant = rbac.Authorize(new RbacUser("alice", Array.Empty<string>()), createPods);
        Assert.NotNull(grant);
        Assert.Equal(new[] { "edit-like", "edit-pods" }, rbac.AggregationOrigin(grant!.Role, grant.Rule));
        Assert.NotNull(rbac.Authorize(new RbacUser("alice", Array.Empty<string>()), createPods with { Group = "rbac.authorization.k8s.io", Resource = "rolebindings" }));
    }

    [Fact]
    public void LiveAggregatedRolesKeepTheRulesTheControllerStored()
    {
        // Live, the stored rules are the aggregation controller's answer: an aggregated role it has not filled yet grants nothing.
        var rbac = RbacSnapshot.From(TestObjects.YamlDocs(Aggregation), computeAggregation: false);
        Assert.Null(rbac.Authorize(new RbacUser("alice", Array.Empty<string>()), new ResourceAttributes("create", string.Empty, "pods", string.Empty, "team-a", string.Empty)));
    }

    [Fact]
    public void AggregationSkipsTheRoleItselfAndDuplicateRules()
    {
        const string selfSelecting = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: loop, labels: {agg: "true"}}
            aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: "true"}}]}
            rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: a, labels: {agg: "true"}}
            rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: b, labels: {agg: "true"}}
            rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
            """;
        var rbac = RbacSnapshot.From(TestObjects.YamlDocs(selfSelecting), computeAggregation: true);
        var loop = Assert.Single(rbac.ClusterRoles, r => r.Name == "loop");
        var rule = Assert.Single(loop.Rules);
        Assert.Equal(new[] { "pods" }, rule.Resources);
    }
}

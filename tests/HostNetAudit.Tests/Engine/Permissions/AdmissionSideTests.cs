using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Permissions;

/// <summary>
/// Who the admission side lets through (docs/design.md, "Who can get a hostNetwork pod admitted"): Pod Security
/// exemptions.usernames, Kyverno exclude subjects and clusterRoles, Kyverno PolicyExceptions, the requests that
/// switch a refusal off, custom owner kinds, impersonated groups, declared identities and the audit's counts.
/// Each case is a small hand-written cluster read through the offline code path.
/// </summary>
public sealed class AdmissionSideTests
{
    private const string Enforce = "pod-security.kubernetes.io/enforce";

    private static JsonElement Role(string ns, string name, string rules) =>
        Json($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"{{name}}","namespace":"{{ns}}"},"rules":{{rules}}}""");

    private static JsonElement ClusterRole(string name, string rules) =>
        Json($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"{{name}}"},"rules":{{rules}}}""");

    private static JsonElement RoleBinding(string ns, string name, string roleKind, string role, string kind, string subject) =>
        Json($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"{{name}}","namespace":"{{ns}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{roleKind}}","name":"{{role}}"},"subjects":[{"kind":"{{kind}}","name":"{{subject}}"}]}""");

    private static JsonElement ClusterRoleBinding(string name, string role, string kind, string subject) =>
        Json($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"{{name}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{role}}"},"subjects":[{"kind":"{{kind}}","name":"{{subject}}"}]}""");

    private const string CreatePods = """[{"apiGroups":[""],"resources":["pods"],"verbs":["create"]}]""";

    private static List<HostNetworkPermission> Run(IEnumerable<JsonElement> objects, NamespacePolicyQuery? query = null) =>
        new EvidenceSet(Evidence(objects), NullEngineLog.Instance).GetHostNetworkPermissionsAsync(query ?? new NamespacePolicyQuery(), CancellationToken.None).GetAwaiter().GetResult().ToList();

    private static AuditReport Audit(IEnumerable<JsonElement> objects, NamespacePolicyQuery query) =>
        new EvidenceSet(Evidence(objects), NullEngineLog.Instance).AuditAsync(query, CancellationToken.None).GetAwaiter().GetResult();

    private static string TempFile(string text, string extension = ".yaml")
    {
        var path = Path.Combine(Path.GetTempPath(), "hna-perm-" + Guid.NewGuid().ToString("N") + extension);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Pod_Security_exempt_usernames_pass_and_nobody_else()
    {
        var config = TempFile("""
            apiVersion: pod-security.admission.config.k8s.io/v1
            kind: PodSecurityConfiguration
            defaults: {enforce: baseline}
            exemptions: {usernames: [ci-bot]}
            """);
        try
        {
            var records = Run(
                new[] { Namespace("team"), Role("team", "pods", CreatePods), RoleBinding("team", "ci", "Role", "pods", "User", "ci-bot"), RoleBinding("team", "dev", "Role", "pods", "User", "dev") },
                new NamespacePolicyQuery { AdmissionConfigurationPath = config });
            var ci = Assert.Single(records, r => r.Subject == "User ci-bot");
            Assert.Equal("ViaException", ci.PathType);
            Assert.Equal("Conditional", ci.AdmissionState);
            Assert.Contains(ci.Path, l => l.Contains("exemptions.usernames ci-bot", StringComparison.Ordinal));
            Assert.DoesNotContain(records, r => r.Subject == "User dev");
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public void Pod_Security_exempt_runtime_classes_are_the_creators_choice_so_the_namespace_is_open()
    {
        var config = TempFile("""
            apiVersion: pod-security.admission.config.k8s.io/v1
            kind: PodSecurityConfiguration
            defaults: {enforce: baseline}
            exemptions: {usernames: [ci-bot], runtimeClasses: [kata]}
            """);
        try
        {
            var records = Run(
                new[] { Namespace("team"), Role("team", "pods", CreatePods), RoleBinding("team", "dev", "Role", "pods", "User", "dev") },
                new NamespacePolicyQuery { AdmissionConfigurationPath = config });
            Assert.Equal("Open", Assert.Single(records, r => r.Subject == "User dev").PathType);
        }
        finally
        {
            File.Delete(config);
        }
    }

    private static JsonElement KyvernoExclude(string exclude) =>
        Json("{\"apiVersion\":\"kyverno.io/v1\",\"kind\":\"ClusterPolicy\",\"metadata\":{\"name\":\"no-host-network\"},\"spec\":{\"validationFailureAction\":\"Enforce\",\"rules\":[{\"name\":\"host-network\",\"match\":{\"any\":[{\"resources\":{\"kinds\":[\"Pod\"]}}]},\"exclude\":" + exclude + ",\"validate\":{\"pattern\":{\"spec\":{\"=(hostNetwork)\":\"false\"}}}}]}}");

    [Fact]
    public void Kyverno_exclude_subjects_and_cluster_roles_pass_the_identities_they_name()
    {
        var records = Run(new[]
        {
            Namespace("team"),
            KyvernoExclude("""{"any":[{"subjects":[{"kind":"User","name":"ops"}]},{"clusterRoles":["break-glass"]}]}"""),
            Role("team", "pods", CreatePods),
            ClusterRole("break-glass", CreatePods),
            RoleBinding("team", "ops", "Role", "pods", "User", "ops"),
            RoleBinding("team", "dev", "Role", "pods", "User", "dev"),
            RoleBinding("team", "sre", "ClusterRole", "break-glass", "Group", "sre"),
        });
        Assert.Equal("ViaException", Assert.Single(records, r => r.Subject == "User ops").PathType);
        Assert.Equal("ViaException", Assert.Single(records, r => r.Subject == "Group sre").PathType);
        Assert.DoesNotContain(records, r => r.Subject == "User dev");
    }

    [Fact]
    public void Kyverno_exclude_of_a_label_selector_is_the_creators_choice()
    {
        var records = Run(new[]
        {
            Namespace("team"),
            KyvernoExclude("""{"any":[{"resources":{"selector":{"matchLabels":{"exempt":"true"}}}}]}"""),
            Role("team", "pods", CreatePods),
            RoleBinding("team", "dev", "Role", "pods", "User", "dev"),
        });
        Assert.Equal("Open", Assert.Single(records, r => r.Subject == "User dev").PathType);
    }

    [Fact]
    public void A_Kyverno_PolicyException_naming_pods_passes_whoever_can_create_a_pod_by_that_name()
    {
        var policy = Json("""{"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"no-host-network"},"spec":{"validationFailureAction":"Enforce","rules":[{"name":"host-network","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}}""");
        var exception = Json("""{"apiVersion":"kyverno.io/v2","kind":"PolicyException","metadata":{"name":"agents","namespace":"kyverno"},"spec":{"exceptions":[{"policyName":"no-host-network","ruleNames":["host-network"]}],"match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["team"],"names":["agent-*"]}}]}}}""");
        var records = Run(new[]
        {
            Namespace("team"), policy, exception,
            Role("team", "pods", CreatePods),
            Role("team", "deploys", """[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["create"]}]"""),
            RoleBinding("team", "dev", "Role", "pods", "User", "dev"),
            RoleBinding("team", "deployer", "Role", "deploys", "User", "deployer"),
        });
        var dev = Assert.Single(records, r => r.Subject == "User dev");
        Assert.Equal("ViaException", dev.PathType);
        Assert.Contains(dev.Path, l => l.Contains("PolicyException kyverno/agents", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Subject == "User deployer");
    }

    [Fact]
    public void Switching_every_refusal_off_is_an_escalation_for_who_can_already_create()
    {
        var vap = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"deny"},"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},"matchConditions":[{"name":"not-ops","expression":"request.userInfo.username != 'ops'"}],"validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false"}]}}""");
        var binding = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"deny"},"spec":{"policyName":"deny","validationActions":["Deny"]}}""");
        var records = Run(new[]
        {
            Namespace("team"), vap, binding,
            Role("team", "pods", CreatePods),
            ClusterRole("vap-editor", """[{"apiGroups":["admissionregistration.k8s.io"],"resources":["validatingadmissionpolicybindings"],"verbs":["delete"]}]"""),
            RoleBinding("team", "dev", "Role", "pods", "User", "dev"),
            RoleBinding("team", "admin", "Role", "pods", "User", "vap-admin"),
            ClusterRoleBinding("vap-admin", "vap-editor", "User", "vap-admin"),
        });
        Assert.DoesNotContain(records, r => r.Subject == "User dev");
        var admin = Assert.Single(records, r => r.Subject == "User vap-admin");
        Assert.Equal("Escalation", admin.PathType);
        Assert.Contains(admin.Actions, a => a.Verb == "delete" && a.Resource == "validatingadmissionpolicybindings" && a.Name == "deny");
    }

    [Theory]
    [InlineData("""{"matchLabels":{"guard":"on"}}""", true)]
    [InlineData("""{"matchExpressions":[{"key":"guard","operator":"In","values":["on"]}]}""", true)]
    [InlineData("""{"matchLabels":{"kubernetes.io/metadata.name":"team"}}""", false)]
    [InlineData("{}", false)]
    public void Relabelling_the_namespace_switches_off_a_policy_that_selects_it_by_a_label_that_can_change(string selector, bool escalates)
    {
        var vap = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"deny"},"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},"matchConditions":[{"name":"not-ops","expression":"request.userInfo.username != 'ops'"}],"validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false"}]}}""");
        var binding = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"deny"},"spec":{"policyName":"deny","validationActions":["Deny"],"matchResources":{"namespaceSelector":""" + selector + "}}}");
        var records = Run(new[]
        {
            Namespace("team", ("guard", "on")), vap, binding,
            Role("team", "pods", CreatePods),
            Role("team", "labeller", """[{"apiGroups":[""],"resources":["namespaces"],"verbs":["patch"]}]"""),
            RoleBinding("team", "dev", "Role", "pods", "User", "dev"),
            RoleBinding("team", "owner-pods", "Role", "pods", "User", "owner"),
            RoleBinding("team", "owner-labels", "Role", "labeller", "User", "owner"),
        });

        // Both can create pods, neither passes the refusal; only relabelling could switch it off.
        Assert.DoesNotContain(records, r => r.Subject == "User dev");
        if (!escalates)
        {
            Assert.DoesNotContain(records, r => r.Subject == "User owner");
            return;
        }

        var owner = Assert.Single(records, r => r.Subject == "User owner");
        Assert.Equal("Escalation", owner.PathType);
        Assert.Contains(owner.Actions, a => a.Verb == "patch" && a.Resource == "namespaces" && a.Name == "team" && a.Namespace == "team");
    }

    [Fact]
    public void Custom_kinds_that_own_hostNetwork_pods_count_like_workloads()
    {
        var pod = Json("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"agent-x","namespace":"team","ownerReferences":[{"apiVersion":"agents.example.com/v1","kind":"NodeAgent","name":"agent","controller":true,"uid":"1"}]},"spec":{"hostNetwork":true,"nodeName":"n1","containers":[{"name":"a","image":"a"}]}}""");
        var records = Run(new[]
        {
            Namespace("team"), pod,
            Role("team", "agents", """[{"apiGroups":["agents.example.com"],"resources":["nodeagents"],"verbs":["create","update"]}]"""),
            RoleBinding("team", "operator", "Role", "agents", "User", "operator"),
        });
        var record = Assert.Single(records, r => r.Subject == "User operator");
        Assert.Equal("Open", record.PathType);
        Assert.Equal("nodeagents.agents.example.com", record.Resource);
        Assert.Equal(new[] { "create", "update" }, record.Verbs);
    }

    [Fact]
    public void Impersonating_any_group_is_being_system_masters()
    {
        var records = Run(new[]
        {
            Namespace("team"),
            ClusterRole("impersonate-groups", """[{"apiGroups":[""],"resources":["groups"],"verbs":["impersonate"]}]"""),
            ClusterRoleBinding("imp", "impersonate-groups", "User", "mallory"),
        });
        var record = Assert.Single(records, r => r.Subject == "User mallory" && r.PathText.Contains("as Group system:masters", StringComparison.Ordinal));
        Assert.Equal("Escalation", record.PathType);
        Assert.Equal(new[] { "impersonate" }, record.Verbs);
        Assert.Equal("system:masters", Assert.Single(record.Actions).Name);
    }

    [Theory]
    [InlineData("uids", "uids", "")]
    [InlineData("userextras/scopes", "userextras", "scopes")]
    public void Impersonating_a_uid_or_a_user_extra_counts_as_an_escalation(string resource, string expectedResource, string subresource)
    {
        var records = Run(new[]
        {
            Namespace("team"),
            ClusterRole("extras", "[{\"apiGroups\":[\"authentication.k8s.io\"],\"resources\":[\"" + resource + "\"],\"verbs\":[\"impersonate\"]}]"),
            ClusterRoleBinding("extras", "extras", "User", "mallory"),
        });
        var record = Assert.Single(records, r => r.Subject == "User mallory");
        Assert.Equal("Escalation", record.PathType);
        var action = Assert.Single(record.Actions);
        Assert.Equal(expectedResource, action.Resource);
        Assert.Equal(subresource.Length == 0 ? null : subresource, action.Subresource);
    }

    [Fact]
    public void A_literal_userextras_star_matches_no_extra()
    {
        var records = Run(new[]
        {
            Namespace("team"),
            ClusterRole("extras", """[{"apiGroups":["authentication.k8s.io"],"resources":["userextras/*"],"verbs":["impersonate"]}]"""),
            ClusterRoleBinding("extras", "extras", "User", "mallory"),
        });
        Assert.DoesNotContain(records, r => r.Subject == "User mallory");
    }

    [Fact]
    public void Declared_identities_mark_their_records_and_the_audit_counts_the_others()
    {
        var exemptions = TempFile("""
            apiVersion: hostnetaudit.io/v1
            kind: HostNetworkExemptions
            exemptions: []
            identities:
            - kind: User
              name: dev
              justification: runs the node agents
            """);
        try
        {
            var objects = new[]
            {
                Namespace("team"), Namespace("safe", (Enforce, "baseline")),
                Role("team", "pods", CreatePods),
                RoleBinding("team", "dev", "Role", "pods", "User", "dev"),
                RoleBinding("team", "intern", "Role", "pods", "User", "intern"),
            };
            var query = new NamespacePolicyQuery { ExemptionPaths = new[] { exemptions } };
            var records = Run(objects, query);
            var dev = Assert.Single(records, r => r.Subject == "User dev");
            Assert.True(dev.Declared);
            Assert.Equal("runs the node agents", dev.Justification);
            Assert.False(Assert.Single(records, r => r.Subject == "User intern").Declared);

            var report = Audit(objects, query);
            var team = Assert.Single(report.Namespaces, n => n.Namespace == "team");
            // system:masters (Privileged) counts; nodes (ControlPlane) do not.
            Assert.Equal(new[] { "Group system:masters", "User dev", "User intern" }, team.Identities);
            Assert.Equal(3, team.IdentityCount);
            Assert.Equal(new[] { "Group system:masters", "User intern" }, team.UndeclaredIdentities);
            Assert.Contains("2 identities not declared", team.Reason, StringComparison.Ordinal);
            var safe = Assert.Single(report.Namespaces, n => n.Namespace == "safe");
            Assert.Null(safe.IdentityCount);
            Assert.Equal(new[] { "Webhook", "ABAC" }, report.AuthorizersNotEvaluated);
        }
        finally
        {
            File.Delete(exemptions);
        }
    }

    [Theory]
    [InlineData("- {kind: User, name: 'dev*', justification: x}", "exact name")]
    [InlineData("- {kind: ServiceAccount, name: ci, justification: x}", "needs its namespace")]
    [InlineData("- {kind: User, name: dev, namespace: a, justification: x}", "only a ServiceAccount has a namespace")]
    [InlineData("- {kind: Robot, name: dev, justification: x}", "User, Group or ServiceAccount")]
    [InlineData("- {kind: User, name: dev}", "no justification")]
    [InlineData("- {kind: User, name: dev, justification: x, team: a}", "unknown field 'team'")]
    [InlineData("- {kind: User, name: [dev], justification: x}", "'name' is a list")]
    [InlineData("- {kind: User, name: '', justification: x}", "'name' is empty")]
    [InlineData("- {kind: User, name: dev, justification: x, expires: soon}", "not a date")]
    public void Declared_identities_are_read_strictly(string entry, string message)
    {
        var path = TempFile("apiVersion: hostnetaudit.io/v1\nkind: HostNetworkExemptions\nidentities:\n" + entry + "\n");
        try
        {
            var error = Assert.Throws<HostNetAuditException>(() => ExemptionSet.Load(new[] { path }, NullEngineLog.Instance, DateTimeOffset.UtcNow));
            Assert.Equal("ExemptionFileInvalid", error.ErrorId);
            Assert.Contains(message, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_expired_declared_identity_is_ignored_with_a_warning()
    {
        var path = TempFile("apiVersion: hostnetaudit.io/v1\nkind: HostNetworkExemptions\nidentities:\n- {kind: ServiceAccount, namespace: kube-system, name: cilium, justification: CNI, expires: 2020-01-01}\n");
        try
        {
            var log = new RecordingLog();
            var set = ExemptionSet.Load(new[] { path }, log, DateTimeOffset.UtcNow);
            Assert.Empty(set.Identities);
            Assert.Contains(log.Warnings, w => w.Contains("ServiceAccount kube-system/cilium", StringComparison.Ordinal) && w.Contains("expired", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

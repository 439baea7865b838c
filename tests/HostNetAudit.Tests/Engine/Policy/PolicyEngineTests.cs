using System.Text.Json;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Kyverno;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Engine.Policies.PolicyHarness;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>The evaluators' semantics, each on a small hand-written cluster (offline code path).</summary>
public sealed class PolicyEngineTests
{
    private const string Enforce = "pod-security.kubernetes.io/enforce";

    private static JsonElement KyvernoPolicy(string spec, string name = "no-host-network") =>
        Json("{\"apiVersion\":\"kyverno.io/v1\",\"kind\":\"ClusterPolicy\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":" + spec + "}");

    private static string Rule(string extra = "", string match = """{"any":[{"resources":{"kinds":["Pod"]}}]}""") =>
        "{\"name\":\"host-network\",\"match\":" + match + ",\"validate\":{" + extra + "\"pattern\":{\"spec\":{\"=(hostNetwork)\":\"false\"}}}}";

    // ---- Pod Security Admission ----

    [Theory]
    [InlineData("baseline", null, "Compliant", "baseline:latest")]
    [InlineData("restricted", "v1.24", "Compliant", "restricted:v1.24")]
    [InlineData("privileged", null, "NonCompliant", "privileged:latest")]
    [InlineData("Baseline", null, "Compliant", "restricted:latest")]
    [InlineData("strict", null, "Compliant", "restricted:latest")]
    [InlineData("baseline", "1.25", "Compliant", "baseline:latest")]
    public void Pod_Security_enforce_labels_as_the_apiserver_reads_them(string level, string? version, string status, string effective)
    {
        var labels = new List<(string, string)> { (Enforce, level) };
        if (version is not null)
        {
            labels.Add((Enforce + "-version", version));
        }

        var result = One(new[] { Namespace("ns", labels.ToArray()) });
        Assert.Equal(status, result.Status);
        Assert.Equal(effective, result.PodSecurity);
        Assert.Equal("Label", result.PodSecuritySource);
    }

    [Fact]
    public void Invalid_warn_and_audit_levels_fail_open()
    {
        var result = One(new[] { Namespace("ns", ("pod-security.kubernetes.io/warn", "Restricted"), ("pod-security.kubernetes.io/audit", "baseline")) });
        Assert.Equal("NonCompliant", result.Status);
        Assert.Equal("privileged:latest", result.PodSecurityWarn);
        Assert.Equal("baseline:latest", result.PodSecurityAudit);
        Assert.Equal("Audit", Assert.Single(result.AuditOnly).Action);
    }

    [Fact]
    public void Pod_Security_labels_do_not_enforce_before_the_plugin_existed()
    {
        var inputs = new[] { Namespace("ns", (Enforce, "baseline")) };
        var old = EvaluateWithVersion(inputs, 21);
        Assert.Equal("NonCompliant", old.Status);
        Assert.Contains("predates the PodSecurity admission plugin", Assert.Single(old.Informational).Detail, StringComparison.Ordinal);
        Assert.Equal("Unknown", EvaluateWithVersion(inputs, 22).Status);
        Assert.Equal("Compliant", EvaluateWithVersion(inputs, 23).Status);
    }

    [Fact]
    public void A_configured_exemption_of_the_controller_identity_leaves_PSA_out()
    {
        var path = Write("""{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"enforce":"baseline"},"exemptions":{"usernames":["system:serviceaccount:kube-system:replicaset-controller"]}}""");
        var result = One(new[] { Namespace("ns") }, PodSecurityConfiguration.Load(path));
        Assert.Equal("NonCompliant", result.Status);
        Assert.Equal("ConfigurationDefault", result.PodSecuritySource);
        Assert.Contains("exempts system:serviceaccount:kube-system:replicaset-controller", Assert.Single(result.Informational).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void AdmissionConfiguration_with_a_relative_path_to_the_PodSecurityConfiguration()
    {
        var dir = Directory.CreateTempSubdirectory("hna-psa-").FullName;
        File.WriteAllText(Path.Combine(dir, "podsecurity.yaml"), "apiVersion: pod-security.admission.config.k8s.io/v1beta1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: restricted\n  enforce-version: v1.29\nexemptions:\n  namespaces: [kube-system]\n");
        File.WriteAllText(Path.Combine(dir, "admission.yaml"), "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: podsecurity.yaml\n");
        var config = PodSecurityConfiguration.Load(Path.Combine(dir, "admission.yaml"));
        Assert.Equal("restricted:v1.29", config.Enforce.ToString());
        Assert.Equal(new[] { "kube-system" }, config.ExemptNamespaces);
        var results = Evaluate(new[] { Namespace("kube-system"), Namespace("app") }, config).ToDictionary(r => r.Namespace);
        Assert.Equal("ConfigurationExemption", results["kube-system"].PodSecuritySource);
        Assert.Equal("NonCompliant", results["kube-system"].Status);
        Assert.Equal("Compliant", results["app"].Status);
        Assert.Equal("PodSecurityConfiguration", results["app"].EnforcedBy[0].Kind);
    }

    // ---- Kyverno ----

    [Theory]
    [InlineData("""{"validationFailureAction":"Audit","rules":[RULE]}""", "", "Audit")]
    [InlineData("""{"validationFailureAction":"enforce","rules":[RULE]}""", "", "enforce")]
    [InlineData("""{"rules":[RULE]}""", "", "Audit")]
    [InlineData("""{"validationFailureAction":"Audit","validationFailureActionOverrides":[{"action":"Enforce","namespaces":["team-*"]}],"rules":[RULE]}""", "", "Enforce")]
    [InlineData("""{"validationFailureAction":"Enforce","validationFailureActionOverrides":[{"action":"Audit","namespaceSelector":{"matchLabels":{"tier":"dev"}}}],"rules":[RULE]}""", "", "Audit")]
    [InlineData("""{"validationFailureAction":"Audit","rules":[RULE]}""", "\"failureAction\":\"Enforce\",", "Enforce")]
    [InlineData("""{"validationFailureAction":"Enforce","validationFailureActionOverrides":[{"action":"Enforce","namespaces":["team-a"]}],"rules":[RULE]}""", "\"failureAction\":\"Audit\",", "Audit")]
    [InlineData("""{"validationFailureAction":"Audit","rules":[RULE]}""", "\"failureAction\":\"Audit\",\"failureActionOverrides\":[{\"action\":\"Enforce\",\"namespaces\":[\"team-a\"]}],", "Enforce")]
    public void Kyverno_failure_action_precedence(string spec, string ruleExtra, string action)
    {
        var policy = KyvernoPolicy(spec.Replace("RULE", Rule(ruleExtra), StringComparison.Ordinal));
        var result = One(new[] { Namespace("team-a", ("tier", "dev")), policy });
        var finding = result.EnforcedBy.Concat(result.AuditOnly).Single();
        Assert.Equal(action, finding.Action);
        Assert.Equal(action.Equals("Enforce", StringComparison.OrdinalIgnoreCase) ? "Compliant" : "NonCompliant", result.Status);
    }

    [Fact]
    public void Kyverno_match_operations_kinds_namespaces_and_exclude()
    {
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), KyvernoPolicy($$"""{"validationFailureAction":"Enforce","rules":[{{Rule(match: """{"any":[{"resources":{"kinds":["Pod"],"operations":["UPDATE"]}}]}""")}}]}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), KyvernoPolicy($$"""{"validationFailureAction":"Enforce","rules":[{{Rule(match: """{"any":[{"resources":{"kinds":["Deployment"]}}]}""")}}]}""") }).Status);
        Assert.Equal("Compliant", One(new[] { Namespace("a"), KyvernoPolicy($$"""{"validationFailureAction":"Enforce","rules":[{{Rule(match: """{"any":[{"resources":{"kinds":["v1/Pod"]}}]}""")}}]}""") }).Status);
        var excluded = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"exclude":{"any":[{"resources":{"namespaces":["a"]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""") });
        Assert.Equal("NonCompliant", excluded.Status);
        Assert.Equal("NotApplied", Assert.Single(excluded.Informational).Verdict);
    }

    [Fact]
    public void Kyverno_subjects_and_roles_make_a_rule_conditional_and_an_exclusion_of_the_controllers_removes_it()
    {
        var roles = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"exclude":{"any":[{"clusterRoles":["cluster-admin"]}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""") });
        Assert.Equal("Conditional", roles.Status);
        Assert.Contains("ClusterRole cluster-admin", roles.Conditional[0].Detail, StringComparison.Ordinal);
        var controllers = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"exclude":{"any":[{"subjects":[{"kind":"Group","name":"system:serviceaccounts:kube-system"}]}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""") });
        Assert.Equal("NonCompliant", controllers.Status);
    }

    [Fact]
    public void Kyverno_admission_false_deny_conditions_and_preconditions()
    {
        var background = One(new[] { Namespace("a"), KyvernoPolicy($$"""{"admission":false,"validationFailureAction":"Enforce","rules":[{{Rule()}}]}""") });
        Assert.Equal("NonCompliant", background.Status);
        Assert.Contains("spec.admission is false", background.Informational[0].Detail, StringComparison.Ordinal);

        var deny = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"deny":{"conditions":{"any":[{"key":"{{ request.object.spec.hostNetwork }}","operator":"Equals","value":true}]}}}}]}""") });
        Assert.Equal("Compliant", deny.Status);

        var denyAll = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"deny":{}}}]}""") });
        Assert.Equal("NonCompliant", denyAll.Status);
        Assert.Equal("DeniesBoth", Assert.Single(denyAll.Informational).Verdict);

        var unresolvable = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"deny":{"conditions":{"any":[{"key":"{{ images.containers.*.registry }}","operator":"AnyIn","value":["hostNetwork.example"]}]}}}}]}""") });
        Assert.Equal("Unknown", unresolvable.Status);

        var preconditioned = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"preconditions":{"all":[{"key":"{{ request.object.metadata.labels.team || '' }}","operator":"Equals","value":"web"}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""") });
        Assert.Equal("NonCompliant", preconditioned.Status);
    }

    [Fact]
    public void An_unanchored_hostNetwork_false_pattern_denies_the_twin_too_and_does_not_count()
    {
        var result = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"hostNetwork":false}}}}]}""") });
        Assert.Equal("NonCompliant", result.Status);
        var info = Assert.Single(result.Informational);
        Assert.Equal("DeniesBoth", info.Verdict);
        Assert.Contains("=() anchor", info.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"level":"baseline","version":"latest"}""", "Compliant")]
    [InlineData("""{"level":"restricted","version":"v1.29","exclude":[{"controlName":"Capabilities","images":["*"]}]}""", "Compliant")]
    [InlineData("""{"level":"privileged"}""", "NonCompliant")]
    [InlineData("""{"level":"baseline","exclude":[{"controlName":"Host Namespaces"}]}""", "NonCompliant")]
    [InlineData("""{"level":"baseline","exclude":[{"controlName":"Host Namespaces","restrictedField":"spec.hostNetwork","values":["true"]}]}""", "NonCompliant")]
    [InlineData("""{"level":"baseline","exclude":[{"controlName":"Host Namespaces","restrictedField":"spec.hostPID","values":["true"]}]}""", "Compliant")]
    public void Kyverno_podSecurity_subrule(string podSecurity, string status)
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"pss","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"podSecurity":""" + podSecurity + "}}]}");
        Assert.Equal(status, One(new[] { Namespace("a"), policy }).Status);
    }

    [Fact]
    public void Kyverno_configmap_resourceFilters_and_exclusions()
    {
        var policy = KyvernoPolicy($$"""{"validationFailureAction":"Enforce","rules":[{{Rule()}}]}""");
        var namespaces = new[] { Namespace("kube-system"), Namespace("app"), Namespace("kyverno") };

        // No ConfigMap in the evidence: the chart's defaults are assumed (kube-system and kyverno filtered).
        var assumed = Evaluate(namespaces.Append(policy)).ToDictionary(r => r.Namespace);
        Assert.Equal("NonCompliant", assumed["kube-system"].Status);
        Assert.Contains("assumed", assumed["kube-system"].Reason, StringComparison.Ordinal);
        Assert.Equal("Compliant", assumed["app"].Status);
        Assert.Equal("NonCompliant", assumed["kyverno"].Status);

        var noFilters = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno"},"data":{"resourceFilters":"[Event,*,*]"}}""");
        Assert.Equal("Compliant", Evaluate(namespaces.Append(policy).Append(noFilters)).Single(r => r.Namespace == "kube-system").Status);

        var excludeControllers = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno"},"data":{"resourceFilters":"","excludeGroups":"system:nodes,system:serviceaccounts:kube-system"}}""");
        var excluded = Evaluate(namespaces.Append(policy).Append(excludeControllers)).Single(r => r.Namespace == "app");
        Assert.Equal("NonCompliant", excluded.Status);
        Assert.Contains("controllers that create pods", excluded.Reason, StringComparison.Ordinal);

        var excludeUser = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno"},"data":{"excludeUsernames":"ci-bot"}}""");
        Assert.Equal("Conditional", Evaluate(namespaces.Append(policy).Append(excludeUser)).Single(r => r.Namespace == "app").Status);
    }

    [Fact]
    public void Kyverno_webhook_wiring_selector_failure_policy_and_object_selector()
    {
        var policy = KyvernoPolicy($$"""{"validationFailureAction":"Enforce","failurePolicy":"Ignore","rules":[{{Rule()}}]}""");
        var webhook = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"kyverno-resource-validating-webhook-cfg"},"webhooks":[{"name":"validate.kyverno.svc-ignore","failurePolicy":"Ignore","namespaceSelector":{"matchLabels":{"kyverno":"on"}},"objectSelector":{"matchExpressions":[{"key":"skip","operator":"DoesNotExist"}]},"rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]}]}""");
        var results = Evaluate(new[] { Namespace("on", ("kyverno", "on")), Namespace("off"), policy, webhook }).ToDictionary(r => r.Namespace);
        Assert.Equal("NonCompliant", results["off"].Status);
        Assert.Equal("Conditional", results["on"].Status);
        Assert.True(results["on"].Conditional[0].FailOpen);
    }

    [Fact]
    public void Kyverno_PolicyException_exempts_whole_namespaces_or_some_pods()
    {
        var policy = KyvernoPolicy($$"""{"validationFailureAction":"Enforce","rules":[{{Rule()}}]}""");
        var all = Json("""{"apiVersion":"kyverno.io/v2","kind":"PolicyException","metadata":{"name":"ex","namespace":"kyverno"},"spec":{"exceptions":[{"policyName":"no-host-network","ruleNames":["host-*"]}],"match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["a"]}}]}}}""");
        var some = Json("""{"apiVersion":"kyverno.io/v2beta1","kind":"PolicyException","metadata":{"name":"ex2","namespace":"kyverno"},"spec":{"exceptions":[{"policyName":"no-host-network","ruleNames":["host-network"]}],"match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["b"],"names":["agent-*"]}}]}}}""");
        var results = Evaluate(new[] { Namespace("a"), Namespace("b"), Namespace("c"), policy, all, some }).ToDictionary(r => r.Namespace);
        Assert.Equal("NonCompliant", results["a"].Status);
        Assert.Equal("Conditional", results["b"].Status);
        Assert.Equal("Compliant", results["c"].Status);
    }

    [Fact]
    public void A_namespaced_Kyverno_Policy_applies_to_its_own_namespace_only()
    {
        var policy = Json("""{"apiVersion":"kyverno.io/v1","kind":"Policy","metadata":{"name":"p","namespace":"a"},"spec":{"validationFailureAction":"Enforce","rules":[""" + Rule() + "]}}");
        var results = Evaluate(new[] { Namespace("a"), Namespace("b"), policy }).ToDictionary(r => r.Namespace);
        Assert.Equal("Compliant", results["a"].Status);
        Assert.Equal("a/p", results["a"].EnforcedBy[0].Policy);
        Assert.Equal("NonCompliant", results["b"].Status);
    }

    // ---- Gatekeeper ----

    private static JsonElement Template(string kind, string rego = "package x\nviolation[{\"msg\": msg}] {\n  input.review.object.spec.hostNetwork\n  msg := \"no\"\n}") =>
        Json("{\"apiVersion\":\"templates.gatekeeper.sh/v1\",\"kind\":\"ConstraintTemplate\",\"metadata\":{\"name\":\"" + kind.ToLowerInvariant() + "\"},\"spec\":{\"crd\":{\"spec\":{\"names\":{\"kind\":\"" + kind + "\"}}},\"targets\":[{\"target\":\"admission.k8s.gatekeeper.sh\",\"rego\":" + JsonSerializer.Serialize(rego) + "}]}}");

    private static JsonElement Constraint(string kind, string spec, string name = "c") =>
        Json("{\"apiVersion\":\"constraints.gatekeeper.sh/v1beta1\",\"kind\":\"" + kind + "\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":" + spec + "}");

    [Theory]
    [InlineData("""{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}""", "Compliant", "deny")]
    [InlineData("""{"enforcementAction":"deny","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]},"parameters":{"hostNetwork":false}}""", "Compliant", "deny")]
    [InlineData("""{"enforcementAction":"dryrun","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}""", "NonCompliant", "dryrun")]
    [InlineData("""{"enforcementAction":"warn","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}""", "NonCompliant", "warn")]
    [InlineData("""{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"deny","enforcementPoints":[{"name":"*"}]}],"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}""", "Compliant", "scoped (deny at validation.gatekeeper.sh)")]
    [InlineData("""{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"deny","enforcementPoints":[{"name":"audit.gatekeeper.sh"}]}],"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}""", "NonCompliant", "scoped (no action at validation.gatekeeper.sh)")]
    public void Gatekeeper_enforcement_actions(string spec, string status, string action)
    {
        var result = One(new[] { Namespace("a"), Template("K8sPSPHostNetworkingPorts"), Constraint("K8sPSPHostNetworkingPorts", spec) });
        Assert.Equal(status, result.Status);
        Assert.Equal(action, result.EnforcedBy.Concat(result.AuditOnly).Single().Action);
    }

    [Fact]
    public void Gatekeeper_match_kinds_namespaces_selectors_and_Config()
    {
        var t = Template("K8sPSPHostNetworkingPorts");
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), t, Constraint("K8sPSPHostNetworkingPorts", """{"match":{"kinds":[{"apiGroups":["apps"],"kinds":["Deployment"]}]}}""") }).Status);
        Assert.Equal("Compliant", One(new[] { Namespace("a"), t, Constraint("K8sPSPHostNetworkingPorts", """{"match":{}}""") }).Status);
        Assert.Equal("Compliant", One(new[] { Namespace("team-a"), t, Constraint("K8sPSPHostNetworkingPorts", """{"match":{"namespaces":["team-*"]}}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("team-a"), t, Constraint("K8sPSPHostNetworkingPorts", """{"match":{"excludedNamespaces":["*-a"]}}""") }).Status);
        Assert.Equal("Conditional", One(new[] { Namespace("a"), t, Constraint("K8sPSPHostNetworkingPorts", """{"match":{"labelSelector":{"matchLabels":{"app":"x"}}}}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), t, Constraint("K8sPSPHostNetworkingPorts", """{"match":{"namespaceSelector":{"matchLabels":{"gk":"on"}}}}""") }).Status);
        var config = Json("""{"apiVersion":"config.gatekeeper.sh/v1alpha1","kind":"Config","metadata":{"name":"config","namespace":"gatekeeper-system"},"spec":{"match":[{"excludedNamespaces":["a"],"processes":["webhook"]}]}}""");
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), t, config, Constraint("K8sPSPHostNetworkingPorts", """{"match":{}}""") }).Status);
        var ignored = One(new[] { Namespace("a", ("admission.gatekeeper.sh/ignore", "yes")), t, Constraint("K8sPSPHostNetworkingPorts", """{"match":{}}""") });
        Assert.Equal("NonCompliant", ignored.Status);
        Assert.Contains("admission.gatekeeper.sh/ignore", ignored.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Gatekeeper_templates_are_never_counted_by_kind_name()
    {
        // The template's Rego decides where it can be read; the kind name only where it cannot.
        var azure = Template("K8sAzureV3HostNetworkingPorts", "package x\nviolation[{\"msg\": m}] {\n  input.review.object.spec.hostNetwork\n  not input.parameters.allowHostNetwork\n  m := \"x\"\n}");
        Assert.Equal("Compliant", One(new[] { Namespace("a"), azure, Constraint("K8sAzureV3HostNetworkingPorts", """{"match":{},"parameters":{"allowHostNetwork":false}}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), azure, Constraint("K8sAzureV3HostNetworkingPorts", """{"match":{},"parameters":{"allowHostNetwork":true}}""") }).Status);
        var unreadable = Template("K8sAzureV3HostNetworkingPorts", "package x\nviolation[{\"msg\": m}] {\n  input.review.object.spec.hostNetwork\n  regex.match(\"x\", input.review.object.kind)\n  m := \"x\"\n}");
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), unreadable, Constraint("K8sAzureV3HostNetworkingPorts", """{"match":{},"parameters":{"allowHostNetwork":true}}""") }).Status);
        Assert.Equal("Unknown", One(new[] { Namespace("a"), Constraint("K8sBlockHostNetwork", """{"match":{}}""") }).Status);
        Assert.Equal("Compliant", One(new[] { Namespace("a"), Template("K8sBlockHostNetwork"), Constraint("K8sBlockHostNetwork", """{"match":{}}""") }).Status);
        // The constraint's parameters are input.parameters: read with each constraint.
        var allowedUnlessParameter = Template("K8sBlockHostNetwork", "package x\nviolation[{\"msg\": m}] {\n  input.review.object.spec.hostNetwork\n  not input.parameters.allowed\n  m := \"x\"\n}");
        Assert.Equal("Compliant", One(new[] { Namespace("a"), allowedUnlessParameter, Constraint("K8sBlockHostNetwork", """{"match":{}}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), allowedUnlessParameter, Constraint("K8sBlockHostNetwork", """{"match":{},"parameters":{"allowed":true}}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), Template("K8sRequiredLabels", "package x\nviolation[{\"msg\": m}] {\n  not input.review.object.metadata.labels.owner\n  m := \"x\"\n}"), Constraint("K8sRequiredLabels", """{"match":{}}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), Template("K8sPSPHostNamespace", "package x\nviolation[{\"msg\": m}] {\n  input.review.object.spec.hostPID\n  m := \"x\"\n}"), Constraint("K8sPSPHostNamespace", """{"match":{}}""") }).Status);
    }

    [Fact]
    public void Gatekeeper_webhook_is_assumed_fail_open_when_not_in_the_evidence()
    {
        var result = One(new[] { Namespace("a"), Template("K8sPSPHostNetworkingPorts"), Constraint("K8sPSPHostNetworkingPorts", """{"match":{}}""") });
        Assert.True(result.EnforcedBy[0].FailOpen);
        Assert.Contains("fails open", result.Reason, StringComparison.Ordinal);
    }

    // ---- ValidatingAdmissionPolicy ----

    private static readonly JsonElement Vap = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"hn"},"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},"validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false"}]}}""");

    private static JsonElement Binding(string spec) => Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"b"},"spec":""" + spec + "}");

    [Fact]
    public void ValidatingAdmissionPolicy_needs_a_Deny_binding_selecting_the_namespace()
    {
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), Vap }).Status);
        Assert.Equal("Compliant", One(new[] { Namespace("a"), Vap, Binding("""{"policyName":"hn","validationActions":["Deny","Audit"]}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), Vap, Binding("""{"policyName":"hn","validationActions":["Warn"]}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), Vap, Binding("""{"policyName":"hn","validationActions":["Deny"],"matchResources":{"namespaceSelector":{"matchLabels":{"x":"y"}}}}""") }).Status);
        Assert.Equal("Conditional", One(new[] { Namespace("a"), Vap, Binding("""{"policyName":"hn","validationActions":["Deny"],"matchResources":{"objectSelector":{"matchLabels":{"x":"y"}}}}""") }).Status);
        Assert.Equal("NonCompliant", One(new[] { Namespace("a"), Vap, Binding("""{"policyName":"hn","validationActions":["Deny"],"matchResources":{"excludeResourceRules":[{"apiGroups":[""],"apiVersions":["*"],"operations":["*"],"resources":["pods"]}]}}""") }).Status);
    }

    [Fact]
    public void ValidatingAdmissionPolicy_params_that_are_missing_or_unreferenced_misconfigure_the_binding()
    {
        // Issue 12: params are resolved; no param under parameterNotFoundAction Deny, or no paramRef at all, is an
        // error the apiserver turns into a denial of every request (failurePolicy Fail): not a hostNetwork refusal.
        var withParams = With(Vap, p => p["spec"]!["paramKind"] = System.Text.Json.Nodes.JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap"}"""));
        var notFound = One(new[] { Namespace("a"), withParams, Binding("""{"policyName":"hn","validationActions":["Deny"],"paramRef":{"name":"p","parameterNotFoundAction":"Deny"}}""") });
        Assert.Equal("NonCompliant", notFound.Status);
        Assert.Contains("no ConfigMap named p exists in a", Assert.Single(notFound.Informational).Detail, StringComparison.Ordinal);
        var noRef = One(new[] { Namespace("a"), withParams, Binding("""{"policyName":"hn","validationActions":["Deny"]}""") });
        Assert.Equal("NonCompliant", noRef.Status);
        Assert.Contains("has no paramRef", Assert.Single(noRef.Informational).Detail, StringComparison.Ordinal);
        Assert.Equal("Compliant", One(new[] { Namespace("a"), Vap, Binding("""{"policyName":"hn","validationActions":["Deny"],"paramRef":{"name":"p"}}""") }).Status);
    }

    private static NamespacePolicyResult EvaluateWithVersion(IEnumerable<JsonElement> objects, int minor)
    {
        var log = new HostNetAudit.Tests.Support.RecordingLog();
        var inputs = Inputs(Evidence(objects), log);
        inputs.ServerMinor = minor;
        return Assert.Single(new NamespacePolicyEvaluator(inputs, null, HostNetAudit.Engine.Policy.Exemptions.ExemptionSet.Empty, log).Evaluate(null, CancellationToken.None)).ToRecord();
    }

    private static string Write(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("hna-").FullName, "config.json");
        File.WriteAllText(path, text);
        return path;
    }
}

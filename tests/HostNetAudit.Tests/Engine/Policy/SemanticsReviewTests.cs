using System.Text.Json;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Engine.Policies.PolicyHarness;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>
/// Adversarial cases from the review of the policy semantics (issue 4): each pins a place where the verdict
/// deviated from docs/design.md ("Semantics") or from what Kyverno, Gatekeeper or the apiserver really do.
/// </summary>
public sealed class SemanticsReviewTests
{
    private static JsonElement KyvernoPolicy(string spec, string name = "p") =>
        Json("{\"apiVersion\":\"kyverno.io/v1\",\"kind\":\"ClusterPolicy\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":" + spec + "}");

    private static readonly JsonElement Template = Json("""{"apiVersion":"templates.gatekeeper.sh/v1","kind":"ConstraintTemplate","metadata":{"name":"k8sblockhostnetwork"},"spec":{"crd":{"spec":{"names":{"kind":"K8sBlockHostNetwork"}}},"targets":[{"target":"admission.k8s.gatekeeper.sh","rego":"package x\nviolation[{\"msg\": msg}] {\n  input.review.object.spec.hostNetwork\n  msg := \"no\"\n}"}]}}""");

    private static JsonElement Constraint(string spec) =>
        Json("{\"apiVersion\":\"constraints.gatekeeper.sh/v1beta1\",\"kind\":\"K8sBlockHostNetwork\",\"metadata\":{\"name\":\"c\"},\"spec\":" + spec + "}");

    private static Dictionary<string, HostNetAudit.NamespacePolicyResult> ByNamespace(params JsonElement[] objects) =>
        Evaluate(objects).ToDictionary(r => r.Namespace);

    // ---- Pod Security Admission: labels over the configured defaults ----

    [Theory]
    [InlineData(new[] { "pod-security.kubernetes.io/enforce", "privileged" }, "NonCompliant", "privileged:v1.29", "Label")]
    [InlineData(new[] { "pod-security.kubernetes.io/enforce-version", "v1.24" }, "Compliant", "baseline:v1.24", "ConfigurationDefault")]
    [InlineData(new[] { "pod-security.kubernetes.io/enforce", "" }, "Compliant", "restricted:v1.29", "Label")]
    [InlineData(new[] { "pod-security.kubernetes.io/enforce", "baseline", "pod-security.kubernetes.io/enforce-version", "v1.0" }, "Compliant", "baseline:v1.0", "Label")]
    [InlineData(new[] { "pod-security.kubernetes.io/enforce", "privileged", "pod-security.kubernetes.io/enforce-version", "latest!" }, "NonCompliant", "privileged:latest", "Label")]
    public void Pod_Security_labels_override_the_configured_default_level_and_version_separately(string[] labels, string status, string effective, string source)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("hna-review-").FullName, "psa.json");
        File.WriteAllText(path, """{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"enforce":"baseline","enforce-version":"v1.29"}}""");
        var pairs = Enumerable.Range(0, labels.Length / 2).Select(i => (labels[2 * i], labels[(2 * i) + 1])).ToArray();
        var result = One(new[] { Namespace("a", pairs) }, HostNetAudit.Engine.Policy.Psa.PodSecurityConfiguration.Load(path));
        Assert.Equal(status, result.Status);
        Assert.Equal(effective, result.PodSecurity);
        Assert.Equal(source, result.PodSecuritySource);
    }

    // ---- Kyverno: conditions and patterns that read the namespace are judged in each namespace ----

    [Fact]
    public void A_Kyverno_precondition_on_request_namespace_is_judged_in_each_namespace()
    {
        // Kyverno skips the rule in ingress; everywhere else it refuses hostNetwork.
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"preconditions":{"all":[{"key":"{{ request.namespace }}","operator":"NotEquals","value":"ingress"}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""");
        var results = ByNamespace(Namespace("ingress"), Namespace("default"), Namespace("app"), policy);
        Assert.Equal("NonCompliant", results["ingress"].Status);
        Assert.Equal("Compliant", results["default"].Status);
        Assert.Equal("Compliant", results["app"].Status);
    }

    [Fact]
    public void A_Kyverno_precondition_that_selects_one_namespace_counts_there_only()
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"preconditions":{"any":[{"key":"{{ request.object.metadata.namespace }}","operator":"AnyIn","value":["prod-*"]}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""");
        var results = ByNamespace(Namespace("default"), Namespace("prod-a"), policy);
        Assert.Equal("NonCompliant", results["default"].Status);
        Assert.Equal("Compliant", results["prod-a"].Status);
    }

    [Fact]
    public void A_Kyverno_deny_condition_on_the_namespace_is_judged_in_each_namespace()
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"deny":{"conditions":{"all":[{"key":"{{ request.object.spec.hostNetwork || false }}","operator":"Equals","value":true},{"key":"{{ request.namespace }}","operator":"AnyNotIn","value":["ingress","monitoring"]}]}}}}]}""");
        var results = ByNamespace(Namespace("ingress"), Namespace("default"), Namespace("app"), policy);
        Assert.Equal("NonCompliant", results["ingress"].Status);
        Assert.Equal("Compliant", results["default"].Status);
        Assert.Equal("Compliant", results["app"].Status);
    }

    [Fact]
    public void A_Kyverno_pattern_anchored_on_the_pods_namespace_is_judged_in_each_namespace()
    {
        // The conditional anchor skips pods in kube-flannel: the rule does not apply there.
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"metadata":{"(namespace)":"!kube-flannel"},"spec":{"=(hostNetwork)":"false"}}}}]}""");
        var results = ByNamespace(Namespace("kube-flannel"), Namespace("app"), policy);
        Assert.Equal("NonCompliant", results["kube-flannel"].Status);
        Assert.Equal("Compliant", results["app"].Status);
    }

    [Fact]
    public void A_Kyverno_precondition_that_only_hostNetwork_pods_meet_makes_a_deny_all_rule_refuse_hostNetwork()
    {
        // The twin does not meet the precondition, so Kyverno skips the rule for it: only hostNetwork pods are denied.
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"preconditions":{"all":[{"key":"{{ request.object.spec.hostNetwork || false }}","operator":"Equals","value":true}]},"validate":{"deny":{}}}]}""");
        var result = One(new[] { Namespace("a"), policy });
        Assert.Equal("Compliant", result.Status);
    }

    [Fact]
    public void Kyverno_operations_left_empty_match_every_operation()
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"],"operations":[]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""");
        Assert.Equal("Compliant", One(new[] { Namespace("a"), policy }).Status);
    }

    [Fact]
    public void Kyverno_webhookConfiguration_matchConditions_make_a_rule_conditional_and_its_failurePolicy_is_honoured()
    {
        const string rule = """{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}""";
        var some = KyvernoPolicy("""{"validationFailureAction":"Enforce","webhookConfiguration":{"failurePolicy":"Ignore","matchConditions":[{"name":"not-skipped","expression":"!has(object.metadata.labels) || !('skip' in object.metadata.labels)"}]},"rules":[""" + rule + "]}");
        var result = One(new[] { Namespace("a"), some });
        Assert.Equal("Conditional", result.Status);
        Assert.Contains("not-skipped", result.Reason, StringComparison.Ordinal);
        Assert.True(result.Conditional[0].FailOpen);

        var none = KyvernoPolicy("""{"validationFailureAction":"Enforce","webhookConfiguration":{"matchConditions":[{"name":"labelled","expression":"has(object.metadata.labels) && 'enforce' in object.metadata.labels"}]},"rules":[""" + rule + "]}");
        var skipped = One(new[] { Namespace("a"), none });
        Assert.Equal("NonCompliant", skipped.Status);
        Assert.Contains("labelled", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Kyverno_precondition_on_a_pod_label_makes_the_rule_conditional()
    {
        // Pods labelled hostaccess=granted skip the rule: it refuses hostNetwork only for the others.
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"preconditions":{"all":[{"key":"{{ request.operation || 'BACKGROUND' }}","operator":"NotEquals","value":"DELETE"},{"key":"{{ request.object.metadata.labels.hostaccess || '' }}","operator":"NotEquals","value":"granted"}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""");
        var result = One(new[] { Namespace("a"), policy });
        Assert.Equal("Conditional", result.Status);
        Assert.Contains("pod's creator sets", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Kyverno_deny_condition_with_an_annotation_escape_makes_the_rule_conditional()
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"deny":{"conditions":{"all":[{"key":"{{ request.object.spec.hostNetwork || false }}","operator":"Equals","value":true},{"key":"{{ request.object.metadata.annotations.exempt || '' }}","operator":"NotEquals","value":"yes"}]}}}}]}""");
        Assert.Equal("Conditional", One(new[] { Namespace("a"), policy }).Status);

        // Conditions that read only hostNetwork (and the operation) refuse every hostNetwork pod.
        var plain = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"deny":{"conditions":{"any":[{"key":"{{ request.object.spec.hostNetwork || false }}","operator":"Equals","value":true},{"key":"{{ request.object.metadata.annotations.other || '' }}","operator":"Equals","value":"x"}]}}}}]}""");
        Assert.Equal("Compliant", One(new[] { Namespace("a"), plain }).Status);
    }

    [Fact]
    public void A_Kyverno_anyPattern_alternative_that_admits_labelled_hostNetwork_pods_makes_the_rule_conditional()
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"anyPattern":[{"spec":{"=(hostNetwork)":"false"}},{"metadata":{"labels":{"hostaccess":"granted"}}}]}}]}""");
        var result = One(new[] { Namespace("a"), policy });
        Assert.Equal("Conditional", result.Status);
        Assert.Contains("anyPattern", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_its_webhook_in_the_evidence_Kyverno_wiring_follows_the_ConfigMap_webhooks_selectors()
    {
        const string rule = """{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}""";
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[""" + rule + "]}");
        var config = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno"},"data":{"resourceFilters":"[Event,*,*]","webhooks":"[{\"namespaceSelector\":{\"matchExpressions\":[{\"key\":\"kubernetes.io/metadata.name\",\"operator\":\"NotIn\",\"values\":[\"prod\"]}]}}]"}}""");
        var results = ByNamespace(Namespace("prod"), Namespace("app"), Namespace("kyverno"), policy, config);
        Assert.Equal("NonCompliant", results["prod"].Status);
        Assert.Contains("prod", results["prod"].Reason, StringComparison.Ordinal);
        Assert.Equal("Compliant", results["app"].Status);
        Assert.Equal("NonCompliant", results["kyverno"].Status);

        var objectSelector = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno"},"data":{"webhooks":"[{\"objectSelector\":{\"matchLabels\":{\"policy\":\"on\"}}}]"}}""");
        Assert.Equal("Conditional", ByNamespace(Namespace("app"), policy, objectSelector)["app"].Status);
    }

    [Fact]
    public void A_policy_that_denies_the_twin_too_is_named_in_the_reason()
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"hostNetwork":false}}}}]}""");
        var result = One(new[] { Namespace("a"), policy });
        Assert.Equal("NonCompliant", result.Status);
        Assert.StartsWith("Kyverno ClusterPolicy p (rule r) denies the reference pod's twin", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Kyverno_Enforce_rule_behind_an_Audit_rule_in_the_same_policy_is_unknown_because_Kyverno_versions_differ()
    {
        // Kyverno before the fix of kyverno/kyverno#16557 applies the first validate rule's action to the whole policy.
        const string audit = """{"name":"team-label","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"failureAction":"Audit","pattern":{"metadata":{"labels":{"team":"?*"}}}}}""";
        const string enforce = """{"name":"host-network","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"failureAction":"Enforce","pattern":{"spec":{"=(hostNetwork)":"false"}}}}""";
        var behind = One(new[] { Namespace("a"), KyvernoPolicy("{\"rules\":[" + audit + "," + enforce + "]}") });
        Assert.Equal("Unknown", behind.Status);
        Assert.Contains("16557", behind.Reason, StringComparison.Ordinal);

        var first = One(new[] { Namespace("a"), KyvernoPolicy("{\"rules\":[" + enforce + "," + audit + "]}") });
        Assert.Equal("Compliant", first.Status);
    }

    [Fact]
    public void An_Enforce_from_an_override_without_namespaces_or_selector_is_unknown_because_Kyverno_versions_differ()
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Audit","validationFailureActionOverrides":[{"action":"Enforce"}],"rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""");
        var result = One(new[] { Namespace("a"), policy });
        Assert.Equal("Unknown", result.Status);
        Assert.Contains("neither namespaces nor namespaceSelector", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void With_applyRules_One_an_earlier_rule_that_applies_hides_the_hostNetwork_rule()
    {
        // The reference pod has limits: the first rule passes, Kyverno stops, the hostNetwork rule never runs
        // (issue 12 decides it from the rule order; it was Unknown).
        const string limits = """{"name":"limits","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"containers":[{"resources":{"limits":{"memory":"?*"}}}]}}}}""";
        const string host = """{"name":"host-network","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}""";
        var one = One(new[] { Namespace("a"), KyvernoPolicy("{\"validationFailureAction\":\"Enforce\",\"applyRules\":\"One\",\"rules\":[" + limits + "," + host + "]}") });
        Assert.Equal("NonCompliant", one.Status);
        Assert.Contains("applyRules is One", one.Reason, StringComparison.Ordinal);
        Assert.Contains("rule limits before it applies to the pod", one.Reason, StringComparison.Ordinal);

        Assert.Equal("Compliant", One(new[] { Namespace("a"), KyvernoPolicy("{\"validationFailureAction\":\"Enforce\",\"applyRules\":\"One\",\"rules\":[" + host + "," + limits + "]}") }).Status);
        Assert.Equal("Compliant", One(new[] { Namespace("a"), KyvernoPolicy("{\"validationFailureAction\":\"Enforce\",\"rules\":[" + limits + "," + host + "]}") }).Status);
    }

    [Theory]
    [InlineData("JSON", "NonCompliant")]
    [InlineData("Kubernetes", "Compliant")]
    public void A_Kyverno_ValidatingPolicy_in_JSON_mode_does_not_judge_admission(string mode, string status)
    {
        var vpol = Json("""{"apiVersion":"policies.kyverno.io/v1","kind":"ValidatingPolicy","metadata":{"name":"v"},"spec":{"evaluation":{"mode":""" + JsonSerializer.Serialize(mode) + """},"validationActions":["Deny"],"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},"validations":[{"expression":"object.spec.?hostNetwork.orValue(false) == false"}]}}""");
        Assert.Equal(status, One(new[] { Namespace("a"), vpol }).Status);
    }

    // ---- Gatekeeper ----

    [Theory]
    [InlineData("""{"enforcementAction":"Deny"}""", "NonCompliant")]
    [InlineData("""{"enforcementAction":"DENY"}""", "NonCompliant")]
    [InlineData("""{"enforcementAction":"Scoped","scopedEnforcementActions":[{"action":"deny","enforcementPoints":[{"name":"validation.gatekeeper.sh"}]}]}""", "NonCompliant")]
    [InlineData("""{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"Deny","enforcementPoints":[{"name":"validation.gatekeeper.sh"}]}]}""", "NonCompliant")]
    [InlineData("""{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"deny","enforcementPoints":[{"name":"validation.gatekeeper.sh"}]}]}""", "Compliant")]
    [InlineData("""{"enforcementAction":""}""", "Compliant")]
    public void Gatekeeper_enforcement_actions_are_case_sensitive(string spec, string status)
    {
        var result = One(new[] { Namespace("a"), Template, Constraint(spec) });
        Assert.Equal(status, result.Status);
        if (status == "NonCompliant")
        {
            Assert.Contains("not an enforcement action Gatekeeper recognises", result.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_warn_or_audit_only_mechanism_gets_a_reason_that_says_which_and_how_to_enforce_it()
    {
        var scopedWarn = One(new[] { Namespace("a"), Template, Constraint("""{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"warn","enforcementPoints":[{"name":"validation.gatekeeper.sh"}]}]}""") });
        Assert.Equal("scoped (warn at validation.gatekeeper.sh)", scopedWarn.AuditOnly[0].Action);
        Assert.Contains("only warns about hostNetwork pods", scopedWarn.Reason, StringComparison.Ordinal);
        Assert.Contains("set its enforcementAction to deny", scopedWarn.Reason, StringComparison.Ordinal);

        var audit = One(new[] { Namespace("a"), KyvernoPolicy("""{"validationFailureAction":"Audit","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""") });
        Assert.Contains("only audits hostNetwork pods (Audit): set its failureAction (or validationFailureAction) to Enforce", audit.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Gatekeeper_globs_with_a_star_at_both_ends_match_anywhere_in_the_name()
    {
        var excluded = ByNamespace(Namespace("team-ingress-a"), Namespace("app"), Template, Constraint("""{"match":{"excludedNamespaces":["*ingress*"]}}"""));
        Assert.Equal("NonCompliant", excluded["team-ingress-a"].Status);
        Assert.Equal("Compliant", excluded["app"].Status);

        var config = Json("""{"apiVersion":"config.gatekeeper.sh/v1alpha1","kind":"Config","metadata":{"name":"config","namespace":"gatekeeper-system"},"spec":{"match":[{"excludedNamespaces":["*system*"],"processes":["*"]}]}}""");
        var byConfig = ByNamespace(Namespace("my-system-ns"), Namespace("app"), Template, config, Constraint("""{"match":{}}"""));
        Assert.Equal("NonCompliant", byConfig["my-system-ns"].Status);
        Assert.Equal("Compliant", byConfig["app"].Status);

        var included = ByNamespace(Namespace("a-team-b"), Namespace("other"), Template, Constraint("""{"match":{"namespaces":["*team*"]}}"""));
        Assert.Equal("Compliant", included["a-team-b"].Status);
        Assert.Equal("NonCompliant", included["other"].Status);
    }

    [Theory]
    [InlineData("""[{"kinds":["Pod"]}]""")]
    [InlineData("""[{"apiGroups":[""]}]""")]
    [InlineData("""[{"apiGroups":["*"],"kinds":[]}]""")]
    public void Gatekeeper_match_kinds_with_empty_groups_or_kinds_match_every_group_or_kind(string kinds) =>
        Assert.Equal("Compliant", One(new[] { Namespace("a"), Template, Constraint("{\"match\":{\"kinds\":" + kinds + "}}") }).Status);

    // ---- CEL: a validation that a pod's creator can satisfy otherwise refuses only some pods ----

    private static JsonElement Vap(string expression) =>
        Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"hn"},"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},"validations":[{"expression":""" + JsonSerializer.Serialize(expression) + "}]}}");

    private static readonly JsonElement DenyBinding = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"b"},"spec":{"policyName":"hn","validationActions":["Deny"]}}""");

    [Theory]
    [InlineData("object.spec.?hostNetwork.orValue(false) == false || (has(object.metadata.labels) && 'hostaccess' in object.metadata.labels)", "Conditional", "pod's creator")]
    [InlineData("object.spec.?hostNetwork.orValue(false) == false || request.userInfo.username == 'system:serviceaccount:kube-system:daemon-set-controller'", "Conditional", "requesting user")]
    [InlineData("object.spec.?hostNetwork.orValue(false) == false || 'system:masters' in request.userInfo.groups", "Conditional", "requesting user (request.userInfo: name or groups)")]
    [InlineData("!has(object.spec.hostNetwork) || object.spec.hostNetwork == false || object.spec.containers.all(c, c.image.startsWith('trusted.example/'))", "Conditional", "pod's creator")]
    [InlineData("object.spec.?hostNetwork.orValue(false) == false && object.spec.?hostPID.orValue(false) == false && object.spec.?hostIPC.orValue(false) == false", "Compliant", null)]
    [InlineData("object.kind != 'Pod' || !(has(object.spec.hostNetwork)) || object.spec.hostNetwork == false", "Compliant", null)]
    [InlineData("request.operation == 'UPDATE' || !has(object.spec.hostNetwork) || !object.spec.hostNetwork", "Compliant", null)]
    public void A_CEL_validation_with_an_escape_the_pods_creator_controls_is_conditional(string expression, string status, string? named)
    {
        var result = One(new[] { Namespace("a"), Vap(expression), DenyBinding });
        Assert.Equal(status, result.Status);
        if (named is not null)
        {
            Assert.Contains(named, result.Reason, StringComparison.Ordinal);
        }

        // The requesting user's name and groups are not fields of the pod.
        if (expression.Contains("userInfo", StringComparison.Ordinal))
        {
            Assert.DoesNotContain("pod's creator", result.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Generated", "NonCompliant")]
    [InlineData("Original", "Compliant")]
    [InlineData("All", "Compliant")]
    public void A_Gatekeeper_constraint_matching_only_generated_resources_does_not_judge_pod_creation(string source, string status) =>
        Assert.Equal(status, One(new[] { Namespace("a"), Template, Constraint("{\"match\":{\"source\":\"" + source + "\"}}") }).Status);

    [Theory]
    [InlineData("""[{"id":"gatekeeper-controller-manager-0","operations":["mutation-webhook","webhook"],"enforced":true}]""", "Compliant")]
    [InlineData("""[{"id":"gatekeeper-controller-manager-0","operations":["webhook"],"errors":[{"code":"ingest_error","message":"compile failed"}]}]""", "Unknown")]
    [InlineData("""[{"id":"gatekeeper-controller-manager-0","operations":["webhook"]}]""", "Unknown")]
    [InlineData("""[{"id":"gatekeeper-audit-0","operations":["audit","status"]}]""", "Compliant")]
    public void A_Gatekeeper_constraint_its_webhook_pods_do_not_report_enforced_is_unknown(string byPod, string status) =>
        Assert.Equal(status, One(new[] { Namespace("a"), Template, Json("""{"apiVersion":"constraints.gatekeeper.sh/v1beta1","kind":"K8sBlockHostNetwork","metadata":{"name":"c"},"spec":{},"status":{"byPod":""" + byPod + "}}") }).Status);

    [Fact]
    public void A_long_reason_keeps_its_whole_detail_with_the_key_fact_first()
    {
        // Issue 12: reasons were cut before their key fact; the table view cuts, the record keeps it all.
        var webhook = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"gatekeeper-validating-webhook-configuration"},"webhooks":[{"name":"validation.gatekeeper.sh","failurePolicy":"Ignore","namespaceSelector":{"matchExpressions":[{"key":"admission.gatekeeper.sh/ignore","operator":"DoesNotExist"},{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["gatekeeper-system","another-long-namespace-name"]}]},"rules":[{"apiGroups":["*"],"apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["*"]}]}]}""");
        var result = One(new[] { Namespace("a", ("admission.gatekeeper.sh/ignore", "yes")), Template, webhook, Constraint("""{"match":{}}""") });
        const string marker = "does not apply here: ";
        var why = result.Reason[(result.Reason.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..];
        Assert.StartsWith("the namespaceSelector of webhook validation.gatekeeper.sh", why, StringComparison.Ordinal);
        Assert.Contains("another-long-namespace-name", why, StringComparison.Ordinal);
        Assert.DoesNotContain("...", result.Reason, StringComparison.Ordinal);
    }

    // ---- Label selectors that the apiserver would reject are not guessed ----

    [Theory]
    [InlineData("""{"key":"tier","operator":"In","values":["prod"]}""", "Compliant", "NonCompliant", "NonCompliant")]
    [InlineData("""{"key":"tier","operator":"NotIn","values":["prod"]}""", "NonCompliant", "Compliant", "Compliant")]
    [InlineData("""{"key":"tier","operator":"Exists"}""", "Compliant", "Compliant", "NonCompliant")]
    [InlineData("""{"key":"tier","operator":"DoesNotExist"}""", "NonCompliant", "NonCompliant", "Compliant")]
    public void Namespace_selector_operators_as_the_apiserver_evaluates_them(string expression, string prod, string dev, string unlabelled)
    {
        var binding = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"b"},"spec":{"policyName":"hn","validationActions":["Deny"],"matchResources":{"namespaceSelector":{"matchExpressions":[""" + expression + "]}}}}");
        var results = ByNamespace(Namespace("prod", ("tier", "prod")), Namespace("dev", ("tier", "dev")), Namespace("none"), Vap("object.spec.?hostNetwork.orValue(false) == false"), binding);
        Assert.Equal((prod, dev, unlabelled), (results["prod"].Status, results["dev"].Status, results["none"].Status));
    }

    [Theory]
    [InlineData("""{"key":"team","operator":"Exists","values":["x"]}""")]
    [InlineData("""{"key":"team","operator":"NotIn","values":[]}""")]
    [InlineData("""{"key":"team","operator":"NotIn"}""")]
    public void An_invalid_namespaceSelector_expression_is_unknown_not_a_match(string expression)
    {
        var policy = KyvernoPolicy("""{"validationFailureAction":"Enforce","rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"],"namespaceSelector":{"matchExpressions":[""" + expression + """]}}}]},"validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}""");
        Assert.Equal("Unknown", One(new[] { Namespace("a"), policy }).Status);
    }
}

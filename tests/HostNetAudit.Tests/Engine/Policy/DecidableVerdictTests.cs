using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Engine.Policies.PolicyHarness;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>
/// Issue 12: verdicts to the last decidable case. Each test pins a shape real policies have (read from the corpus
/// where it holds one, else written in the same shape) and the verdict the engine itself would give it.
/// </summary>
public sealed class DecidableVerdictTests
{
    private const string HostNetworkTemplate = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__template.yaml";
    private const string BlockHostNetwork = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__block_host_network__constraint.yaml";

    /// <summary>A namespace without PSA enforcement, where only the policy under test can refuse.</summary>
    private static readonly JsonElement Team = Namespace("team-a", ("pod-security.kubernetes.io/enforce", "privileged"));

    // ---- 0. False compliance: a constraint whose template is missing, or does not compile ----

    [CorpusFact(BlockHostNetwork)]
    public void A_library_constraint_without_its_ConstraintTemplate_is_Unknown_and_names_the_template()
    {
        var constraint = Corpus.Document(BlockHostNetwork);
        var result = One(new[] { Team, constraint });
        Assert.Equal("Unknown", result.Status);
        Assert.Empty(result.EnforcedBy);
        var finding = Assert.Single(result.Unknown);
        Assert.Equal(("Gatekeeper", "K8sPSPHostNetworkingPorts", "psp-host-network"), (finding.Engine, finding.Kind, finding.Policy));
        Assert.Contains("ConstraintTemplate k8spsphostnetworkingports is not in the evidence", finding.Detail, StringComparison.Ordinal);
        Assert.Contains("k8spsphostnetworkingports", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Azure_Policy_constraint_without_its_ConstraintTemplate_is_Unknown()
    {
        var constraint = Json("""{"apiVersion":"constraints.gatekeeper.sh/v1beta1","kind":"K8sAzureV2HostNetworkingPorts","metadata":{"name":"azurepolicy-k8sazurev2hostnetworkingports-3f1c"},"spec":{"enforcementAction":"deny","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"excludedNamespaces":["kube-system","gatekeeper-system","azure-arc"]},"parameters":{"allowHostNetwork":false,"minPort":0,"maxPort":0}}}""");
        var result = One(new[] { Team, constraint });
        Assert.Equal("Unknown", result.Status);
        Assert.Contains("ConstraintTemplate k8sazurev2hostnetworkingports is not in the evidence", Assert.Single(result.Unknown).Detail, StringComparison.Ordinal);
    }

    [CorpusFact(HostNetworkTemplate, BlockHostNetwork)]
    public void A_template_whose_status_shows_it_does_not_compile_on_every_webhook_pod_enforces_nothing()
    {
        var template = Corpus.Document(HostNetworkTemplate);
        var constraint = Corpus.Document(BlockHostNetwork);
        var failed = With(template, t => t["status"] = JsonNode.Parse("""
            {"created":true,"byPod":[
              {"id":"gatekeeper-audit-6d9f7b7c5d-x2x7q","observedGeneration":1,"operations":["audit","status"],"templateUID":"5c1b","errors":[{"code":"ingest_error","message":"Could not ingest Rego: 1 error occurred: __modsrc__/template0.rego:12: rego_parse_error: unexpected } token"}]},
              {"id":"gatekeeper-controller-manager-7c8b9f6d4-abcde","observedGeneration":1,"operations":["mutation-webhook","webhook"],"templateUID":"5c1b","errors":[{"code":"ingest_error","message":"Could not ingest Rego: 1 error occurred: __modsrc__/template0.rego:12: rego_parse_error: unexpected } token"}]}]}
            """));
        var result = One(new[] { Team, failed, constraint });
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.EnforcedBy);
        var skipped = Assert.Single(result.Informational, f => f.Verdict == "NotApplied");
        Assert.Contains("does not compile", skipped.Detail, StringComparison.Ordinal);
        Assert.Contains("rego_parse_error", result.Reason, StringComparison.Ordinal);

        // Errors on one webhook pod of two: that pod enforces nothing, the other may: Unknown.
        var partial = With(template, t => t["status"] = JsonNode.Parse("""
            {"created":true,"byPod":[
              {"id":"gatekeeper-controller-manager-7c8b9f6d4-abcde","operations":["webhook"],"errors":[{"code":"ingest_error","message":"rego_parse_error"}]},
              {"id":"gatekeeper-controller-manager-7c8b9f6d4-fghij","operations":["webhook"]}]}
            """));
        Assert.Equal("Unknown", One(new[] { Team, partial, constraint }).Status);

        // Without errors the template counts as before.
        Assert.Equal("Compliant", One(new[] { Team, template, constraint }).Status);
    }

    // ---- 0. False compliance: the kyverno ConfigMap's matchConditions and exclusions ----

    /// <summary>The kyverno/policies disallow-host-namespaces rule shape, enforced.</summary>
    private static readonly JsonElement KyvernoHostNamespaces = Json("""
        {"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"disallow-host-namespaces"},
         "spec":{"validationFailureAction":"Enforce","background":true,
          "rules":[{"name":"host-namespaces","match":{"any":[{"resources":{"kinds":["Pod"]}}]},
            "validate":{"message":"Sharing the host namespaces is disallowed.","pattern":{"spec":{"=(hostPID)":"false","=(hostIPC)":"false","=(hostNetwork)":"false"}}}}]}}
        """);

    /// <summary>The kyverno ConfigMap as the Helm chart renders it (chart defaults plus the given data).</summary>
    private static JsonElement KyvernoConfigMap(string extra) => Json($$$"""
        {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno","labels":{"app.kubernetes.io/component":"config","app.kubernetes.io/instance":"kyverno"}},
         "data":{"enableDefaultRegistryMutation":"true","defaultRegistry":"docker.io","generateSuccessEvents":"false",
          "resourceFilters":"[Event,*,*] [*/*,kube-system,*] [*/*,kube-public,*] [*/*,kube-node-lease,*] [Node,*,*] [Node/*,*,*] [APIService,*,*] [APIService/*,*,*] [TokenReview,*,*] [SubjectAccessReview,*,*] [SelfSubjectAccessReview,*,*] [Binding,*,*] [Pod/binding,*,*] [ReplicaSet,*,*] [ReplicaSet/*,*,*] [EphemeralReport,*,*] [ClusterEphemeralReport,*,*] [*/*,kyverno,*]",
          {{{extra}}}}}
        """);

    [Fact]
    public void The_kyverno_ConfigMap_matchConditions_on_its_webhooks_make_a_refusal_Conditional()
    {
        // Chart value config.matchConditions: pods labelled kyverno.io/skip never reach Kyverno.
        var config = KyvernoConfigMap("""
            "excludeGroups":"system:nodes",
            "matchConditions":"[{\"name\":\"not-opted-out\",\"expression\":\"!has(object.metadata.labels) || !('kyverno.io/skip' in object.metadata.labels)\"}]"
            """);
        var result = One(new[] { Team, KyvernoHostNamespaces, config });
        Assert.Equal("Conditional", result.Status);
        var finding = Assert.Single(result.Conditional);
        Assert.Contains("not-opted-out", finding.Detail, StringComparison.Ordinal);
        Assert.Contains("kyverno ConfigMap", result.Reason, StringComparison.Ordinal);

        // Without the key, the same namespace is Compliant.
        Assert.Equal("Compliant", One(new[] { Team, KyvernoHostNamespaces, KyvernoConfigMap("\"excludeGroups\":\"system:nodes\"") }).Status);
    }

    [Fact]
    public void The_kyverno_ConfigMap_matchConditions_that_skip_the_reference_pod_leave_Kyverno_out()
    {
        // Only pods that opt in are sent to Kyverno: the reference pod (no labels) is not.
        var config = KyvernoConfigMap("""
            "matchConditions":"[{\"name\":\"opted-in\",\"expression\":\"has(object.metadata.labels) && object.metadata.labels[?'kyverno.io/validate'].orValue('') == 'true'\"}]"
            """);
        var result = One(new[] { Team, KyvernoHostNamespaces, config });
        Assert.Equal("NonCompliant", result.Status);
        Assert.Contains("opted-in", result.Reason, StringComparison.Ordinal);
        Assert.Contains("skip the reference pod", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_registered_Kyverno_webhook_is_authoritative_over_the_ConfigMap_matchConditions()
    {
        var config = KyvernoConfigMap("""
            "matchConditions":"[{\"name\":\"opted-in\",\"expression\":\"has(object.metadata.labels) && 'kyverno.io/validate' in object.metadata.labels\"}]"
            """);
        var webhook = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"kyverno-resource-validating-webhook-cfg"},"webhooks":[{"name":"validate.kyverno.svc-fail","failurePolicy":"Fail","rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]}]}""");
        Assert.Equal("Compliant", One(new[] { Team, KyvernoHostNamespaces, config, webhook }).Status);
    }

    [Theory]
    [InlineData("\"excludeGroups\":\"system:nodes,system:serviceaccounts:kube-system\"", "NonCompliant", "group system:serviceaccounts:kube-system (excludeGroups)")]
    [InlineData("\"excludeGroups\":\"system:nodes,system:serviceaccounts:kube-system\",\"excludeUsernames\":\" ! system:serviceaccount:kube-system:replicaset-controller \"", "Conditional", "group system:serviceaccounts:kube-system")]
    [InlineData("\"excludeUsernames\":\"system:serviceaccount:kube-system:*\",\"excludeGroups\":\"!system:authenticated\"", "Compliant", "")]
    [InlineData("\"excludeClusterRoles\":\"system:controller:*\"", "NonCompliant", "cluster role system:controller:* (excludeClusterRoles)")]
    [InlineData("\"excludeUsernames\":\"!,ci-bot\"", "Conditional", "user ci-bot")]
    public void The_kyverno_ConfigMap_exclusions_are_read_as_Kyverno_parses_them(string data, string status, string named)
    {
        var result = One(new[] { Team, KyvernoHostNamespaces, KyvernoConfigMap(data) });
        Assert.True(status == result.Status, $"{status} expected: {result.Status} ({result.Reason})");
        Assert.Contains(named, result.Reason, StringComparison.Ordinal);
    }

    // ---- 1. ValidatingAdmissionPolicy failurePolicy: evaluation errors as the apiserver handles them ----

    private static JsonElement Vap(string name, string? failurePolicy, string validation, string matchConditions = "[]")
    {
        var spec = new JsonObject
        {
            ["matchConstraints"] = JsonNode.Parse("""{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]}"""),
            ["matchConditions"] = JsonNode.Parse(matchConditions),
            ["validations"] = new JsonArray(new JsonObject { ["expression"] = validation, ["message"] = "Host network is not allowed", ["reason"] = "Forbidden" }),
        };
        if (failurePolicy is not null)
        {
            spec["failurePolicy"] = failurePolicy;
        }

        return JsonSerializer.SerializeToElement(new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "ValidatingAdmissionPolicy",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        });
    }

    private static JsonElement VapBinding(string policy, string actions, string? extra = null) => JsonSerializer.SerializeToElement(new JsonObject
    {
        ["apiVersion"] = "admissionregistration.k8s.io/v1",
        ["kind"] = "ValidatingAdmissionPolicyBinding",
        ["metadata"] = new JsonObject { ["name"] = policy + "-binding" },
        ["spec"] = Merge(new JsonObject { ["policyName"] = policy, ["validationActions"] = JsonNode.Parse(actions) }, extra),
    });

    private static JsonObject Merge(JsonObject target, string? extra)
    {
        if (extra is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(extra)!.AsObject().ToList())
            {
                target[key] = value?.DeepClone();
            }
        }

        return target;
    }

    [Theory]
    [InlineData("Fail")]
    [InlineData(null)]
    public void An_unguarded_hostNetwork_read_under_Fail_denies_every_pod_lacking_the_field_not_hostNetwork_pods(string? failurePolicy)
    {
        var result = One(new[] { Team, Vap("deny-host-network", failurePolicy, "object.spec.hostNetwork == false"), VapBinding("deny-host-network", """["Deny"]""") });
        Assert.Equal("NonCompliant", result.Status);
        var finding = Assert.Single(result.Informational, f => f.Verdict == "DeniesBoth");
        Assert.StartsWith("it denies every pod that lacks object.spec.hostNetwork", finding.Detail, StringComparison.Ordinal);
        Assert.Contains("denies every pod that lacks object.spec.hostNetwork", result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Unknown);
    }

    [Fact]
    public void An_unguarded_hostNetwork_read_under_Ignore_refuses_hostNetwork_pods()
    {
        // The twin's error is ignored (admitted); the reference pod's validation is false (denied).
        var result = One(new[] { Team, Vap("deny-host-network", "Ignore", "object.spec.hostNetwork == false"), VapBinding("deny-host-network", """["Deny"]""") });
        Assert.Equal("Compliant", result.Status);
        var finding = Assert.Single(result.EnforcedBy);
        Assert.True(finding.FailOpen);
    }

    [Fact]
    public void Under_Fail_an_error_denies_with_a_Deny_binding_and_only_warns_with_a_Warn_or_Audit_binding()
    {
        // Meant to admit approved hostNetwork pods: on the reference pod (no annotations) the read raises an error,
        // which failurePolicy Fail turns into a denial; the twin passes the first test.
        const string approved = "!has(object.spec.hostNetwork) || !object.spec.hostNetwork || object.metadata.annotations['hostnetwork.example.com/approved'] == 'true'";
        var policy = Vap("approved-host-network", "Fail", approved);

        var deny = One(new[] { Team, policy, VapBinding("approved-host-network", """["Deny"]""") });
        Assert.Equal("Conditional", deny.Status); // approved (annotated) pods escape
        Assert.Contains("raises an error for the reference pod", Assert.Single(deny.Conditional).Detail, StringComparison.Ordinal);

        var warn = One(new[] { Team, policy, VapBinding("approved-host-network", """["Warn","Audit"]""") });
        Assert.Equal("NonCompliant", warn.Status);
        var audit = Assert.Single(warn.AuditOnly);
        Assert.Equal(("Conditional", "Warn,Audit"), (audit.Verdict, audit.Action));

        // Under Ignore the erroring validation is skipped: the reference pod is admitted.
        var ignore = One(new[] { Team, Vap("approved-host-network", "Ignore", approved), VapBinding("approved-host-network", """["Deny"]""") });
        Assert.Equal("NonCompliant", ignore.Status);
        Assert.Empty(ignore.Unknown);
    }

    [Theory]
    [InlineData("Fail", "NonCompliant", "DeniesBoth")]
    [InlineData("Ignore", "NonCompliant", null)]
    public void A_match_condition_that_errors_rejects_under_Fail_and_is_skipped_under_Ignore(string failurePolicy, string status, string? verdict)
    {
        // An unguarded label read: the reference pod (no labels) makes it raise an error, and none is false.
        const string conditions = """[{"name":"not-platform-managed","expression":"object.metadata.labels['app.kubernetes.io/managed-by'] != 'platform'"}]""";
        var result = One(new[] { Team, Vap("deny-host-network", failurePolicy, "!has(object.spec.hostNetwork) || object.spec.hostNetwork == false", conditions), VapBinding("deny-host-network", """["Deny"]""") });
        Assert.Equal(status, result.Status);
        Assert.Empty(result.Unknown);
        if (verdict is null)
        {
            Assert.Empty(result.Informational);
        }
        else
        {
            var finding = Assert.Single(result.Informational);
            Assert.Equal(verdict, finding.Verdict);
            Assert.StartsWith("it denies every pod that lacks object.metadata.labels", finding.Detail, StringComparison.Ordinal);
        }
    }

    // ---- 2. paramRef: params resolved per namespace, offline ----

    /// <summary>Denies hostNetwork unless the namespace's param ConfigMap allows it (a policy shaped like the
    /// Kubernetes documentation's params examples).</summary>
    private static JsonElement ParamPolicy(string? failurePolicy = "Fail", string paramKind = """{"apiVersion":"v1","kind":"ConfigMap"}""") => With(
        Vap("host-network-by-namespace", failurePolicy, "params.data.?allowHostNetwork.orValue('false') == 'true' || !object.spec.?hostNetwork.orValue(false)"),
        p =>
        {
            p["spec"]!["paramKind"] = JsonNode.Parse(paramKind);
            p["spec"]!["validations"]!.AsArray().Add(new JsonObject { ["expression"] = "params.data.?denyAll.orValue('false') != 'true'", ["message"] = "this namespace admits no pods" });
        });

    private static JsonElement ParamBinding(string paramRef) =>
        VapBinding("host-network-by-namespace", """["Deny"]""", "{\"paramRef\":" + paramRef + "}");

    private static JsonElement ConfigMap(string ns, string name, string data, string labels = "{}") => Json(
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns + "\",\"labels\":" + labels + "},\"data\":" + data + "}");

    private static Dictionary<string, HostNetAudit.NamespacePolicyResult> ByNamespace(params JsonElement[] objects) =>
        Evaluate(objects).ToDictionary(r => r.Namespace);

    [Fact]
    public void Params_by_name_are_looked_up_in_the_requests_namespace_when_paramRef_namespace_is_empty()
    {
        var results = ByNamespace(
            Namespace("strict"), Namespace("lenient"), Namespace("missing"), Namespace("closed"),
            ParamPolicy(),
            ParamBinding("""{"name":"hostnetwork-policy","parameterNotFoundAction":"Deny"}"""),
            ConfigMap("strict", "hostnetwork-policy", """{"allowHostNetwork":"false"}"""),
            ConfigMap("lenient", "hostnetwork-policy", """{"allowHostNetwork":"true"}"""),
            ConfigMap("closed", "hostnetwork-policy", """{"denyAll":"true"}"""));

        Assert.Equal("Compliant", results["strict"].Status);
        Assert.Contains("with param ConfigMap strict/hostnetwork-policy", results["strict"].EnforcedBy[0].Detail, StringComparison.Ordinal);
        Assert.Equal("NonCompliant", results["lenient"].Status);
        Assert.Empty(results["lenient"].Informational);

        // No param in the namespace under parameterNotFoundAction Deny: an error, which failurePolicy Fail turns
        // into a denial of every pod; a param that denies everything denies the twin too.
        Assert.Equal("NonCompliant", results["missing"].Status);
        Assert.Contains("no ConfigMap named hostnetwork-policy exists in missing", Assert.Single(results["missing"].Informational, f => f.Verdict == "DeniesBoth").Detail, StringComparison.Ordinal);
        Assert.Equal("NonCompliant", results["closed"].Status);
        Assert.Single(results["closed"].Informational, f => f.Verdict == "DeniesBoth");
    }

    [Fact]
    public void ParameterNotFoundAction_Allow_admits_and_failurePolicy_Ignore_skips_a_binding_without_params()
    {
        var allow = One(new[] { Namespace("missing"), ParamPolicy(), ParamBinding("""{"name":"hostnetwork-policy","parameterNotFoundAction":"Allow"}""") });
        Assert.Equal("NonCompliant", allow.Status);
        Assert.Empty(allow.Informational);
        Assert.Empty(allow.Unknown);

        var ignore = One(new[] { Namespace("missing"), ParamPolicy("Ignore"), ParamBinding("""{"name":"hostnetwork-policy","parameterNotFoundAction":"Deny"}""") });
        Assert.Equal("NonCompliant", ignore.Status);
        Assert.Empty(ignore.Informational);
    }

    [Fact]
    public void Params_by_selector_are_all_evaluated_and_any_denial_denies()
    {
        const string labels = """{"hostnetwork.example.com/policy":"true"}""";
        var results = ByNamespace(
            Namespace("mixed"), Namespace("both-lenient"), Namespace("one-closed"),
            ParamPolicy(),
            ParamBinding("""{"selector":{"matchLabels":{"hostnetwork.example.com/policy":"true"}},"parameterNotFoundAction":"Deny"}"""),
            ConfigMap("mixed", "lenient", """{"allowHostNetwork":"true"}""", labels),
            ConfigMap("mixed", "strict", """{"allowHostNetwork":"false"}""", labels),
            ConfigMap("mixed", "unlabelled", """{"denyAll":"true"}"""),
            ConfigMap("both-lenient", "a", """{"allowHostNetwork":"true"}""", labels),
            ConfigMap("both-lenient", "b", """{"allowHostNetwork":"true"}""", labels),
            ConfigMap("one-closed", "strict", """{"allowHostNetwork":"false"}""", labels),
            ConfigMap("one-closed", "closed", """{"denyAll":"true"}""", labels));

        Assert.Equal("Compliant", results["mixed"].Status); // the strict param denies the reference pod
        Assert.Contains("with 2 params of kind ConfigMap", results["mixed"].EnforcedBy[0].Detail, StringComparison.Ordinal);
        Assert.Equal("NonCompliant", results["both-lenient"].Status);
        Assert.Equal("NonCompliant", results["one-closed"].Status); // the closed param denies the twin too
    }

    [Fact]
    public void A_paramRef_namespace_holds_the_params_for_every_namespace()
    {
        var results = ByNamespace(
            Namespace("team-a"), Namespace("team-b"), Namespace("policy-params"),
            ParamPolicy(),
            ParamBinding("""{"name":"hostnetwork-policy","namespace":"policy-params","parameterNotFoundAction":"Deny"}"""),
            ConfigMap("policy-params", "hostnetwork-policy", """{"allowHostNetwork":"false"}"""),
            ConfigMap("team-b", "hostnetwork-policy", """{"allowHostNetwork":"true"}"""));
        Assert.All(results.Values, r => Assert.Equal("Compliant", r.Status));
    }

    [Fact]
    public void A_cluster_scoped_custom_resource_param_is_found_by_name_whatever_the_namespace()
    {
        const string kind = """{"apiVersion":"policy.example.com/v1","kind":"HostNetworkRule"}""";
        var crd = Json("""{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"hostnetworkrules.policy.example.com"},"spec":{"group":"policy.example.com","scope":"Cluster","names":{"kind":"HostNetworkRule","plural":"hostnetworkrules"},"versions":[{"name":"v1","served":true,"storage":true}]}}""");
        var rule = Json("""{"apiVersion":"policy.example.com/v1","kind":"HostNetworkRule","metadata":{"name":"cluster-default"},"data":{"allowHostNetwork":"false"}}""");
        var results = ByNamespace(Namespace("team-a"), Namespace("team-b"), crd, rule, ParamPolicy(paramKind: kind), ParamBinding("""{"name":"cluster-default","parameterNotFoundAction":"Deny"}"""));
        Assert.All(results.Values, r => Assert.Equal("Compliant", r.Status));
    }

    [Fact]
    public void A_paramKind_that_is_not_served_or_a_binding_without_paramRef_is_a_misconfiguration_under_failurePolicy()
    {
        const string kind = """{"apiVersion":"policy.example.com/v1","kind":"HostNetworkRule"}""";
        var otherCrd = Json("""{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"others.example.com"},"spec":{"group":"example.com","scope":"Namespaced","names":{"kind":"Other","plural":"others"},"versions":[{"name":"v1","served":true,"storage":true}]}}""");
        var unserved = One(new[] { Namespace("team-a"), otherCrd, ParamPolicy(paramKind: kind), ParamBinding("""{"name":"cluster-default","parameterNotFoundAction":"Allow"}""") });
        Assert.Equal("NonCompliant", unserved.Status);
        Assert.Contains("its paramKind HostNetworkRule (policy.example.com/v1) is not served", Assert.Single(unserved.Informational).Detail, StringComparison.Ordinal);

        var noRef = One(new[] { Namespace("team-a"), ParamPolicy(), VapBinding("host-network-by-namespace", """["Warn"]""") });
        Assert.Equal("NonCompliant", noRef.Status);
        var finding = Assert.Single(noRef.Informational);
        Assert.Equal("DeniesBoth", finding.Verdict); // the apiserver denies, whatever the binding's actions
        Assert.Contains("has no paramRef", finding.Detail, StringComparison.Ordinal);

        var ignored = One(new[] { Namespace("team-a"), ParamPolicy("Ignore"), VapBinding("host-network-by-namespace", """["Deny"]""") });
        Assert.Equal("NonCompliant", ignored.Status);
        Assert.Empty(ignored.Informational);
    }

    // ---- 3. Rego read from its text, to the last construct it recognises ----

    private static JsonElement RegoTemplate(string kind, string rego, params string[] libs)
    {
        var target = new JsonObject { ["target"] = "admission.k8s.gatekeeper.sh", ["rego"] = rego };
        if (libs.Length > 0)
        {
            target["libs"] = new JsonArray(libs.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        }

        return JsonSerializer.SerializeToElement(new JsonObject
        {
            ["apiVersion"] = "templates.gatekeeper.sh/v1",
            ["kind"] = "ConstraintTemplate",
            ["metadata"] = new JsonObject { ["name"] = kind.ToLowerInvariant() },
            ["spec"] = new JsonObject
            {
                ["crd"] = new JsonObject { ["spec"] = new JsonObject { ["names"] = new JsonObject { ["kind"] = kind } } },
                ["targets"] = new JsonArray(target),
            },
        });
    }

    private static JsonElement RegoConstraint(string kind, string parameters = "{}") => Json(
        "{\"apiVersion\":\"constraints.gatekeeper.sh/v1beta1\",\"kind\":\"" + kind + "\",\"metadata\":{\"name\":\"" + kind.ToLowerInvariant() + "-all\"},\"spec\":{\"match\":{\"kinds\":[{\"apiGroups\":[\"\"],\"kinds\":[\"Pod\"]}]},\"parameters\":" + parameters + "}}");

    private static HostNetAudit.NamespacePolicyResult JudgeRego(string rego, params string[] libs) =>
        One(new[] { Team, RegoTemplate("K8sNoHostNetwork", rego, libs), RegoConstraint("K8sNoHostNetwork") });

    [Fact]
    public void A_hash_inside_a_string_or_raw_string_is_no_comment()
    {
        var result = JudgeRego("""
            package k8snohostnetwork

            violation[{"msg": msg, "details": {"see": `runbook #42; ask #platform`}}] {
              input.review.object.spec.hostNetwork == true
              msg := sprintf("pod %v uses hostNetwork; see #platform-security", [input.review.object.metadata.name])
            }
            """);
        Assert.Equal("Compliant", result.Status);
        Assert.Equal("Text", Assert.Single(result.EnforcedBy).JudgedBy);
    }

    [Fact]
    public void A_commented_out_rule_is_no_rule()
    {
        // The hostNetwork rule was commented out; what remains checks hostPID only.
        var result = JudgeRego("""
            package k8snohostnetwork

            # violation[{"msg": msg}] {
            #   input.review.object.spec.hostNetwork
            #   msg := "hostNetwork is not allowed"
            # }

            violation[{"msg": msg}] {
              input.review.object.spec.hostPID
              msg := "hostPID is not allowed" # hostNetwork is handled elsewhere
            }
            """);
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.Unknown);
        Assert.DoesNotContain("reads hostNetwork", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_body_that_is_empty_once_comments_are_stripped_does_not_compile()
    {
        var result = JudgeRego("""
            package k8snohostnetwork

            violation[{"msg": msg}] {
              # input.review.object.spec.hostNetwork
              # msg := "hostNetwork is not allowed"
            }
            """);
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.Unknown);
        Assert.Empty(result.EnforcedBy);
    }

    [Fact]
    public void A_negated_helper_is_read_as_a_negation()
    {
        // "not allowed(pod)" fires for the pods the helper does not hold for: the twin, not hostNetwork pods.
        var inverted = JudgeRego("""
            package k8snohostnetwork

            violation[{"msg": msg}] {
              not uses_host_network(input.review.object)
              msg := "hostNetwork is required"
            }

            uses_host_network(pod) {
              pod.spec.hostNetwork
            }
            """);
        Assert.Equal("NonCompliant", inverted.Status);
        Assert.Empty(inverted.EnforcedBy);
        Assert.Empty(inverted.Unknown);

        // A double negation refuses hostNetwork pods.
        var refusing = JudgeRego("""
            package k8snohostnetwork

            violation[{"msg": msg}] {
              not network_isolated
              msg := "hostNetwork is not allowed"
            }

            network_isolated {
              not input.review.object.spec.hostNetwork
            }
            """);
        Assert.Equal("Compliant", refusing.Status);
    }

    [Fact]
    public void A_rule_shadowed_by_else_is_read_as_Rego_evaluates_it()
    {
        // The first branch always holds, so the else that tests hostNetwork is never reached: nothing is denied.
        var shadowed = JudgeRego("""
            package k8snohostnetwork

            violation[{"msg": msg}] {
              host_network_denied
              msg := "hostNetwork is not allowed"
            }

            host_network_denied = false {
              true
            } else = true {
              input.review.object.spec.hostNetwork
            }
            """);
        Assert.Equal("NonCompliant", shadowed.Status);
        Assert.Empty(shadowed.EnforcedBy);
        Assert.Empty(shadowed.Unknown);

        var reached = JudgeRego("""
            package k8snohostnetwork

            violation[{"msg": msg}] {
              input.review.object.spec.hostNetwork
              not exempt
              msg := "hostNetwork is not allowed"
            }

            exempt = true {
              input.parameters.exempt
            } else = false {
              true
            }
            """);
        Assert.Equal("Compliant", reached.Status);
    }

    /// <summary>A template in the shape konstraint generates: the policy, with data.lib.core and data.lib.pods as libs.</summary>
    private const string LibCore = """
        package lib.core

        default is_gatekeeper = false

        is_gatekeeper {
            has_field(input, "review")
            has_field(input.review, "object")
        }

        resource = input.review.object {
            is_gatekeeper
        }

        resource = input {
            not is_gatekeeper
        }

        format(msg) = {"msg": msg} {
            true
        }

        kind = resource.kind
        name = resource.metadata.name

        has_field(obj, field) {
            not object.get(obj, field, "N_DEFINED") == "N_DEFINED"
        }
        """;

    private const string LibPods = """
        package lib.pods

        import data.lib.core

        default pod = false

        # Workloads carry the pod in their template; a Pod is the pod.
        pod = core.resource.spec.template {
            workload_kinds := ["daemonset", "deployment", "job", "replicaset", "replicationcontroller", "statefulset"]
            lower(core.kind) == workload_kinds[_]
        }

        pod = core.resource {
            lower(core.kind) == "pod"
        }

        pod = core.resource.spec.jobTemplate.spec.template {
            lower(core.kind) == "cronjob"
        }
        """;

    [Fact]
    public void Konstraint_library_helpers_that_resolve_the_pod_are_followed()
    {
        var result = JudgeRego("""
            package pod_deny_host_network

            import data.lib.core
            import data.lib.pods

            violation[msg] {
                pod_has_hostnetwork
                msg := core.format(sprintf("%s/%s: pods may not share the host network", [core.kind, core.name]))
            }

            pod_has_hostnetwork {
                pods.pod.spec.hostNetwork
            }
            """, LibCore, LibPods);
        Assert.True(result.Status == "Compliant", result.Reason);
        Assert.Contains("every rule, helper and data.lib function on the path evaluated", result.EnforcedBy[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_data_lib_function_the_template_does_not_define_leaves_it_Unknown()
    {
        var result = JudgeRego("""
            package pod_deny_host_network

            import data.lib.pods

            violation[msg] {
                pods.pod.spec.hostNetwork
                not data.lib.exemptions.exempt_namespace
                msg := "pods may not share the host network"
            }
            """, LibCore, LibPods);
        Assert.Equal("Unknown", result.Status);
        Assert.Contains("data.lib.exemptions", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not data.inventory.namespace[input.review.object.metadata.namespace][\"v1\"][\"ConfigMap\"][\"hostnet-allowed\"]", "data.inventory")]
    [InlineData("count([c | c := input.review.object.spec.containers[_]; c.securityContext.privileged]) == 0", "a comprehension")]
    [InlineData("regex.match(\"^kube-\", input.review.object.metadata.name) == false", "the function regex.match")]
    public void What_it_cannot_read_is_Unknown_and_named(string statement, string named)
    {
        var result = JudgeRego("package k8snohostnetwork\n\nviolation[{\"msg\": msg}] {\n  input.review.object.spec.hostNetwork\n  " + statement + "\n  msg := \"hostNetwork is not allowed\"\n}\n");
        Assert.Equal("Unknown", result.Status);
        Assert.Contains(named, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refusal_the_pods_creator_escapes_with_a_label_is_Conditional()
    {
        var result = JudgeRego("""
            package k8snohostnetwork

            violation[{"msg": msg}] {
              input.review.object.spec.hostNetwork
              not input.review.object.metadata.labels["hostnetwork.example.com/approved"]
              msg := "hostNetwork needs approval"
            }
            """);
        Assert.Equal("Conditional", result.Status);
        Assert.Contains("labels", result.Reason, StringComparison.Ordinal);
    }

    // ---- 4. The engines' own rules ----

    [Fact]
    public void Gatekeeper_reads_only_the_Config_named_config_in_its_namespace()
    {
        var template = RegoTemplate("K8sNoHostNetwork", "package k8snohostnetwork\n\nviolation[{\"msg\": msg}] {\n  input.review.object.spec.hostNetwork\n  msg := \"hostNetwork is not allowed\"\n}\n");
        JsonElement Config(string name, string ns) => Json("{\"apiVersion\":\"config.gatekeeper.sh/v1alpha1\",\"kind\":\"Config\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns + "\"},\"spec\":{\"match\":[{\"excludedNamespaces\":[\"team-a\"],\"processes\":[\"*\"]}]}}");
        Assert.Equal("NonCompliant", One(new[] { Team, template, RegoConstraint("K8sNoHostNetwork"), Config("config", "gatekeeper-system") }).Status);
        Assert.Equal("Compliant", One(new[] { Team, template, RegoConstraint("K8sNoHostNetwork"), Config("gatekeeper-exclusions", "gatekeeper-system") }).Status);
        Assert.Equal("Compliant", One(new[] { Team, template, RegoConstraint("K8sNoHostNetwork"), Config("config", "default") }).Status);

        // Gatekeeper's namespace is where its webhook service runs.
        var webhook = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"gatekeeper-validating-webhook-configuration"},"webhooks":[{"name":"validation.gatekeeper.sh","failurePolicy":"Ignore","clientConfig":{"service":{"name":"gatekeeper-webhook-service","namespace":"opa-system"}},"rules":[{"apiGroups":["*"],"apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["*"]}]}]}""");
        Assert.Equal("NonCompliant", One(new[] { Team, template, RegoConstraint("K8sNoHostNetwork"), webhook, Config("config", "opa-system") }).Status);
    }

    private static JsonElement NamespacedVpol(string ns, string actions) => Json("""
        {"apiVersion":"policies.kyverno.io/v1beta1","kind":"NamespacedValidatingPolicy","metadata":{"name":"no-host-network","namespace":"__NS__"},
         "spec":{"validationActions":__ACTIONS__,
          "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]},
          "validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false","message":"hostNetwork is not allowed in this namespace"}]}}
        """.Replace("__NS__", ns, StringComparison.Ordinal).Replace("__ACTIONS__", actions, StringComparison.Ordinal));

    [Fact]
    public void A_Kyverno_NamespacedValidatingPolicy_counts_in_its_own_namespace_only()
    {
        var results = ByNamespace(Namespace("team-a"), Namespace("team-b"), NamespacedVpol("team-a", """["Deny"]"""));
        Assert.Equal("Compliant", results["team-a"].Status);
        var finding = Assert.Single(results["team-a"].EnforcedBy);
        Assert.Equal(("Kyverno", "NamespacedValidatingPolicy", "team-a/no-host-network"), (finding.Engine, finding.Kind, finding.Policy));
        Assert.Equal("NonCompliant", results["team-b"].Status);
        Assert.Empty(results["team-b"].AuditOnly);

        var audit = One(new[] { Namespace("team-a"), NamespacedVpol("team-a", """["Audit"]""") });
        Assert.Equal("NonCompliant", audit.Status);
        Assert.Contains("add Deny to its validationActions", audit.Reason, StringComparison.Ordinal);

        // Its own webhook: when the evidence holds Kyverno's webhooks but not nvpol's, Kyverno does not see it.
        var webhooks = Json("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"kyverno-resource-validating-webhook-cfg"},"webhooks":[{"name":"vpol.validate.kyverno.svc-fail","failurePolicy":"Fail","rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]}]}""");
        var unwired = One(new[] { Namespace("team-a"), NamespacedVpol("team-a", """["Deny"]"""), webhooks });
        Assert.Equal("NonCompliant", unwired.Status);
        Assert.Contains("nvpol.validate.kyverno.svc", unwired.Reason, StringComparison.Ordinal);
    }

    private static JsonElement ApplyOne(string firstRule) => Json("""
        {"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"pod-rules"},
         "spec":{"validationFailureAction":"Enforce","applyRules":"One",
          "rules":[FIRST,
           {"name":"host-network","match":{"any":[{"resources":{"kinds":["Pod"]}}]},
            "validate":{"message":"hostNetwork is not allowed","pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}}
        """.Replace("FIRST", firstRule, StringComparison.Ordinal));

    [Theory]
    // An earlier rule that matches every pod is applied first: the hostNetwork rule is never reached.
    [InlineData("""{"name":"host-pid","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"=(hostPID)":"false"}}}}""", "NonCompliant")]
    // An earlier rule for other namespaces, or skipped by its preconditions or conditional anchors, is passed over.
    [InlineData("""{"name":"system-only","match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["kube-system"]}}]},"validate":{"pattern":{"spec":{"=(hostPID)":"false"}}}}""", "Compliant")]
    [InlineData("""{"name":"deletes","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"preconditions":{"all":[{"key":"{{ request.operation }}","operator":"Equals","value":"DELETE"}]},"validate":{"deny":{}}}""", "Compliant")]
    [InlineData("""{"name":"windows","match":{"any":[{"resources":{"kinds":["Pod"]}}]},"validate":{"pattern":{"spec":{"(nodeSelector)":{"kubernetes.io/os":"windows"},"=(hostProcess)":"false"}}}}""", "Compliant")]
    // An earlier rule for labelled pods only stops there: the others reach the hostNetwork rule.
    [InlineData("""{"name":"labelled","match":{"any":[{"resources":{"kinds":["Pod"],"selector":{"matchLabels":{"tier":"web"}}}}]},"validate":{"pattern":{"spec":{"=(hostPID)":"false"}}}}""", "Conditional")]
    public void Kyverno_applyRules_One_is_decided_from_the_rule_order(string firstRule, string status)
    {
        var result = One(new[] { Team, ApplyOne(firstRule) });
        Assert.True(status == result.Status, $"{status} expected: {result.Status} ({result.Reason})");
        Assert.Empty(result.Unknown);
    }

    [Theory]
    [InlineData("system:serviceaccount:kube-system:daemon-set-controller", "Conditional", "DaemonSet pods (created by the daemon-set-controller) escape")]
    [InlineData("system:serviceaccount:kube-system:replicaset-controller", "NonCompliant", "the ReplicaSet controller that creates the pods of Deployments")]
    [InlineData("ci-deployer", "Conditional", "pods that ci-deployer creates escape")]
    public void A_PSA_username_exemption_exempts_only_the_pods_that_identity_creates(string user, string status, string named)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("hna-psa-").FullName, "admission.yaml");
        File.WriteAllText(path, "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults:\n      enforce: baseline\n    exemptions:\n      usernames: [\"" + user + "\"]\n");
        var result = One(new[] { Namespace("team-a") }, HostNetAudit.Engine.Policy.Psa.PodSecurityConfiguration.Load(path));
        Assert.Equal(status, result.Status);
        Assert.Contains(named, result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("pods created by controllers", result.Reason, StringComparison.Ordinal);
    }

    // ---- 5. Reason texts ----

    [Theory]
    [InlineData("the rule's exclude matches it: ; fix: Set-NamespacePodSecurity")]
    [InlineData("refused by {policy}")]
    [InlineData("Pod Security Admission enforce=baseline ()")]
    public void The_reason_check_catches_empty_details_and_placeholders(string text)
    {
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => ReasonText.AssertClean(text, "sample"));
    }

    [Fact]
    public void The_reason_check_catches_absolute_paths()
    {
        var path = Path.Combine(Path.GetTempPath(), "evidence", "kyverno.yaml");
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => ReasonText.AssertClean($"excluded by the kyverno ConfigMap kyverno/kyverno ({path})", "sample"));
    }

    [Fact]
    public void A_Kyverno_exclude_that_matches_says_so_without_an_empty_detail()
    {
        var policy = Json("""
            {"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"disallow-host-namespaces"},
             "spec":{"validationFailureAction":"Enforce",
              "rules":[{"name":"host-namespaces","match":{"any":[{"resources":{"kinds":["Pod"]}}]},
                "exclude":{"any":[{"resources":{"namespaces":["team-a"]}}]},
                "validate":{"pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}}
            """);
        var result = One(new[] { Team, policy });
        Assert.Equal("NonCompliant", result.Status);
        Assert.Contains("the rule's exclude", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(": ;", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PodSecurity_configuration_namespace_exemption_is_not_printed_as_a_level()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("hna-psa-").FullName, "admission.yaml");
        File.WriteAllText(path, "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults:\n      enforce: baseline\n    exemptions:\n      namespaces: [team-a]\n");
        var result = One(new[] { Namespace("team-a") }, HostNetAudit.Engine.Policy.Psa.PodSecurityConfiguration.Load(path));
        Assert.Equal("NonCompliant", result.Status);
        Assert.DoesNotContain("exemptions.namespaces:latest", result.Reason, StringComparison.Ordinal);
        Assert.StartsWith("The PodSecurity configuration exempts this namespace", result.Reason, StringComparison.Ordinal);
        Assert.Contains("admission.yaml", Assert.Single(result.Informational).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scoped_constraint_with_no_action_at_admission_is_not_said_to_audit()
    {
        var template = RegoTemplate("K8sNoHostNetwork", "package k8snohostnetwork\n\nviolation[{\"msg\": msg}] {\n  input.review.object.spec.hostNetwork\n  msg := \"hostNetwork is not allowed\"\n}\n");
        var constraint = Json("""{"apiVersion":"constraints.gatekeeper.sh/v1beta1","kind":"K8sNoHostNetwork","metadata":{"name":"audit-only-elsewhere"},"spec":{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"deny","enforcementPoints":[{"name":"gator.gatekeeper.sh"}]}],"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}}""");
        var result = One(new[] { Team, template, constraint });
        Assert.Equal("NonCompliant", result.Status);
        Assert.DoesNotContain("only audits", result.Reason, StringComparison.Ordinal);
        Assert.Contains("no action at admission", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evidence_files_are_named_relative_to_the_folder_given()
    {
        var folder = Directory.CreateTempSubdirectory("hna-evidence-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "kyverno"));
        File.WriteAllText(Path.Combine(folder, "namespaces.json"), Team.GetRawText());
        File.WriteAllText(Path.Combine(folder, "kyverno", "policy.json"), KyvernoHostNamespaces.GetRawText());
        File.WriteAllText(Path.Combine(folder, "kyverno", "config.json"), KyvernoConfigMap("\"excludeGroups\":\"system:serviceaccounts:kube-system\"").GetRawText());
        var log = new HostNetAudit.Tests.Support.RecordingLog();
        var evidence = HostNetAudit.Engine.Offline.EvidenceReader.Read(new[] { folder }, log, CancellationToken.None);
        var result = Assert.Single(Evaluate(evidence));
        Assert.Equal("NonCompliant", result.Status);
        Assert.Contains($"the kyverno ConfigMap kyverno/kyverno ({Path.Combine("kyverno", "config.json")})", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(folder, result.Reason, StringComparison.Ordinal);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Engine.Policies.PolicyHarness;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>
/// The expected verdicts on the corpus (issue 4), one test per row: the real published policies, read in place,
/// evaluated against a namespace, and the same objects varied in memory (Enforce instead of Audit, a plain
/// binding) where the row says so.
/// </summary>
public sealed class CorpusPolicyTableTests
{
    private const string K = "kyverno_policies__";

    /// <summary>A namespace without PSA enforcement, where only the policy under test can refuse.</summary>
    private static readonly JsonElement Team = Namespace("team-a", ("pod-security.kubernetes.io/enforce", "privileged"));

    [CorpusFact]
    public void Kyverno_pod_security_and_pod_security_cel_disallow_host_namespaces_audit_only_then_refuse_when_enforced()
    {
        foreach (var file in new[] { K + "pod-security__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml", K + "pod-security-cel__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml" })
        {
            var policy = Corpus.Objects(file).Single().Object;
            var audit = One(new[] { Team, policy });
            Assert.Equal("NonCompliant", audit.Status);
            var finding = Assert.Single(audit.AuditOnly);
            Assert.Equal(("Kyverno", "disallow-host-namespaces", "host-namespaces", "Audit", "Refuses"), (finding.Engine, finding.Policy, finding.Rule, finding.Action, finding.Verdict));

            var enforced = One(new[] { Team, With(policy, p => p["spec"]!["validationFailureAction"] = "Enforce") });
            Assert.Equal("Compliant", enforced.Status);
            Assert.Equal("Enforce", Assert.Single(enforced.EnforcedBy).Action);
            Assert.Empty(enforced.AuditOnly);
        }
    }

    [CorpusFact]
    public void Kyverno_pod_security_vpol_disallow_host_namespaces_audit_only_then_refuses_with_Deny()
    {
        var policy = Corpus.Objects(K + "pod-security-vpol__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml").Single().Object;
        var audit = One(new[] { Team, policy });
        Assert.Equal("NonCompliant", audit.Status);
        var finding = Assert.Single(audit.AuditOnly);
        Assert.Equal(("ValidatingPolicy", "Audit"), (finding.Kind, finding.Action));

        var deny = One(new[] { Team, With(policy, p => p["spec"]!["validationActions"] = new JsonArray("Deny")) });
        Assert.Equal("Compliant", deny.Status);
        Assert.Equal("Deny", Assert.Single(deny.EnforcedBy).Action);
    }

    [CorpusFact]
    public void Kyverno_host_ports_and_psa_policies_are_not_hostNetwork_rules_and_never_count()
    {
        var files = new[]
        {
            K + "pod-security__baseline__disallow-host-ports__disallow-host-ports.yaml",
            K + "pod-security-cel__baseline__disallow-host-ports__disallow-host-ports.yaml",
            K + "pod-security-vpol__baseline__disallow-host-ports__disallow-host-ports.yaml",
            K + "pod-security__baseline__disallow-host-ports-range__disallow-host-ports-range.yaml",
            K + "psa__deny-privileged-profile__deny-privileged-profile.yaml",
            K + "psa-cel__deny-privileged-profile__deny-privileged-profile.yaml",
            K + "psa__add-psa-labels__add-psa-labels.yaml",
        };
        foreach (var file in files)
        {
            var policy = Corpus.Objects(file).Single().Object;
            foreach (var variant in new[] { policy, Enforced(policy) })
            {
                var result = One(new[] { Team, variant });
                Assert.True(result.Status == "NonCompliant", $"{file}: {result.Status} ({result.Reason})");
                Assert.Empty(result.EnforcedBy);
                Assert.Empty(result.AuditOnly);
                Assert.Empty(result.Conditional);
                Assert.Empty(result.Unknown);
            }
        }
    }

    [CorpusFact]
    public void Gatekeeper_host_network_ports_template_with_block_host_network_constraints_refuses()
    {
        var template = Corpus.Objects("open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__template.yaml");
        foreach (var sample in new[] { "block_host_network", "port_range_block_host_network" })
        {
            var constraint = Corpus.Objects($"open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__{sample}__constraint.yaml");
            var result = One(template.Concat(constraint).Select(o => o.Object).Append(Team));
            Assert.Equal("Compliant", result.Status);
            var finding = Assert.Single(result.EnforcedBy);
            Assert.Equal(("Gatekeeper", "K8sPSPHostNetworkingPorts", "deny"), (finding.Engine, finding.Kind, finding.Action));
        }
    }

    [CorpusFact]
    public void Gatekeeper_psp_host_network_ports_constraint_allowing_hostNetwork_does_not_refuse()
    {
        var objects = Corpus.Objects(
            "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__template.yaml",
            "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__constraint.yaml");
        var result = One(objects.Select(o => o.Object).Append(Team));
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.EnforcedBy);
        Assert.Empty(result.Unknown);
    }

    [CorpusFact]
    public void Gatekeeper_host_namespaces_template_covers_hostPID_and_hostIPC_only()
    {
        var objects = Corpus.Objects(
            "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__template.yaml",
            "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__samples__psp-host-namespace__constraint.yaml");
        var result = One(objects.Select(o => o.Object).Append(Team));
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.EnforcedBy);
        Assert.Empty(result.Unknown);
        Assert.Empty(result.Conditional);
    }

    [CorpusFact]
    public void Kubescape_C0041_with_its_test_binding_is_conditional_and_with_a_plain_Deny_binding_refuses()
    {
        var policy = Corpus.Objects("kubescape_cel-admission-library__controls__C-0041__policy.yaml").Single().Object;
        var name = policy.GetProperty("metadata").GetProperty("name").GetString()!;
        var testBinding = With(Corpus.Objects("kubescape_cel-admission-library__test-resources__policy-binding.yaml").Single().Object, b => b["spec"]!["policyName"] = name);
        var conditional = One(new[] { Team, policy, testBinding });
        Assert.Equal("Conditional", conditional.Status);
        Assert.Contains("objectSelector", Assert.Single(conditional.Conditional).Detail, StringComparison.Ordinal);

        var plain = Json($$$"""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"c-0041"},"spec":{"policyName":"{{{name}}}","validationActions":["Deny"]}}""");
        var refused = One(new[] { Team, policy, plain });
        Assert.Equal("Compliant", refused.Status);
        Assert.Equal(("ValidatingAdmissionPolicy", "Deny"), (Assert.Single(refused.EnforcedBy).Engine, refused.EnforcedBy[0].Action));
    }

    [CorpusFact]
    public void Kubescape_C0038_is_not_a_hostNetwork_policy()
    {
        var policy = Corpus.Objects("kubescape_cel-admission-library__controls__C-0038__policy.yaml").Single().Object;
        var name = policy.GetProperty("metadata").GetProperty("name").GetString()!;
        var binding = Json($$$"""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"c-0038"},"spec":{"policyName":"{{{name}}}","validationActions":["Deny"]}}""");
        var result = One(new[] { Team, policy, binding });
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.EnforcedBy);
        Assert.Empty(result.Unknown);
    }

    [CorpusFact]
    public void PodSecurityPolicies_are_informational_restricted_and_baseline_forbid_privileged_ones_allow()
    {
        var objects = Corpus.Objects(
            "kubernetes_website__content__en__examples__policy__restricted-psp.yaml",
            "kubernetes_website__content__en__examples__policy__baseline-psp.yaml",
            "kubernetes_website__content__en__examples__policy__privileged-psp.yaml",
            "kubescape_regolibrary__rules__psp-deny-hostnetwork__test__fail-only-one-true__input__psp.yaml");
        var result = One(objects.Select(o => o.Object).Append(Team));
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.EnforcedBy);
        var psp = result.Informational.Where(f => f.Engine == "PodSecurityPolicy").ToDictionary(f => f.Policy, f => f.Detail);
        Assert.Equal(4, psp.Count);
        Assert.StartsWith("forbids hostNetwork", psp["restricted"], StringComparison.Ordinal);
        Assert.StartsWith("forbids hostNetwork", psp["baseline"], StringComparison.Ordinal);
        Assert.StartsWith("allows hostNetwork", psp["privileged"], StringComparison.Ordinal);
        Assert.StartsWith("allows hostNetwork", psp["eks.privileged"], StringComparison.Ordinal);
    }

    [CorpusFact]
    public void Namespaces_labelled_enforce_restricted_or_baseline_are_compliant_by_PSA()
    {
        var files = new[]
        {
            "kubernetes_pod-security-admission__webhook__manifests__10-namespace.yaml",
            "tektoncd_pipeline__config__100-namespace__100-namespace.yaml",
            "open-policy-agent_gatekeeper__deploy__gatekeeper.yaml",
            "kubernetes_website__content__en__examples__security__podsecurity-baseline.yaml",
            "kubernetes_website__content__en__examples__security__podsecurity-restricted.yaml",
        };
        var results = Evaluate(Corpus.Objects(files));
        Assert.Equal(new[] { "gatekeeper-system", "my-baseline-namespace", "my-restricted-namespace", "pod-security-webhook", "tekton-pipelines" }, results.Select(r => r.Namespace));
        Assert.All(results, r =>
        {
            Assert.Equal("Compliant", r.Status);
            Assert.Equal("PodSecurityAdmission", Assert.Single(r.EnforcedBy).Engine);
            Assert.Equal("Label", r.PodSecuritySource);
        });
        Assert.Equal("restricted:v1.24", results.Single(r => r.Namespace == "gatekeeper-system").PodSecurity);
    }

    [CorpusFact]
    public void Namespaces_labelled_privileged_or_unlabelled_are_not_compliant()
    {
        var results = Evaluate(Corpus.Objects(
            "kubernetes_website__content__en__examples__security__podsecurity-privileged.yaml",
            "projectcalico_calico__manifests__ocp__00-namespace-calico-system.yaml",
            "NVIDIA_k8s-device-plugin__deployments__static__nvidia-device-plugin-privileged-with-service-account.yml",
            "projectcalico_calico__manifests__ocp__00-namespace-tigera-operator.yaml")).ToDictionary(r => r.Namespace);
        Assert.Equal(4, results.Count);
        Assert.All(results.Values, r => Assert.Equal("NonCompliant", r.Status));
        Assert.Equal("Label", results["calico-system"].PodSecuritySource);
        Assert.Equal("Label", results["nvidia-device-plugin"].PodSecuritySource);
        Assert.Equal("privileged:latest", results["my-privileged-namespace"].PodSecurity);
        Assert.Equal("AssumedBuiltInDefault", results["tigera-operator"].PodSecuritySource);
        Assert.Contains("built-in default privileged assumed", results["tigera-operator"].Reason, StringComparison.Ordinal);
    }

    [CorpusFact]
    public void The_PSA_webhook_ConfigMap_PodSecurityConfiguration_is_readable_as_AdmissionConfiguration()
    {
        var config = PodSecurityConfiguration.Load(Corpus.Path("kubernetes_pod-security-admission__webhook__manifests__20-configmap.yaml"));
        Assert.Equal("privileged:latest", config.Enforce.ToString());
        Assert.Equal("privileged:latest", config.Warn.ToString());
        Assert.Empty(config.ExemptNamespaces);
        var result = One(Corpus.Objects("projectcalico_calico__manifests__ocp__00-namespace-tigera-operator.yaml"), config);
        Assert.Equal("ConfigurationDefault", result.PodSecuritySource);
        Assert.Equal("NonCompliant", result.Status);
    }

    [CorpusFact]
    public void A_MutatingAdmissionPolicy_that_labels_new_namespaces_baseline_is_informational_and_not_counted()
    {
        var map = Corpus.Objects("kubernetes_website__content__en__examples__access__manifest-admission-control__default-pod-security-baseline.yaml").Single().Object;
        var result = One(new[] { Namespace("team-b"), map });
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.EnforcedBy);
        var info = Assert.Single(result.Informational);
        Assert.Equal(("MutatingAdmissionPolicy", "default-pod-security-baseline", "Mutate"), (info.Engine, info.Policy, info.Action));
        Assert.Contains("enforce=baseline", info.Detail, StringComparison.Ordinal);
    }

    private static JsonElement Enforced(JsonElement policy) => With(policy, p =>
    {
        if (p["spec"] is JsonObject spec)
        {
            if (p["kind"]?.GetValue<string>() == "ValidatingPolicy")
            {
                spec["validationActions"] = new JsonArray("Deny");
            }
            else
            {
                spec["validationFailureAction"] = "Enforce";
            }
        }
    });
}

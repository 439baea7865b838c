using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Engine.Cel.CelTestSupport;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>The CEL of real published policies, read in place from the corpus, judged against the reference pod.</summary>
public class CelCorpusTests
{
    private const string C0041 = "kubescape_cel-admission-library__controls__C-0041__policy.yaml";
    private const string C0041Tests = "kubescape_cel-admission-library__controls__C-0041__tests.json";
    private const string C0038 = "kubescape_cel-admission-library__controls__C-0038__policy.yaml";
    private const string KyvernoCelHostNamespaces = "kyverno_policies__pod-security-cel__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml";
    private const string KyvernoVpolHostNamespaces = "kyverno_policies__pod-security-vpol__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml";
    private const string KyvernoCelHostPorts = "kyverno_policies__pod-security-cel__baseline__disallow-host-ports__disallow-host-ports.yaml";
    private const string KyvernoVpolHostPorts = "kyverno_policies__pod-security-vpol__baseline__disallow-host-ports__disallow-host-ports.yaml";
    private const string KyvernoPsaCelPrivileged = "kyverno_policies__psa-cel__deny-privileged-profile__deny-privileged-profile.yaml";
    private const string GatekeeperHostNetworkTemplate = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__template.yaml";
    private const string GatekeeperBlockHostNetwork = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__block_host_network__constraint.yaml";
    private const string GatekeeperPortRangeBlock = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__port_range_block_host_network__constraint.yaml";
    private const string GatekeeperAllowHostNetwork = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__psp-host-network-ports__constraint.yaml";
    private const string GatekeeperHostNamespaceTemplate = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__template.yaml";
    private const string GatekeeperHostNamespaceConstraint = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-namespaces__samples__psp-host-namespace__constraint.yaml";

    [CorpusFact(C0041)]
    public void Kubescape_C0041_refuses_hostNetwork_by_evaluation_with_its_own_message()
    {
        var judgement = Judge(CelPolicySources.FromValidatingAdmissionPolicy(Corpus.Document(C0041)));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Equal(0, judgement.ValidationIndex);
        Assert.StartsWith("Pods with hostNetwork enabled may cause security issues.", judgement.Message, StringComparison.Ordinal);
        Assert.Contains("kubescape-c-0041", judgement.Detail, StringComparison.Ordinal);
        Assert.All(judgement.Validations, v => Assert.Equal(CelOutcome.Admit, v.Twin));
        Assert.Empty(judgement.Rewrites);
        Assert.False(judgement.DependsOnNamespace);
        Assert.False(judgement.HasMatchConditions);
    }

    [CorpusFact(C0038)]
    public void Kubescape_C0038_hostPID_and_hostIPC_does_not_refuse_hostNetwork()
    {
        var judgement = Judge(CelPolicySources.FromValidatingAdmissionPolicy(Corpus.Document(C0038)));

        Assert.Equal(CelVerdict.DoesNotRefuse, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.All(judgement.Validations, v => Assert.Equal(CelOutcome.Admit, v.Reference));
    }

    [CorpusFact(KyvernoCelHostNamespaces)]
    public void Kyverno_pod_security_cel_disallow_host_namespaces_refuses_after_rewriting_optional_selection()
    {
        var policy = Corpus.Document(KyvernoCelHostNamespaces);
        var rule = policy.Get("spec", "rules").Items().Single();
        Assert.Equal(JsonValueKind.Array, rule.Get("validate", "cel", "expressions").ValueKind);

        var judgement = Judge(CelPolicySources.FromKyvernoRule(rule, "ClusterPolicy/disallow-host-namespaces"));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Contains(CelRewriter.OptionalSelection, judgement.Rewrites);
        Assert.StartsWith("Sharing the host namespaces is disallowed.", judgement.Message, StringComparison.Ordinal);
        Assert.Contains("rule host-namespaces", judgement.Detail, StringComparison.Ordinal);
    }

    [CorpusFact(KyvernoVpolHostNamespaces)]
    public void Kyverno_ValidatingPolicy_disallow_host_namespaces_refuses_through_its_variables()
    {
        var judgement = Judge(CelPolicySources.FromKyvernoValidatingPolicy(Corpus.Document(KyvernoVpolHostNamespaces)));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Contains("ValidatingPolicy/disallow-host-namespaces", judgement.Detail, StringComparison.Ordinal);
        Assert.Contains(CelRewriter.OptionalSelection, judgement.Rewrites);
    }

    [CorpusFact(KyvernoCelHostPorts)]
    public void Kyverno_pod_security_cel_disallow_host_ports_does_not_refuse_hostNetwork()
    {
        var rule = Corpus.Document(KyvernoCelHostPorts).Get("spec", "rules").Items().Single();

        var judgement = Judge(CelPolicySources.FromKyvernoRule(rule, "ClusterPolicy/disallow-host-ports"));

        Assert.Equal(CelVerdict.DoesNotRefuse, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
    }

    [CorpusFact(KyvernoCelHostPorts)]
    public void Kyverno_disallow_host_ports_really_evaluates_a_host_port()
    {
        // Guards the DoesNotRefuse above: the same rule denies a pod that declares a hostPort.
        var rule = Corpus.Document(KyvernoCelHostPorts).Get("spec", "rules").Items().Single();
        var withPort = JsonNode.Parse(ReferencePod().GetRawText())!;
        withPort["spec"]!["containers"]![0]!["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 80, ["hostPort"] = 80 });
        var input = new CelAdmissionInput { ReferencePod = JsonSerializer.SerializeToElement(withPort), TwinPod = TwinPod() };

        var judgement = CelJudge.JudgeValidations(CelPolicySources.FromKyvernoRule(rule, "ClusterPolicy/disallow-host-ports"), input);

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
    }

    [CorpusFact(KyvernoVpolHostPorts)]
    public void Kyverno_ValidatingPolicy_disallow_host_ports_does_not_refuse_hostNetwork()
    {
        var judgement = Judge(CelPolicySources.FromKyvernoValidatingPolicy(Corpus.Document(KyvernoVpolHostPorts)));

        Assert.Equal(CelVerdict.DoesNotRefuse, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
    }

    [CorpusFact(KyvernoPsaCelPrivileged)]
    public void Kyverno_psa_cel_deny_privileged_profile_denies_everything_so_it_does_not_refuse_hostNetwork()
    {
        var rule = Corpus.Document(KyvernoPsaCelPrivileged).Get("spec", "rules").Items().Single();

        var judgement = Judge(CelPolicySources.FromKyvernoRule(rule, "ClusterPolicy/deny-privileged-profile"));

        Assert.Equal(CelVerdict.DeniesBoth, judgement.Verdict);
        Assert.Equal(0, judgement.ValidationIndex);
    }

    [CorpusFact(GatekeeperHostNetworkTemplate, GatekeeperBlockHostNetwork)]
    public void Gatekeeper_host_network_ports_with_block_host_network_refuses_by_evaluation()
    {
        var policy = CelPolicySources.FromGatekeeperTemplate(Corpus.Document(GatekeeperHostNetworkTemplate), Corpus.Document(GatekeeperBlockHostNetwork));

        var judgement = Judge(policy!);

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Equal(1, judgement.ValidationIndex);
        Assert.Equal("The specified hostNetwork and hostPort are not allowed, pod: hostnetaudit-reference", judgement.Message);
        Assert.True(judgement.DependsOnParams);
        Assert.Contains("K8sPSPHostNetworkingPorts/psp-host-network", judgement.Detail, StringComparison.Ordinal);
    }

    [CorpusFact(GatekeeperHostNetworkTemplate, GatekeeperPortRangeBlock)]
    public void Gatekeeper_host_network_ports_with_port_range_block_host_network_refuses()
    {
        var policy = CelPolicySources.FromGatekeeperTemplate(Corpus.Document(GatekeeperHostNetworkTemplate), Corpus.Document(GatekeeperPortRangeBlock));

        Assert.Equal(CelVerdict.Refuses, Judge(policy!).Verdict);
    }

    [CorpusFact(GatekeeperHostNetworkTemplate, GatekeeperAllowHostNetwork)]
    public void Gatekeeper_host_network_ports_with_hostNetwork_true_parameter_does_not_refuse()
    {
        var policy = CelPolicySources.FromGatekeeperTemplate(Corpus.Document(GatekeeperHostNetworkTemplate), Corpus.Document(GatekeeperAllowHostNetwork));

        var judgement = Judge(policy!);

        Assert.Equal(CelVerdict.DoesNotRefuse, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
    }

    [CorpusFact(GatekeeperHostNetworkTemplate)]
    public void Gatekeeper_host_network_ports_without_constraint_parameters_is_unknown_to_CEL()
    {
        // Gatekeeper binds variables.params to null here; has(null.hostNetwork) is an error in CEL (the
        // evaluator would say false), so the CEL alone cannot decide. The Rego twin of the template and
        // docs/semantics.md's reading of the kind decide this case, not the CEL judge.
        var constraint = Json("""{"apiVersion":"constraints.gatekeeper.sh/v1beta1","kind":"K8sPSPHostNetworkingPorts","metadata":{"name":"no-params"},"spec":{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}}""");
        var policy = CelPolicySources.FromGatekeeperTemplate(Corpus.Document(GatekeeperHostNetworkTemplate), constraint);

        var judgement = Judge(policy!);

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
        Assert.Contains("variables.params, which is null", judgement.Detail, StringComparison.Ordinal);
    }

    [CorpusFact(GatekeeperHostNamespaceTemplate, GatekeeperHostNamespaceConstraint)]
    public void Gatekeeper_host_namespaces_template_covers_hostPID_and_hostIPC_only()
    {
        var policy = CelPolicySources.FromGatekeeperTemplate(Corpus.Document(GatekeeperHostNamespaceTemplate), Corpus.Document(GatekeeperHostNamespaceConstraint));

        var judgement = Judge(policy!);

        Assert.Equal(CelVerdict.DoesNotRefuse, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
    }

    public static TheoryData<string> C0041Cases()
    {
        var data = new TheoryData<string>();
        if (Corpus.MissingReason(new[] { C0041Tests }) is null)
        {
            foreach (var testCase in JsonDocument.Parse(Corpus.Text(C0041Tests)).RootElement.EnumerateArray())
            {
                data.Add(testCase.Get("name").AsString()!);
            }
        }
        else
        {
            data.Add("(corpus absent)");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(C0041Cases))]
    public void Kubescape_C0041_published_test_cases_give_the_published_result(string name)
    {
        if (Corpus.MissingReason(new[] { C0041, C0041Tests }) is not null)
        {
            return; // The corpus is absent: nothing to check (reported by the CorpusFact tests above as skips).
        }

        var testCase = JsonDocument.Parse(Corpus.Text(C0041Tests)).RootElement.EnumerateArray().Single(c => c.Get("name").AsString() == name);
        var subject = Workload(testCase.Get("template").AsString()!);
        foreach (var change in testCase.Get("field_change_list").Items())
        {
            Apply(subject, change.AsString()!);
        }

        var policy = CelPolicySources.FromValidatingAdmissionPolicy(Corpus.Document(C0041));
        var input = new CelAdmissionInput { ReferencePod = JsonSerializer.SerializeToElement(subject), TwinPod = TwinPod() };
        var judgement = CelJudge.JudgeValidations(policy, input);

        var denied = judgement.Validations.Any(v => v.Reference == CelOutcome.Deny);
        Assert.All(judgement.Validations, v => Assert.NotEqual(CelOutcome.Unknown, v.Reference));
        Assert.Equal(testCase.Get("expected").AsString() == "fail", denied);
    }

    // The library's own templates (pod.yaml, deployment.yaml) are not in the corpus: minimal equivalents.
    private static JsonObject Workload(string template)
    {
        var pod = JsonNode.Parse(TwinPod().GetRawText())!.AsObject();
        if (template == "pod.yaml")
        {
            return pod;
        }

        Assert.Equal("deployment.yaml", template);
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "team-a" },
            ["spec"] = new JsonObject
            {
                ["replicas"] = 1,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } },
                    ["spec"] = pod["spec"]!.DeepClone(),
                },
            },
        };
    }

    private static void Apply(JsonObject subject, string change)
    {
        var (path, value) = (change[..change.IndexOf('=', StringComparison.Ordinal)], change[(change.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var parts = path.Split('.');
        JsonNode node = subject;
        foreach (var part in parts[..^1])
        {
            node = node[part] ?? throw new InvalidOperationException($"no {part} in {path}");
        }

        node[parts[^1]] = JsonNode.Parse(value);
    }
}

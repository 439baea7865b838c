using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>How probe answers are classified and merged, and how the exemptions file is read.</summary>
public sealed class ProbeAndExemptionTests
{
    private const string PsaDenial = "pods \"hostnetaudit-reference\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)";

    private static PolicyProber.Answer Ok() => new(201, null, false);

    private static PolicyProber.Answer Denied(int status, string message, bool forbidden = false) => new(status, message, forbidden);

    [Fact]
    public void A_denied_reference_pod_and_an_admitted_twin_with_a_hostNetwork_message_is_verified()
    {
        var (outcome, probe) = PolicyProber.Classify(Denied(403, PsaDenial), Ok());
        Assert.Equal(ProbeOutcome.Verified, outcome);
        Assert.Equal("Verified", probe.Outcome);
        Assert.Equal("PodSecurity baseline:latest", probe.Mechanism);
        Assert.Equal(403, probe.ReferenceStatusCode);
        Assert.Equal(201, probe.TwinStatusCode);
    }

    [Fact]
    public void Where_the_targeted_policy_excepts_a_workload_a_spoofed_pod_must_be_refused_too()
    {
        const string vap = "pods \"hostnetaudit-reference\" is forbidden: ValidatingAdmissionPolicy 'hostnetaudit-hostnetwork' with binding 'hostnetaudit-hostnetwork' denied request: hostNetwork is refused";
        var (held, probe) = PolicyProber.Classify(Denied(403, vap), Ok(), "DaemonSet/cilium", Denied(403, vap));
        Assert.Equal(ProbeOutcome.Verified, held);
        Assert.Equal("DaemonSet/cilium", probe.SpoofedOwner);
        Assert.Equal(403, probe.SpoofedStatusCode);
        Assert.Contains("refused too", probe.Detail, StringComparison.Ordinal);

        var (open, opened) = PolicyProber.Classify(Denied(403, vap), Ok(), "DaemonSet/cilium", Ok());
        Assert.Equal(ProbeOutcome.Admitted, open);
        Assert.Equal("Admitted", opened.Outcome);
        Assert.Contains("claiming to belong to the excepted DaemonSet/cilium", opened.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admitted_reference_pod_is_admitted_and_other_answers_are_unknown()
    {
        Assert.Equal("Admitted", PolicyProber.Classify(Ok(), Ok()).Probe.Outcome);
        var (outcome, both) = PolicyProber.Classify(Denied(400, "admission webhook \"sidecar.example.com\" does not support dry run"), Denied(400, "admission webhook \"sidecar.example.com\" does not support dry run"));
        Assert.Equal(ProbeOutcome.Unknown, outcome);
        Assert.Equal("Unknown", both.Outcome);
        Assert.Contains("refused too", both.Detail, StringComparison.Ordinal);
        var rbac = Denied(403, "pods is forbidden: User \"x\" cannot create resource \"pods\" in API group \"\" in the namespace \"a\"", forbidden: true);
        Assert.Equal(ProbeOutcome.Unknown, PolicyProber.Classify(rbac, rbac).Outcome);
        Assert.Equal(ProbeOutcome.Unknown, PolicyProber.Classify(Denied(403, "admission webhook \"x\" denied the request: image not signed"), Ok()).Outcome);
        Assert.Equal(ProbeOutcome.Unknown, PolicyProber.Classify(Denied(0, "timed out"), Ok()).Outcome);
    }

    [Theory]
    [InlineData("admission webhook \"validation.gatekeeper.sh\" denied the request: [psp-host-network] The specified hostNetwork and hostPort are not allowed", "webhook validation.gatekeeper.sh: psp-host-network")]
    [InlineData("admission webhook \"validate.kyverno.svc-fail\" denied the request: \n\nresource Pod/a/p was blocked due to the following policies \n\ndisallow-host-namespaces:\n  host-namespaces: 'validation error'", "webhook validate.kyverno.svc-fail: disallow-host-namespaces")]
    [InlineData("admission webhook \"vpol.validate.kyverno.svc-fail\" denied the request: Policy vpol-no-host-network failed: hostNetwork is not allowed", "webhook vpol.validate.kyverno.svc-fail: vpol-no-host-network")]
    [InlineData("pods \"p\" is forbidden: ValidatingAdmissionPolicy 'deny-host-network' with binding 'b' denied request: hostNetwork is not allowed", "ValidatingAdmissionPolicy deny-host-network (binding b)")]
    public void Names_the_mechanism_the_denial_names(string message, string mechanism) =>
        Assert.Equal(mechanism, PolicyProber.Mechanism(message));

    [Fact]
    public void The_probe_overrules_the_static_view_and_says_so()
    {
        var compliant = Probed(NamespaceStatus.Compliant, PolicyProber.Classify(Ok(), Ok()));
        Assert.Equal(PolicyStatus.NonCompliant, compliant.Status);
        Assert.Equal(PolicyStatus.Compliant, compliant.StaticStatus);
        Assert.False(compliant.Compliant);
        Assert.False(compliant.Probe!.AgreesWithStatic);
        Assert.Contains("the probe overrules it", compliant.Reason, StringComparison.Ordinal);

        var nonCompliant = Probed(NamespaceStatus.NonCompliant, PolicyProber.Classify(Denied(403, PsaDenial), Ok()));
        Assert.Equal(PolicyStatus.Compliant, nonCompliant.Status);
        Assert.True(nonCompliant.Compliant);
        var probe = Assert.Single(nonCompliant.EnforcedBy);
        Assert.Equal(("Probe", "Probe", "Refuses", "Enforce"), (probe.Engine, probe.JudgedBy, probe.Verdict, probe.Action));
        Assert.StartsWith("Refused by the dry-run probe (PodSecurity baseline:latest).", nonCompliant.Reason, StringComparison.Ordinal);

        var conditional = Probed(NamespaceStatus.Conditional, PolicyProber.Classify(Denied(403, PsaDenial), Ok()));
        Assert.Equal(PolicyStatus.Conditional, conditional.Status);
        Assert.True(conditional.Probe!.AgreesWithStatic);

        var unknown = Probed(NamespaceStatus.Compliant, PolicyProber.Classify(Denied(400, "x"), Denied(400, "x")));
        Assert.Equal(PolicyStatus.Compliant, unknown.Status);
        Assert.True(unknown.Probe!.AgreesWithStatic);
    }

    [Fact]
    public void Reads_namespace_and_workload_exemptions_with_wildcards_contexts_and_expiry()
    {
        var path = Write("""
            apiVersion: hostnetaudit.io/v1
            kind: HostNetworkExemptions
            exemptions:
            - namespace: legacy-*
              justification: appliances
            - kind: daemonset
              namespace: kube-system
              name: CILIUM*
              justification: CNI
            - kind: Pod
              namespace: kube-system
              name: kube-apiserver-*
              justification: static pod
            - namespace: prod-only
              context: prod-*
              justification: only in prod
            - namespace: old
              justification: lapsed
              expires: 2020-01-01
            """);
        var log = new RecordingLog();
        var set = ExemptionSet.Load(new[] { path }, log, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(4, set.Entries.Count);
        Assert.Contains("expired", Assert.Single(log.Warnings), StringComparison.Ordinal);
        Assert.Equal("appliances", set.ForNamespace("c", "legacy-net")!.Justification);
        Assert.Null(set.ForNamespace("c", "old"));
        Assert.Null(set.ForNamespace("dev-1", "prod-only"));
        Assert.NotNull(set.ForNamespace("prod-eu", "prod-only"));
        Assert.Equal("CNI", set.ForPod("c", "kube-system", "cilium-abcde", "DaemonSet", "cilium")!.Justification);
        Assert.Equal("static pod", set.ForPod("c", "kube-system", "kube-apiserver-cp-1", "Node", "cp-1")!.Justification);
        Assert.Null(set.ForPod("c", "default", "cilium-abcde", "DaemonSet", "cilium"));
    }

    [Theory]
    [InlineData("""{"kind":"HostNetworkExemptions","exemptions":[{"namespace":"a"}]}""", "no justification")]
    [InlineData("""{"kind":"HostNetworkExemptions","exemptions":[{"namespace":"a","justification":"x","why":"y"}]}""", "unknown field 'why'")]
    [InlineData("""{"kind":"Something","exemptions":[]}""", "expected HostNetworkExemptions")]
    [InlineData("""[{"justification":"x"}]""", "names neither a namespace nor a workload")]
    [InlineData("""[{"namespace":"a","justification":"x","expires":"soon"}]""", "not a date")]
    [InlineData("""[{"kind":"Deamonset","namespace":"kube-system","name":"cilium","justification":"x"}]""", "kind 'Deamonset'")]
    public void Refuses_an_invalid_exemptions_file_naming_the_problem(string text, string problem)
    {
        var path = Write(text);
        var ex = Assert.Throws<HostNetAuditException>(() => ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow));
        Assert.Equal("ExemptionFileInvalid", ex.ErrorId);
        Assert.Equal(FailureCategory.InvalidData, ex.Category);
        Assert.Equal(path, ex.Target);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_kinds_in_any_case_and_wildcards_and_warns_about_an_empty_file()
    {
        var log = new RecordingLog();
        var set = ExemptionSet.Load(new[] { Write("""[{"kind":"daemonset","namespace":"a","justification":"x"},{"kind":"*Set","namespace":"b","justification":"y"}]""") }, log, DateTimeOffset.UtcNow);
        Assert.Equal(2, set.Entries.Count);
        Assert.Empty(log.Warnings);

        var empty = Write("""{"kind":"HostNetworkExemptions","exemptions":[]}""");
        Assert.Empty(ExemptionSet.Load(new[] { empty }, log, DateTimeOffset.UtcNow).Entries);
        Assert.Contains(log.Warnings, w => w.Contains("declares no exemptions", StringComparison.Ordinal));
    }

    /// <summary>A namespace decided <paramref name="status"/> by the policies, then probed.</summary>
    private static NamespacePolicyResult Probed(NamespaceStatus status, (ProbeOutcome Outcome, PolicyProbeResult Probe) answer)
    {
        var ns = new NamespaceInfo("a", new Dictionary<string, string>(), default, null);
        var result = new NamespaceFindings(ns, "c");
        var finding = new Finding { Engine = PolicyEngine.Kyverno, Kind = "ClusterPolicy", Policy = "p", Action = "Enforce", Effect = AdmissionEffect.Denies };
        if (status == NamespaceStatus.Compliant)
        {
            result.Classify(new PodJudgement(PodOutcome.Refuses, JudgedBy.Evaluated, "refuses"), Scope.Yes(), finding);
        }
        else if (status == NamespaceStatus.Conditional)
        {
            result.Classify(new PodJudgement(PodOutcome.Refuses, JudgedBy.Evaluated, "refuses"), Scope.Depends("x"), finding);
        }

        NamespacePolicyEvaluator.Decide(result);
        Assert.Equal(status, result.Status);
        PolicyProber.Apply(result, answer.Outcome, answer.Probe, null);
        return result.ToRecord();
    }

    private static string Write(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("hna-ex-").FullName, "exemptions.yaml");
        File.WriteAllText(path, text);
        return path;
    }
}

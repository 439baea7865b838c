using HostNetAudit.Engine.Policy;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>
/// Findings are typed inside the engine and written as strings once, where the public record is built: the enum
/// names are the JSON contract, and the reason sentences read "which pods" and "why not here" from fields, never
/// by splitting a Detail on marker words.
/// </summary>
public sealed class TypedFindingsTests
{
    [Fact]
    public void The_enums_are_named_as_the_public_records_spell_their_values()
    {
        Assert.Equal(new[] { PolicyStatus.Compliant, PolicyStatus.NonCompliant, PolicyStatus.Conditional, PolicyStatus.Exempt, PolicyStatus.Unknown }, Enum.GetNames<NamespaceStatus>());
        Assert.Equal(new[] { PodSecuritySources.Label, PodSecuritySources.ConfigurationDefault, PodSecuritySources.ConfigurationExemption, PodSecuritySources.AssumedBuiltInDefault }, Enum.GetNames<PodSecuritySource>());
        Assert.Equal(new[] { "Refuses", "Conditional", "Unknown", "DeniesBoth", "NotApplied", "Informational" }, Enum.GetNames<Verdict>());
        Assert.Equal(new[] { "Evaluated", "Text", "Probe", "Label", "None" }, Enum.GetNames<JudgedBy>());
        Assert.Equal(new[] { "PodSecurityAdmission", "Kyverno", "Gatekeeper", "ValidatingAdmissionPolicy", "PodSecurityPolicy", "MutatingAdmissionPolicy", "Probe", "HostNetAudit" }, Enum.GetNames<PolicyEngine>());
        Assert.Equal(new[] { "Verified", "Admitted", "Unknown" }, Enum.GetNames<ProbeOutcome>());
        Assert.Equal(new[] { "Applied", "WouldApply", "Unchanged", "Skipped", "Failed" }, Enum.GetNames<PodSecurityChangeAction>());
    }

    [Fact]
    public void Which_pods_a_refusal_covers_is_a_field_the_reason_reads()
    {
        // The judgement's own words hold the marker text the reasons were once cut at.
        var ns = Namespace();
        var findings = new NamespaceFindings(ns, "c");
        var finding = Enforcing();
        findings.Classify(new PodJudgement(PodOutcome.Refuses, JudgedBy.Evaluated, "its message says it applies only to some pods: the ones it names"), Scope.Depends("DaemonSet pods escape"), finding);
        NamespacePolicyEvaluator.Decide(findings);

        Assert.Equal(NamespaceStatus.Conditional, findings.Status);
        Assert.Equal("DaemonSet pods escape", finding.WhichPods);
        Assert.Null(finding.WhyNotApplied);
        Assert.Equal("Kyverno ClusterPolicy p (rule r) refuses hostNetwork pods only for some (DaemonSet pods escape); make it cover every pod, or enforce a policy that refuses hostNetwork pods for all.", findings.Reason);
        var record = findings.ToRecord();
        Assert.Equal("Conditional", record.Status);
        Assert.Equal("its message says it applies only to some pods: the ones it names; applies only to some pods: DaemonSet pods escape", Assert.Single(record.Conditional).Detail);
    }

    [Fact]
    public void Why_a_refusal_does_not_apply_here_is_a_field_the_reason_reads()
    {
        var findings = new NamespaceFindings(Namespace(), "c");
        var finding = Enforcing();
        findings.Classify(new PodJudgement(PodOutcome.Refuses, JudgedBy.Evaluated, "it does not apply here: says the policy's message"), Scope.No("the Kyverno ConfigMap excludes this namespace"), finding, reportNotApplied: true);
        NamespacePolicyEvaluator.Decide(findings);

        Assert.Equal(NamespaceStatus.NonCompliant, findings.Status);
        Assert.Equal(Verdict.NotApplied, finding.Verdict);
        Assert.Equal("the Kyverno ConfigMap excludes this namespace", finding.WhyNotApplied);
        Assert.StartsWith("Kyverno ClusterPolicy p (rule r) would refuse hostNetwork pods but does not apply here: the Kyverno ConfigMap excludes this namespace; fix:", findings.Reason, StringComparison.Ordinal);
        var record = Assert.Single(findings.ToRecord().Informational);
        Assert.Equal(("Kyverno", "NotApplied", "Evaluated", "Enforce"), (record.Engine, record.Verdict, record.JudgedBy, record.Action));
    }

    [Fact]
    public void What_an_action_does_decides_the_verb_not_its_spelling()
    {
        var findings = new NamespaceFindings(Namespace(), "c");
        findings.Classify(
            new PodJudgement(PodOutcome.Refuses, JudgedBy.Text, "refuses"),
            Scope.Yes(),
            new Finding { Engine = PolicyEngine.ValidatingAdmissionPolicy, Kind = "ValidatingAdmissionPolicyBinding", Policy = "hn", Rule = "b", Action = "Warn,Audit", Effect = AdmissionEffects.FromValidationActions(new[] { "Warn", "Audit" }) });
        NamespacePolicyEvaluator.Decide(findings);

        Assert.Equal(NamespaceStatus.NonCompliant, findings.Status);
        Assert.StartsWith("ValidatingAdmissionPolicy hn (binding b) only warns about and audits hostNetwork pods (Warn,Audit): add Deny to the binding's validationActions;", findings.Reason, StringComparison.Ordinal);
    }

    private static NamespaceInfo Namespace() => new("a", new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "a" }, default, null);

    private static Finding Enforcing() => new()
    {
        Engine = PolicyEngine.Kyverno,
        Kind = "ClusterPolicy",
        Policy = "p",
        Rule = "r",
        Action = "Enforce",
        Effect = AdmissionEffect.Denies,
    };
}

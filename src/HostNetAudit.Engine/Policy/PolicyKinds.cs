namespace HostNetAudit.Engine.Policy;

/// <summary>A resource kind the policy audit reads: one paged list per kind.</summary>
internal sealed record PolicyKind(PolicyEngine Engine, string Group, string Kind, string Resource, IReadOnlyList<string> Versions);

/// <summary>Every kind the audit reads, with the versions it understands in preference order.</summary>
internal static class PolicyKinds
{
    public const string ConstraintsGroup = "constraints.gatekeeper.sh";

    public static readonly IReadOnlyList<PolicyKind> All = new PolicyKind[]
    {
        new(PolicyEngine.Kyverno, "kyverno.io", "ClusterPolicy", "clusterpolicies", new[] { "v1" }),
        new(PolicyEngine.Kyverno, "kyverno.io", "Policy", "policies", new[] { "v1" }),
        new(PolicyEngine.Kyverno, "kyverno.io", "PolicyException", "policyexceptions", new[] { "v2", "v2beta1", "v2alpha1" }),
        new(PolicyEngine.Kyverno, "policies.kyverno.io", "ValidatingPolicy", "validatingpolicies", new[] { "v1", "v1beta1", "v1alpha1" }),
        new(PolicyEngine.Kyverno, "policies.kyverno.io", "NamespacedValidatingPolicy", "namespacedvalidatingpolicies", new[] { "v1", "v1beta1" }),
        new(PolicyEngine.Kyverno, "policies.kyverno.io", "PolicyException", "policyexceptions", new[] { "v1", "v1beta1", "v1alpha1" }),
        new(PolicyEngine.Gatekeeper, "templates.gatekeeper.sh", "ConstraintTemplate", "constrainttemplates", new[] { "v1", "v1beta1" }),
        new(PolicyEngine.Gatekeeper, "config.gatekeeper.sh", "Config", "configs", new[] { "v1alpha1" }),
        new(PolicyEngine.ValidatingAdmissionPolicy, "admissionregistration.k8s.io", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", new[] { "v1", "v1beta1" }),
        new(PolicyEngine.ValidatingAdmissionPolicy, "admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", new[] { "v1", "v1beta1" }),
        new(PolicyEngine.MutatingAdmissionPolicy, "admissionregistration.k8s.io", "MutatingAdmissionPolicy", "mutatingadmissionpolicies", new[] { "v1", "v1beta1", "v1alpha1" }),
        new(PolicyEngine.HostNetAudit, "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", new[] { "v1" }),
        new(PolicyEngine.PodSecurityPolicy, "policy", "PodSecurityPolicy", "podsecuritypolicies", new[] { "v1beta1" }),
    };
}

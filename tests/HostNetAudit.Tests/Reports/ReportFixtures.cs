namespace HostNetAudit.Tests.Reports;

/// <summary>Audit reports with every status and hostile strings (markup, formulas, quotes, non-ASCII).</summary>
internal static class ReportFixtures
{
    public static AuditReport Cluster(string context = "prod-west", bool passed = false)
    {
        var namespaces = passed
            ? new[]
            {
                Ns(context, "team-a", "Compliant", enforcedBy: "PodSecurityAdmission: baseline:latest (label)"),
                Ns(context, "kube-system", "Exempt", justification: "CNI and kube-proxy need the host network"),
            }
            : new[]
            {
                Ns(context, "team-a", "Compliant", enforcedBy: "PodSecurityAdmission: baseline:latest (label)"),
                Ns(context, "ops", "NonCompliant", reason: "No enforcing policy refuses hostNetwork; Pod Security enforce is privileged (assumed built-in default).", pods: 1, remediation: "Declare with a justification in the exemptions file, or change to run without hostNetwork: CronJob/probe (1 pod); then Set-HostNetworkPolicy -Context 'prod-west' -ExemptionPath './exemptions.yaml' -WhatIf", fix: "TargetedPolicy", identities: new[] { "Group system:authenticated", "ServiceAccount ops/<agent>" }, undeclared: new[] { "Group system:authenticated" }),
                Ns(context, "<script>alert(1)</script>", "NonCompliant", reason: "=cmd|' /C calc'!A0 \"quoted\", ümlaut", remediation: "Set-NamespacePodSecurity -Context 'prod-west' -Namespace <script>alert(1)</script> -Level Baseline -WhatIf", fix: "PodSecurityLabel"),
                Ns(context, "edge", "Conditional", reason: "Kyverno disallow-host-namespaces applies only to pods matching an object selector."),
                Ns(context, "payments", "Unknown", reason: "Listing kyverno.io clusterpolicies is forbidden."),
                Ns(context, "kube-system", "Exempt", justification: "CNI & kube-proxy need the host network"),
            };
        var pods = new[]
        {
            new HostNetworkPod { Context = context, Namespace = "kube-system", Name = "cilium-abcde", NodeName = "node-1", OwnerKind = "DaemonSet", OwnerName = "cilium", Privileged = true, Exemption = "CNI agent", HostPorts = new[] { new HostPortBinding { Port = 4244, Protocol = "TCP", Container = "cilium-agent" } } },
            new HostNetworkPod { Context = context, Namespace = "ops", Name = "probe-1", NodeName = "node-2", OwnerKind = "CronJob", OwnerName = "probe", SourcePath = "/evidence/ops.yaml" },
        };
        var report = new AuditReport
        {
            Context = context,
            Source = "https://127.0.0.1:6443",
            Result = passed ? "Pass" : "Fail",
            PodSecurityDefaultAssumed = true,
            AssumedDefaultDecidedResult = !passed,
            Namespaces = namespaces,
            HostNetworkPods = pods,
            Exemptions = new[]
            {
                new AuditExemption { Scope = "Workload", Kind = "DaemonSet", Namespace = "kube-system", Name = "cilium", Justification = "CNI agent", Matched = new[] { "DaemonSet/kube-system/cilium", "Pod/kube-system/cilium-abcde" } },
            },
            AuthorizersNotEvaluated = new[] { "Webhook", "ABAC" },
            KubernetesVersion = "v1.31.4",
            ModuleVersion = "0.1.0",
            GeneratedAt = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero),
        };
        report.Summary = new AuditSummary
        {
            Namespaces = namespaces.Length,
            Compliant = namespaces.Count(n => n.Status == "Compliant"),
            NonCompliant = namespaces.Count(n => n.Status == "NonCompliant"),
            Conditional = namespaces.Count(n => n.Status == "Conditional"),
            Unknown = namespaces.Count(n => n.Status == "Unknown"),
            Exempt = namespaces.Count(n => n.Status == "Exempt"),
            HostNetworkPods = pods.Length,
            ExemptHostNetworkPods = 1,
        };
        return report;
    }

    private static AuditNamespace Ns(string context, string name, string status, string? enforcedBy = null, string? reason = null, int pods = 0, string? remediation = null, string? justification = null, string[]? identities = null, string[]? undeclared = null, string? fix = null) => new()
    {
        IdentityCount = identities?.Length,
        Identities = identities ?? Array.Empty<string>(),
        UndeclaredIdentities = undeclared ?? Array.Empty<string>(),
        Context = context,
        Namespace = name,
        Status = status,
        Compliant = status == "Compliant",
        EnforcedBy = enforcedBy,
        PodSecurity = status == "Compliant" ? "baseline:latest" : "privileged:latest",
        PodSecuritySource = status == "Compliant" ? "Label" : "AssumedBuiltInDefault",
        HostNetworkPodCount = pods,
        Reason = reason,
        Remediation = remediation,
        Fix = fix,
        Justification = justification,
    };
}

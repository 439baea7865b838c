namespace HostNetAudit;

/// <summary>
/// The control's verdict for one cluster (or one set of offline evidence), with its evidence.
/// Output of Invoke-HostNetworkAudit; input of Export-HostNetworkAuditReport.
/// Serialize completely with <c>ConvertTo-Json -Depth 5</c> (report → PolicyResults → findings → strings).
/// </summary>
public sealed class AuditReport
{
    public const string ControlTitle = "Minimize the admission of containers configured to share the host network namespace";

    /// <summary>The kubeconfig context (or "offline").</summary>
    public string Context { get; set; } = string.Empty;

    /// <summary>The API server (live) or the evidence paths (offline).</summary>
    public string? Source { get; set; }

    /// <summary>The benchmark items this report evidences.</summary>
    public string[] Controls { get; set; } = { "CIS Kubernetes 5.2.5", "CIS Amazon EKS 4.2.4", "CIS Azure AKS 4.2.4", "NSA hardening 4.1.4 (Trend Vision One)" };

    public string Title { get; set; } = ControlTitle;

    /// <summary>Pass when every namespace is Compliant or Exempt, else Fail.</summary>
    public string Result { get; set; } = "Fail";

    public bool Passed => string.Equals(Result, "Pass", StringComparison.Ordinal);

    /// <summary>No AdmissionConfiguration was given, so namespaces without PSA labels were judged with the
    /// built-in default (privileged), which the API cannot show.</summary>
    public bool PodSecurityDefaultAssumed { get; set; }

    /// <summary>The assumed default decided the result: some namespace fails only because of it.</summary>
    public bool AssumedDefaultDecidedResult { get; set; }

    public AuditSummary Summary { get; set; } = new();

    /// <summary>Every namespace evaluated, as flat records (one CSV row each).</summary>
    public AuditNamespace[] Namespaces { get; set; } = Array.Empty<AuditNamespace>();

    /// <summary>The namespaces that keep the control from passing (NonCompliant, Conditional, Unknown).</summary>
    public AuditNamespace[] Findings => Namespaces.Where(n => n.Status is not ("Compliant" or "Exempt")).ToArray();

    public HostNetworkPod[] HostNetworkPods { get; set; } = Array.Empty<HostNetworkPod>();

    /// <summary>Workload templates that create hostNetwork pods (also at zero replicas or suspended).</summary>
    public HostNetworkWorkload[] HostNetworkWorkloads { get; set; } = Array.Empty<HostNetworkWorkload>();

    /// <summary>The detailed verdicts of Test-NamespacePolicy behind <see cref="Namespaces"/>.</summary>
    public NamespacePolicyResult[] PolicyResults { get; set; } = Array.Empty<NamespacePolicyResult>();

    /// <summary>What the reader should know about the evidence (namespaces not in the evidence, ...).</summary>
    public string[] Notes { get; set; } = Array.Empty<string>();

    /// <summary>The authorizers whose grants the identity counts do not include (Webhook, ABAC): the counts are a lower
    /// bound. Empty when identities were not evaluated (RBAC could not be read).</summary>
    public string[] AuthorizersNotEvaluated { get; set; } = Array.Empty<string>();

    /// <summary>Exemptions declared in the exemptions file that matched something, with their justification.</summary>
    public AuditExemption[] Exemptions { get; set; } = Array.Empty<AuditExemption>();

    public string? KubernetesVersion { get; set; }

    public string ModuleVersion { get; set; } = string.Empty;

    public DateTimeOffset GeneratedAt { get; set; } = DateTimeOffset.UtcNow;

    public override string ToString() => $"{Context}: {Result} ({Summary.Compliant + Summary.Exempt}/{Summary.Namespaces} namespaces compliant or exempt)";
}

/// <summary>Counts of an AuditReport.</summary>
public sealed class AuditSummary
{
    public int Namespaces { get; set; }

    public int Compliant { get; set; }

    public int NonCompliant { get; set; }

    public int Conditional { get; set; }

    public int Unknown { get; set; }

    public int Exempt { get; set; }

    public int HostNetworkPods { get; set; }

    /// <summary>hostNetwork pods covered by a declared exemption.</summary>
    public int ExemptHostNetworkPods { get; set; }

    public int HostNetworkWorkloads { get; set; }

    public override string ToString() =>
        $"{Namespaces} namespaces: {Compliant} compliant, {NonCompliant} non-compliant, {Conditional} conditional, {Unknown} unknown, {Exempt} exempt; " +
        $"{HostNetworkPods} hostNetwork pods ({ExemptHostNetworkPods} exempt), {HostNetworkWorkloads} hostNetwork workloads";
}

/// <summary>One namespace's verdict in a report, flat (CSV, JUnit, SARIF).</summary>
public sealed class AuditNamespace
{
    public string Context { get; set; } = string.Empty;

    public string Namespace { get; set; } = string.Empty;

    /// <summary>Compliant, NonCompliant, Conditional, Exempt or Unknown. Compliant and Exempt namespaces let the control pass.</summary>
    public string Status { get; set; } = "Unknown";

    /// <summary>True only when Status is Compliant (as in NamespacePolicyResult).</summary>
    public bool Compliant { get; set; }

    /// <summary>The enforcing mechanisms that refuse hostNetwork here, "Engine: policy" joined with "; ".</summary>
    public string? EnforcedBy { get; set; }

    /// <summary>Warn/audit-only mechanisms (reported, never counted).</summary>
    public string? AuditOnly { get; set; }

    /// <summary>The effective PSA enforce level:version.</summary>
    public string? PodSecurity { get; set; }

    /// <summary>Label, ConfigurationDefault, AssumedBuiltInDefault or ConfigurationExemption.</summary>
    public string? PodSecuritySource { get; set; }

    public int HostNetworkPodCount { get; set; }

    /// <summary>The declared justification when Exempt.</summary>
    public string? Justification { get; set; }

    /// <summary>One sentence an admin can act on.</summary>
    public string? Reason { get; set; }

    /// <summary>The command that fixes it (for NonCompliant namespaces): the least invasive one that works now (see <see cref="Fix"/>).</summary>
    public string? Remediation { get; set; }

    /// <summary>Which fix Remediation names (NonCompliant namespaces only): PodSecurityLabel where Set-NamespacePodSecurity
    /// -Level Baseline applies without -Force (nothing running or templated there violates baseline), else TargetedPolicy.</summary>
    public string? Fix { get; set; }

    /// <summary>For a namespace that admits hostNetwork pods (for anyone or through exceptions): how many identities,
    /// other than the control plane's own, can get one admitted (Get-HostNetworkPermission has the paths). Null when
    /// the namespace admits none or RBAC could not be read.</summary>
    public int? IdentityCount { get; set; }

    /// <summary>Those identities: "User alice", "Group system:authenticated", "ServiceAccount team-a/ci".</summary>
    public string[] Identities { get; set; } = Array.Empty<string>();

    /// <summary>Of those, the ones no identities section of the exemptions files declares.</summary>
    public string[] UndeclaredIdentities { get; set; } = Array.Empty<string>();

    public override string ToString() => Namespace + ": " + Status;
}

/// <summary>The Fix values of an AuditNamespace.</summary>
internal static class AuditFix
{
    public const string PodSecurityLabel = "PodSecurityLabel";
    public const string TargetedPolicy = "TargetedPolicy";
}

/// <summary>A declared exemption and what it covered.</summary>
public sealed class AuditExemption
{
    /// <summary>Namespace or Workload.</summary>
    public string Scope { get; set; } = "Workload";

    public string? Namespace { get; set; }

    /// <summary>Workload kind (DaemonSet, Deployment, ...), for workload exemptions.</summary>
    public string? Kind { get; set; }

    public string? Name { get; set; }

    public string Justification { get; set; } = string.Empty;

    /// <summary>"Kind/namespace/name" of the workloads and pods it matched.</summary>
    public string[] Matched { get; set; } = Array.Empty<string>();

    public override string ToString() => (Scope == "Namespace" ? "namespace " + Namespace : $"{Kind}/{Namespace}/{Name}") + ": " + Justification;
}

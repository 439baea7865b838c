namespace HostNetAudit;

/// <summary>
/// The verdict of one namespace: does at least one enforcing admission mechanism refuse hostNetwork pods
/// there (denies the reference pod and admits its control twin), which, and why. Output of Test-NamespacePolicy.
/// A collection of results serializes completely with <c>ConvertTo-Json -Depth 3</c> (results → finding arrays
/// and Probe → their string properties); one result alone needs -Depth 2.
/// </summary>
public sealed class NamespacePolicyResult
{
    /// <summary>The kubeconfig context (or "offline") the record came from.</summary>
    public string Context { get; set; } = string.Empty;

    public string Namespace { get; set; } = string.Empty;

    /// <summary>True only when Status is Compliant.</summary>
    public bool Compliant { get; set; }

    /// <summary>Compliant, NonCompliant, Conditional, Exempt or Unknown (see <see cref="PolicyStatus"/>).</summary>
    public string Status { get; set; } = PolicyStatus.Unknown;

    /// <summary>Enforcing mechanisms that refuse the reference pod here (at least one = compliant).</summary>
    public PolicyFinding[] EnforcedBy { get; set; } = Array.Empty<PolicyFinding>();

    /// <summary>Mechanisms that would refuse hostNetwork but only warn or audit: reported, never counted.</summary>
    public PolicyFinding[] AuditOnly { get; set; } = Array.Empty<PolicyFinding>();

    /// <summary>Enforcing mechanisms that refuse hostNetwork for some pods only (selectors, conditions, user exemptions, params).</summary>
    public PolicyFinding[] Conditional { get; set; } = Array.Empty<PolicyFinding>();

    /// <summary>Mechanisms that could not be judged (unreadable policy kinds, CEL or Rego not understood).</summary>
    public PolicyFinding[] Unknown { get; set; } = Array.Empty<PolicyFinding>();

    /// <summary>Context that explains the verdict: engine exemptions, PodSecurityPolicies, namespace-labelling policies, policies that deny every pod.</summary>
    public PolicyFinding[] Informational { get; set; } = Array.Empty<PolicyFinding>();

    /// <summary>The effective Pod Security Admission enforce level and version, "level:version" (e.g. "baseline:latest").</summary>
    public string PodSecurity { get; set; } = "privileged:latest";

    /// <summary>Where the enforce level comes from: Label, ConfigurationDefault, ConfigurationExemption or AssumedBuiltInDefault.</summary>
    public string PodSecuritySource { get; set; } = PodSecuritySources.AssumedBuiltInDefault;

    /// <summary>The effective warn level and version.</summary>
    public string PodSecurityWarn { get; set; } = "privileged:latest";

    /// <summary>The effective audit level and version.</summary>
    public string PodSecurityAudit { get; set; } = "privileged:latest";

    /// <summary>Pods running with hostNetwork in the namespace now (null when they could not be listed).</summary>
    public int? HostNetworkPodCount { get; set; }

    /// <summary>Of those, pods of workloads the exemptions file declares.</summary>
    public int ExemptHostNetworkPodCount { get; set; }

    /// <summary>The result of the server-side dry-run probe (-Probe), else null.</summary>
    public PolicyProbeResult? Probe { get; set; }

    /// <summary>The status the policies alone give, before the probe (equal to Status unless the probe overruled it).</summary>
    public string StaticStatus { get; set; } = PolicyStatus.Unknown;

    /// <summary>One sentence an admin can act on.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>The justification of the declared exemption that applies to this namespace, if any.</summary>
    public string? Exemption { get; set; }

    /// <summary>The exemptions file that declared it.</summary>
    public string? ExemptionSource { get; set; }

    /// <summary>
    /// The exceptions of the module's own targeted hostNetwork policy that admit hostNetwork pods here
    /// ("DaemonSet/cilium: justification"), listed when the audit regenerated that policy from its annotation,
    /// found it identical and every exception declared in the exemptions file.
    /// </summary>
    public string[] PolicyExceptions { get; set; } = Array.Empty<string>();

    /// <summary>For offline evidence: the file the Namespace object came from.</summary>
    public string? SourcePath { get; set; }

    /// <summary>"Engine/Policy" of the enforcing findings on one line ("-" when none), e.g. for Format-Table -Property.</summary>
    public string EnforcedByText => EnforcedBy.Length == 0 ? "-" : string.Join(", ", EnforcedBy.Select(f => f.ShortName));

    /// <summary>The PSA column: the enforce level (with its version unless latest), marked "(assumed)" when the
    /// built-in default is assumed and "(config)" when it comes from the PodSecurity configuration.</summary>
    public string PodSecurityText
    {
        get
        {
            var separator = PodSecurity.IndexOf(':', StringComparison.Ordinal);
            var level = separator < 0 || PodSecurity.EndsWith(":latest", StringComparison.Ordinal) ? (separator < 0 ? PodSecurity : PodSecurity[..separator]) : PodSecurity;
            return PodSecuritySource switch
            {
                PodSecuritySources.Label => level,
                PodSecuritySources.AssumedBuiltInDefault => level + " (assumed)",
                PodSecuritySources.ConfigurationExemption => "exempt (config)",
                _ => level + " (config)",
            };
        }
    }

    public override string ToString() => Namespace + ": " + Status;
}

/// <summary>The Status values of a NamespacePolicyResult.</summary>
internal static class PolicyStatus
{
    public const string Compliant = "Compliant";
    public const string NonCompliant = "NonCompliant";
    public const string Conditional = "Conditional";
    public const string Exempt = "Exempt";
    public const string Unknown = "Unknown";
}

/// <summary>Where the effective Pod Security Admission enforce level comes from.</summary>
internal static class PodSecuritySources
{
    /// <summary>The namespace's pod-security.kubernetes.io/enforce label.</summary>
    public const string Label = "Label";

    /// <summary>The defaults of the AdmissionConfiguration / PodSecurityConfiguration given with -AdmissionConfiguration.</summary>
    public const string ConfigurationDefault = "ConfigurationDefault";

    /// <summary>The namespace is in the configuration's exemptions.namespaces: PSA does not check it.</summary>
    public const string ConfigurationExemption = "ConfigurationExemption";

    /// <summary>No label and no configuration given: the Kubernetes built-in default (privileged) is assumed.</summary>
    public const string AssumedBuiltInDefault = "AssumedBuiltInDefault";
}

namespace HostNetAudit;

/// <summary>
/// One admission mechanism as it bears on hostNetwork pods in one namespace: a PSA label, a Kyverno rule,
/// a Gatekeeper constraint, a ValidatingAdmissionPolicy binding, a probe answer. Flat, string-typed.
/// </summary>
public sealed class PolicyFinding
{
    /// <summary>PodSecurityAdmission, Kyverno, Gatekeeper, ValidatingAdmissionPolicy, PodSecurityPolicy,
    /// MutatingAdmissionPolicy, Probe or HostNetAudit (the module itself, e.g. an unreadable policy kind).</summary>
    public string Engine { get; set; } = string.Empty;

    /// <summary>The object's kind: Namespace (PSA label), ClusterPolicy, Policy, ValidatingPolicy, a constraint kind,
    /// ValidatingAdmissionPolicyBinding, PodSecurityPolicy, PodSecurityConfiguration, ...</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>The object's name ("namespace/name" for namespaced objects).</summary>
    public string Policy { get; set; } = string.Empty;

    /// <summary>The rule, validation, binding or control inside the policy that decides, if any.</summary>
    public string? Rule { get; set; }

    /// <summary>The effective action here: Enforce, Audit, Warn (Kyverno, PSA mode), Deny, Warn, Audit (VAP and
    /// ValidatingPolicy validationActions), deny, dryrun, warn, scoped (Gatekeeper), Mutate, None.</summary>
    public string Action { get; set; } = string.Empty;

    /// <summary>Refuses, Conditional, Unknown, DeniesBoth (denies the control twin too), NotApplied (the engine
    /// skips this namespace), or Informational.</summary>
    public string Verdict { get; set; } = string.Empty;

    /// <summary>How the verdict was reached: Evaluated (against the reference pod and its twin), Text (read from
    /// the expression or template), Probe (a server-side dry-run) or Label (namespace labels).</summary>
    public string JudgedBy { get; set; } = string.Empty;

    /// <summary>What decided, in words.</summary>
    public string Detail { get; set; } = string.Empty;

    /// <summary>The engine's webhook fails open (failurePolicy Ignore): when it is down, pods are admitted.</summary>
    public bool FailOpen { get; set; }

    /// <summary>For offline evidence: the file the policy came from.</summary>
    public string? Source { get; set; }

    /// <summary>"Engine/Policy" (PSA as "PSA:level").</summary>
    public string ShortName => Engine switch
    {
        "PodSecurityAdmission" => "PSA:" + Policy,
        "ValidatingAdmissionPolicy" => "VAP/" + Policy,
        _ => Engine + "/" + Policy,
    };

    public override string ToString() => ShortName + (Rule is null ? string.Empty : "#" + Rule) + " (" + Verdict + ", " + Action + ")";
}

/// <summary>What a server-side dry-run create of the reference pod and its twin showed in one namespace.</summary>
public sealed class PolicyProbeResult
{
    /// <summary>Verified (reference denied, twin admitted, the denial names hostNetwork), Admitted (the reference
    /// pod was admitted: not compliant) or Unknown (twin denied, dry-run refused, create forbidden, ...).</summary>
    public string Outcome { get; set; } = "Unknown";

    /// <summary>Who probed (an exempt prober proves nothing about the controllers that create pods).</summary>
    public string Identity { get; set; } = string.Empty;

    /// <summary>SelfSubjectReview (the server said who we are) or KubeConfig (the credentials' user name).</summary>
    public string IdentitySource { get; set; } = string.Empty;

    /// <summary>The mechanism the denial message names (e.g. PodSecurity "baseline:latest", a webhook or policy).</summary>
    public string? Mechanism { get; set; }

    /// <summary>HTTP status of the reference pod's dry-run create.</summary>
    public int ReferenceStatusCode { get; set; }

    public string? ReferenceMessage { get; set; }

    /// <summary>HTTP status of the control twin's dry-run create.</summary>
    public int TwinStatusCode { get; set; }

    public string? TwinMessage { get; set; }

    /// <summary>
    /// Where HostNetAudit's targeted policy excepts workloads in the namespace: the excepted workload a third
    /// dry-run pod claimed to belong to ("DaemonSet/cilium": its controller ownerReference and service account),
    /// created by the probing identity instead of the workload's controller. The exception chain holds when it is
    /// refused; admitted, anyone who can create pods there can use the exception (Outcome Admitted).
    /// </summary>
    public string? SpoofedOwner { get; set; }

    /// <summary>HTTP status of the spoofed pod's dry-run create (0 when none was sent).</summary>
    public int SpoofedStatusCode { get; set; }

    public string? SpoofedMessage { get; set; }

    /// <summary>False when the probe contradicts the static verdict.</summary>
    public bool AgreesWithStatic { get; set; } = true;

    public string Detail { get; set; } = string.Empty;

    public override string ToString() => Outcome + (Mechanism is null ? string.Empty : " by " + Mechanism);
}

namespace HostNetAudit.Abstractions;

/// <summary>What Set-HostNetworkPolicy and New-HostNetworkPolicyManifest ask a source for: the targeted hostNetwork
/// policy generated from the exemptions files and the source's inventory (docs/design.md, "The targeted hostNetwork policy").</summary>
internal sealed record HostNetworkPolicyRequest
{
    /// <summary>Exemptions files (HostNetworkExemptions, YAML or JSON); only entries whose context matches the source's are used.</summary>
    public IReadOnlyList<string> ExemptionPaths { get; init; } = Array.Empty<string>();

    public PolicyValidationAction ValidationAction { get; init; } = PolicyValidationAction.Deny;

    /// <summary>Carry exact-name entries that match nothing now.</summary>
    public bool IncludeUnmatched { get; init; }

    /// <summary>Cover namespaces with undeclared running hostNetwork workloads too.</summary>
    public bool Force { get; init; }

    /// <summary>Also write the policy as a manifest for this engine (<see cref="HostNetworkPolicyPlan.Manifest"/>); null = none.</summary>
    public HostNetworkPolicyEngine? ManifestEngine { get; init; }

    /// <summary>Objects per list request.</summary>
    public int PageSize { get; init; } = 500;
}

/// <summary>A workload that runs (or templates) hostNetwork and no exception declares: top owner (Pod for a bare pod)
/// and its running pods.</summary>
internal sealed record HostNetworkPolicyWorkload(string Kind, string Name, int Pods)
{
    public override string ToString() => $"{Kind}/{Name} ({Pods} pod{(Pods == 1 ? string.Empty : "s")})";
}

/// <summary>A namespace the binding leaves out: Reason "Exempt" (a namespace entry, with its justification) or
/// "UndeclaredWorkloads" (with the workloads).</summary>
internal sealed record HostNetworkPolicyLeftOut(string Namespace, string Reason, string? Justification, IReadOnlyList<HostNetworkPolicyWorkload> Workloads);

/// <summary>One exception the policy carries: Kind is the workload kind, Pod for a bare pod, MirrorPod for a static
/// pod's mirror pods (Name is the declared name; the pods are Name-&lt;node&gt;).</summary>
internal sealed record HostNetworkPolicyExceptionInfo(
    string Kind,
    string Namespace,
    string Name,
    string Justification,
    DateTimeOffset? Expires,
    IReadOnlyList<string> ServiceAccounts,
    IReadOnlyList<string> Requesters,
    IReadOnlyList<string> Debuggers,
    string? CreatedBy,
    string Entry);

/// <summary>A warning of the generation, with a stable id (ExemptionMatchesNothing ...) and what it is about.</summary>
internal sealed record HostNetworkPolicyWarning(string Id, string Target, string Message);

/// <summary>The generated policy, as the engine hands it to a cmdlet: the two objects as JSON text (what is applied),
/// what they protect and leave out, the exceptions, the controller identity and the warnings.</summary>
internal sealed record HostNetworkPolicyPlan
{
    public string Context { get; init; } = string.Empty;

    public string PolicyName { get; init; } = string.Empty;

    public string BindingName { get; init; } = string.Empty;

    /// <summary>The ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) as compact JSON.</summary>
    public string PolicyJson { get; init; } = string.Empty;

    /// <summary>The ValidatingAdmissionPolicyBinding as compact JSON.</summary>
    public string BindingJson { get; init; } = string.Empty;

    public IReadOnlyList<string> ProtectedNamespaces { get; init; } = Array.Empty<string>();

    public IReadOnlyList<HostNetworkPolicyLeftOut> LeftOut { get; init; } = Array.Empty<HostNetworkPolicyLeftOut>();

    public IReadOnlyList<HostNetworkPolicyExceptionInfo> Exceptions { get; init; } = Array.Empty<HostNetworkPolicyExceptionInfo>();

    public IReadOnlyList<HostNetworkPolicyWarning> Warnings { get; init; } = Array.Empty<HostNetworkPolicyWarning>();

    /// <summary>The controller identity the chains accept: "Either" (per-controller service accounts or
    /// system:kube-controller-manager), "ServiceAccounts" or "ControllerManager".</summary>
    public string ControllerIdentity { get; init; } = "Either";

    /// <summary>The identity the cluster was seen to use: "ServiceAccounts", "ControllerManager" or "Unknown".</summary>
    public string ObservedControllerIdentity { get; init; } = "Unknown";

    public PolicyValidationAction ValidationAction { get; init; }

    /// <summary>The manifest for <see cref="HostNetworkPolicyRequest.ManifestEngine"/> (YAML, with its header), or null.</summary>
    public string? Manifest { get; init; }
}

using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Exemptions;

namespace HostNetAudit.Engine.Policy.Targeted;

/// <summary>
/// Who the controller chains accept as the controller that creates a ReplicaSet, Job or pod: the per-controller service
/// accounts (kube-controller-manager with --use-service-account-credentials), its own user system:kube-controller-manager
/// (without that flag), or either (the default: the generator cannot always tell which one a cluster uses).
/// </summary>
internal enum ControllerIdentityMode
{
    Either,
    ServiceAccounts,
    ControllerManager,
}

/// <summary>Which controller identity a cluster was seen to use, when the caller could tell (see <see cref="ControllerIdentityMode"/>).</summary>
internal enum ObservedControllerIdentity
{
    Unknown,
    ServiceAccounts,
    ControllerManager,
}

/// <summary>What an exception admits at its top: a workload (or bare pod) by kind and exact name, or the mirror pods of a
/// static pod by the name the kubelet gives them (declared name + "-" + node name).</summary>
internal enum ExceptionShape
{
    Workload,
    MirrorPod,
}

/// <summary>
/// One exception carried by the targeted policy: a workload entry of the exemptions file expanded to one existing name
/// (or carried as written with IncludeUnmatched). Kind is a built-in kind (Pod for a bare pod), or a custom owner kind
/// with <see cref="CreatedBy"/>; <see cref="ServiceAccounts"/> are the service accounts its pods run as (its template's,
/// else its running pods'); for a mirror pod, Name is the static pod's declared name and no service account applies.
/// </summary>
internal sealed record PolicyException(
    ExceptionShape Shape,
    string Kind,
    string? Group,
    string Namespace,
    string Name,
    IReadOnlyList<string> ServiceAccounts,
    IReadOnlyList<string> Requesters,
    IReadOnlyList<string> Debuggers,
    string? CreatedBy,
    string Justification,
    DateTimeOffset? Expires,
    string Entry)
{
    public string Describe() => Shape == ExceptionShape.MirrorPod ? $"mirror pods {Namespace}/{Name}-<node>" : $"{Kind}/{Namespace}/{Name}";

    /// <summary>As a namespace's result lists it: "DaemonSet/cilium: justification".</summary>
    public string Label() => $"{(Shape == ExceptionShape.MirrorPod ? "MirrorPod" : Kind)}/{Name}: {Justification}";
}

/// <summary>A running hostNetwork workload no exception covers: its top owner (Pod for a bare pod), and how many of its pods
/// run (0 for a template with no pods yet).</summary>
internal sealed record UndeclaredWorkload(string Kind, string Name, int Pods)
{
    public override string ToString() => $"{Kind}/{Name} ({Pods} pod{(Pods == 1 ? string.Empty : "s")})";
}

/// <summary>Why a namespace is not covered by the binding.</summary>
internal enum LeftOutReason
{
    /// <summary>A namespace entry of the exemptions file exempts it.</summary>
    Exempt,

    /// <summary>It runs (or templates) hostNetwork workloads no exception covers; -Force covers it anyway.</summary>
    UndeclaredWorkloads,
}

/// <summary>A namespace the binding leaves out (kubernetes.io/metadata.name NotIn), why, and the undeclared workloads.</summary>
internal sealed record LeftOutNamespace(string Namespace, LeftOutReason Reason, string? Justification, IReadOnlyList<UndeclaredWorkload> Workloads);

/// <summary>A warning of the generation, with a stable id (ExemptionMatchesNothing ...) and the entry or namespace it is about.</summary>
internal sealed record PolicyWarning(string Id, string Target, string Message, Exemption? Entry = null);

/// <summary>
/// What the generator needs of a cluster: its namespaces, its running hostNetwork pods (owners resolved to the top
/// controller, mirror pods marked, node names) and its hostNetwork workload templates. Live or offline, from the
/// evidence source.
/// </summary>
internal sealed record TargetedInventory(IReadOnlyList<string> Namespaces, IReadOnlyList<HostNetworkPod> Pods, IReadOnlyList<HostNetworkWorkload> Workloads);

/// <summary>The generator's options (see docs/design.md, "The targeted hostNetwork policy").</summary>
internal sealed record TargetedPolicyOptions
{
    /// <summary>The context the policy is for: only exemption entries whose context: matches are used.</summary>
    public string Context { get; init; } = string.Empty;

    public PolicyValidationAction ValidationAction { get; init; } = PolicyValidationAction.Deny;

    public ControllerIdentityMode ControllerIdentity { get; init; } = ControllerIdentityMode.Either;

    /// <summary>What the caller saw the cluster use (recorded on the plan), when it could tell.</summary>
    public ObservedControllerIdentity ObservedControllerIdentity { get; init; } = ObservedControllerIdentity.Unknown;

    /// <summary>Carry exact-name entries that match nothing now (wildcards that match nothing are always dropped).</summary>
    public bool IncludeUnmatched { get; init; }

    /// <summary>Cover namespaces with undeclared running hostNetwork workloads too (their next re-creation fails).</summary>
    public bool Force { get; init; }
}

/// <summary>
/// The generator's result: the two objects (as JSON, ready to apply or to write as YAML), what they protect and leave
/// out, the exceptions with their justifications, the controller identity, and the warnings.
/// </summary>
internal sealed record TargetedPolicyPlan(
    JsonObject Policy,
    JsonObject Binding,
    IReadOnlyList<string> ProtectedNamespaces,
    IReadOnlyList<LeftOutNamespace> LeftOut,
    IReadOnlyList<PolicyException> Exceptions,
    IReadOnlyList<PolicyWarning> Warnings,
    ControllerIdentityMode ControllerIdentity,
    ObservedControllerIdentity ObservedControllerIdentity,
    PolicyValidationAction ValidationAction)
{
    /// <summary>The namespaces the binding excludes by name (exempt and left out), sorted.</summary>
    public IReadOnlyList<string> ExcludedNamespaces => LeftOut.Select(l => l.Namespace).Order(StringComparer.Ordinal).ToList();
}

namespace HostNetAudit;

/// <summary>
/// One change (or planned, refused, rolled back or failed change) of the module's targeted hostNetwork admission
/// policy in one cluster: a ValidatingAdmissionPolicy and its binding. Output of Set-, Remove- and
/// Restore-HostNetworkPolicy; Restore-HostNetworkPolicy takes it back. The objects are kept as JSON text, so the
/// record survives ConvertTo-Json/ConvertFrom-Json and Export-Clixml/Import-Clixml without losing what undo needs.
/// </summary>
public sealed class HostNetworkPolicyChange
{
    /// <summary>The kubeconfig context (or token-mode cluster name) of the cluster.</summary>
    public string Context { get; set; } = string.Empty;

    /// <summary>Set, Remove or Restore.</summary>
    public string Operation { get; set; } = "Set";

    /// <summary>
    /// Applied, WouldApply (-WhatIf), Unchanged (the cluster already holds these objects), Skipped (refused or
    /// declined), RolledBack (written, not proven enforcing, put back), Failed (the record's After says what exists).
    /// </summary>
    public string Action { get; set; } = string.Empty;

    /// <summary>The ValidatingAdmissionPolicy's name.</summary>
    public string PolicyName { get; set; } = string.Empty;

    /// <summary>The ValidatingAdmissionPolicyBinding's name.</summary>
    public string BindingName { get; set; } = string.Empty;

    /// <summary>admissionregistration.k8s.io/v1 (or v1beta1 where only that is served and proven).</summary>
    public string ApiVersion { get; set; } = string.Empty;

    /// <summary>The binding's validationActions: Deny, Warn or Audit.</summary>
    public string ValidationAction { get; set; } = string.Empty;

    /// <summary>The policy as it was before (JSON, server fields uid/resourceVersion/managedFields included); null when absent.</summary>
    public string? PolicyBefore { get; set; }

    /// <summary>The binding as it was before (JSON); null when absent.</summary>
    public string? BindingBefore { get; set; }

    /// <summary>The policy as written (Applied), planned (WouldApply) or as it is now (other actions); null when absent.</summary>
    public string? PolicyAfter { get; set; }

    /// <summary>The binding as written, planned, or as it is now; null when absent.</summary>
    public string? BindingAfter { get; set; }

    /// <summary>Namespaces the binding covers that it did not cover before.</summary>
    public string[] NamespacesProtected { get; set; } = Array.Empty<string>();

    /// <summary>Namespaces left out of the binding, and why (declared exempt, or undeclared hostNetwork workloads running).</summary>
    public HostNetworkPolicyLeftOut[] NamespacesLeftOut { get; set; } = Array.Empty<HostNetworkPolicyLeftOut>();

    /// <summary>The exceptions the policy grants, each from an entry of the exemptions file, with its justification.</summary>
    public HostNetworkPolicyExemption[] Exceptions { get; set; } = Array.Empty<HostNetworkPolicyExemption>();

    /// <summary>
    /// The identity the cluster's controllers create pods and ReplicaSets as: "service accounts"
    /// (--use-service-account-credentials, system:serviceaccount:kube-system:*-controller) or
    /// "system:kube-controller-manager"; both are accepted by the policy.
    /// </summary>
    public string ControllerIdentity { get; set; } = string.Empty;

    /// <summary>The apiserver's Warning headers and the generator's warnings (ExemptionMatchesNothing ...).</summary>
    public string[] Warnings { get; set; } = Array.Empty<string>();

    /// <summary>One sentence: why this action.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>The exemptions file the policy was generated from (Set).</summary>
    public string? ExemptionPath { get; set; }

    /// <summary>The API server URL (display only).</summary>
    public string? Server { get; set; }

    /// <summary>When the record was made (UTC).</summary>
    public DateTimeOffset Timestamp { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>How many namespaces were newly protected (for the table).</summary>
    public int ProtectedCount => NamespacesProtected?.Length ?? 0;

    /// <summary>How many namespaces the binding leaves out (for the table).</summary>
    public int LeftOutCount => NamespacesLeftOut?.Length ?? 0;

    /// <summary>How many exceptions the policy grants (for the table).</summary>
    public int ExceptionCount => Exceptions?.Length ?? 0;

    public override string ToString() => Context + ": " + Action;

    /// <summary>Sets <see cref="Action"/> from the typed action (the record keeps the string).</summary>
    internal void SetAction(HostNetworkPolicyAction action) => Action = action.ToString();
}

/// <summary>A namespace the binding leaves out, and why.</summary>
public sealed class HostNetworkPolicyLeftOut
{
    public string Namespace { get; set; } = string.Empty;

    /// <summary>Exempt (declared in the exemptions file) or UndeclaredHostNetwork (running workloads nobody declared; -Force includes it).</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>The undeclared hostNetwork workloads, each once with its pod count: "DaemonSet/agent (3 pods)".</summary>
    public string[] Workloads { get; set; } = Array.Empty<string>();

    public override string ToString() => Workloads.Length == 0 ? $"{Namespace} ({Reason})" : $"{Namespace} ({Reason}: {string.Join(", ", Workloads)})";
}

/// <summary>An exception the policy grants: one workload of the exemptions file, with its justification.</summary>
public sealed class HostNetworkPolicyExemption
{
    /// <summary>The workload's kind (DaemonSet, Deployment, StatefulSet, ..., or a static pod).</summary>
    public string Kind { get; set; } = string.Empty;

    public string Namespace { get; set; } = string.Empty;

    /// <summary>The exact name (wildcards of the file are expanded to the names that exist when generated).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The entry's justification.</summary>
    public string Justification { get; set; } = string.Empty;

    /// <summary>The requesters the entry declares (empty: any requester for the top level, the controllers below).</summary>
    public string[] Requesters { get; set; } = Array.Empty<string>();

    /// <summary>The entry's expiry date (yyyy-MM-dd), if any.</summary>
    public string? Expires { get; set; }

    public override string ToString() => $"{Kind}/{Namespace}/{Name}";
}

/// <summary>What became of a requested policy change (the record's Action).</summary>
internal enum HostNetworkPolicyAction
{
    /// <summary>The objects were written (and, for Set, proven enforcing).</summary>
    Applied,

    /// <summary>-WhatIf: the objects would be written.</summary>
    WouldApply,

    /// <summary>The cluster already holds exactly these objects: nothing was sent.</summary>
    Unchanged,

    /// <summary>Refused by a check, or declined at the prompt.</summary>
    Skipped,

    /// <summary>Written, then not proven enforcing (or a later write failed), and put back as it was.</summary>
    RolledBack,

    /// <summary>A write failed; PolicyAfter and BindingAfter say what exists.</summary>
    Failed,
}

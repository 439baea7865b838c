namespace HostNetAudit;

/// <summary>What the targeted hostNetwork policy's binding does with a request it refuses (its validationActions):
/// -ValidationAction of Set-HostNetworkPolicy and New-HostNetworkPolicyManifest.</summary>
public enum PolicyValidationAction
{
    /// <summary>Refuse the request.</summary>
    Deny,

    /// <summary>Admit it with a warning to the client, so a policy can be staged before it refuses anything.</summary>
    Warn,

    /// <summary>Admit it and record the refusal in the audit log.</summary>
    Audit,
}

/// <summary>The admission engine New-HostNetworkPolicyManifest writes the targeted hostNetwork policy for.</summary>
public enum HostNetworkPolicyEngine
{
    /// <summary>A ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1), built into the apiserver.</summary>
    ValidatingAdmissionPolicy,

    /// <summary>A Kyverno ClusterPolicy.</summary>
    Kyverno,

    /// <summary>A Gatekeeper ConstraintTemplate and its constraint.</summary>
    Gatekeeper,
}

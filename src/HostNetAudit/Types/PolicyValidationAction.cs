namespace HostNetAudit;

/// <summary>What the policy's binding does with a refused request (its validationActions).</summary>
public enum PolicyValidationAction
{
    /// <summary>Refuses the request.</summary>
    Deny,

    /// <summary>Admits it with a warning to the client: stage a policy before it refuses anything.</summary>
    Warn,

    /// <summary>Admits it and records the failure in the audit log.</summary>
    Audit,
}

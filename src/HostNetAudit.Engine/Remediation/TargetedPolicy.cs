using System.Text.Json.Nodes;

namespace HostNetAudit.Engine.Remediation;

/// <summary>
/// What Set-HostNetworkPolicy writes and reports for one cluster: the generated policy and binding (from the
/// targeted-policy generator, for the cluster's workloads now) and the plan that goes in the record.
/// </summary>
internal sealed class TargetedPolicy
{
    public required JsonObject Policy { get; init; }

    public required JsonObject Binding { get; init; }

    /// <summary>The namespaces the binding covers (existing ones; namespaces created later are covered too).</summary>
    public IReadOnlyList<string> Covered { get; init; } = Array.Empty<string>();

    public IReadOnlyList<HostNetworkPolicyLeftOut> LeftOut { get; init; } = Array.Empty<HostNetworkPolicyLeftOut>();

    public IReadOnlyList<HostNetworkPolicyExemption> Exceptions { get; init; } = Array.Empty<HostNetworkPolicyExemption>();

    /// <summary>Running pods and templates in covered namespaces that nobody declared (only with -Force): refused from now on.</summary>
    public IReadOnlyList<RefusedItem> WouldRefuse { get; init; } = Array.Empty<RefusedItem>();

    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    public string ControllerIdentity { get; init; } = string.Empty;

    public string PolicyName => Policy["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;

    public string BindingName => Binding["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
}

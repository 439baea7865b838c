using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Remediation;

namespace HostNetAudit.Engine;

/// <summary>The targeted hostNetwork policy for this cluster as it is now (Set-HostNetworkPolicy).</summary>
internal sealed partial class ClusterSession
{
    private Task<TargetedPolicy> GenerateTargetedPolicyAsync(HostNetworkPolicySetRequest request, string version, CancellationToken cancellationToken) =>
        throw new HostNetAuditException("TargetedPolicyGeneratorMissing", FailureCategory.NotSpecified, Context, "The targeted policy generator is not built in yet.");
}

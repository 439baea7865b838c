using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy;

namespace HostNetAudit.Engine;

/// <summary>Test-NamespacePolicy against a cluster.</summary>
internal sealed partial class ClusterSession
{
    public async Task<IReadOnlyList<NamespacePolicyResult>> TestNamespacePoliciesAsync(NamespacePolicyQuery query, CancellationToken cancellationToken)
    {
        var (psa, exemptions) = NamespacePolicyService.LoadConfiguration(query, log);
        var inputs = await PolicyInputReader.FromClusterAsync(this, query, log, cancellationToken).ConfigureAwait(false);
        var (results, _) = NamespacePolicyService.Evaluate(inputs, query, psa, exemptions, log, cancellationToken);
        return results;
    }
}

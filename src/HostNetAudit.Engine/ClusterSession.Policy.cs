using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy;

namespace HostNetAudit.Engine;

/// <summary>Test-NamespacePolicy against a cluster.</summary>
internal sealed partial class ClusterSession
{
    /// <summary>Who the credentials are, when the server cannot say (shown with probe results).</summary>
    public string IdentityHint { get; init; } = "the kubeconfig user";

    public async Task<IReadOnlyList<NamespacePolicyResult>> TestNamespacePoliciesAsync(NamespacePolicyQuery query, CancellationToken cancellationToken)
    {
        var (psa, exemptions) = NamespacePolicyService.LoadConfiguration(query, log);
        var inputs = await PolicyInputReader.FromClusterAsync(this, query, log, cancellationToken).ConfigureAwait(false);
        var (results, _) = NamespacePolicyService.Evaluate(inputs, query, psa, exemptions, log, cancellationToken);
        if (query.Probe && results.Count > 0)
        {
            await new PolicyProber(Api, log, IdentityHint).ProbeAsync(results, exemptions, query.ProbeParallelism, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }
}

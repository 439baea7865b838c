using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy;

namespace HostNetAudit.Engine.Offline;

/// <summary>Test-NamespacePolicy on offline evidence: the same evaluators as a live cluster.</summary>
internal sealed partial class EvidenceSet
{
    public IReadOnlyList<NamespacePolicyResult> TestNamespacePolicies(NamespacePolicyQuery query, CancellationToken cancellationToken)
    {
        var (psa, exemptions) = NamespacePolicyService.LoadConfiguration(query, log);
        var inputs = PolicyInputReader.FromEvidence(this, log);
        var (results, _) = NamespacePolicyService.Evaluate(inputs, query, psa, exemptions, log, cancellationToken);
        return results;
    }
}

using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Audit;
using HostNetAudit.Engine.Policy;

namespace HostNetAudit.Engine.Offline;

/// <summary>Invoke-HostNetworkAudit -Path: the same verdict from files.</summary>
internal sealed partial class EvidenceSet
{
    public AuditReport Audit(AuditQuery query, CancellationToken cancellationToken)
    {
        var policyQuery = query.ToPolicyQuery();
        var (psa, exemptions) = NamespacePolicyService.LoadConfiguration(policyQuery, log);
        var inputs = PolicyInputReader.FromEvidence(this, log);
        var (results, _) = NamespacePolicyService.Evaluate(inputs, policyQuery, psa, exemptions, log, cancellationToken);
        var workloads = GetHostNetworkWorkloads(new WorkloadQuery { NamespaceFilter = query.NamespaceFilter }).ToList();
        var sources = string.Join(", ", Objects.Select(o => o.Source).Distinct(StringComparer.Ordinal).Take(3)) +
            (Objects.Select(o => o.Source).Distinct(StringComparer.Ordinal).Count() > 3 ? ", ..." : string.Empty);
        return AuditReportBuilder.Build(
            new AuditReportBuilder.Evidence(Context, sources, null, Live: false, results, inputs.HostNetworkPodObjects, workloads, exemptions),
            query);
    }
}

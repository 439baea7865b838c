using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Audit;
using HostNetAudit.Engine.Policy;

namespace HostNetAudit.Engine;

/// <summary>Invoke-HostNetworkAudit against a cluster: one list per resource kind, the pods listed once.</summary>
internal sealed partial class ClusterSession
{
    public async Task<AuditReport> AuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var policyQuery = query.ToPolicyQuery();
        var (psa, exemptions) = NamespacePolicyService.LoadConfiguration(policyQuery, log);
        log.Progress(2, "Invoke-HostNetworkAudit", $"{Context}: reading namespaces, admission policies and hostNetwork pods", -1, completed: false);
        var inputs = await PolicyInputReader.FromClusterAsync(this, policyQuery, log, cancellationToken).ConfigureAwait(false);
        var (results, _) = NamespacePolicyService.Evaluate(inputs, policyQuery, psa, exemptions, log, cancellationToken);
        if (query.Probe && results.Count > 0)
        {
            log.Progress(2, "Invoke-HostNetworkAudit", $"{Context}: probing {results.Count} namespace(s) with dry-run creates", -1, completed: false);
            await new PolicyProber(Api, log, IdentityHint).ProbeAsync(results, exemptions, query.ProbeParallelism, cancellationToken).ConfigureAwait(false);
        }

        log.Progress(2, "Invoke-HostNetworkAudit", $"{Context}: listing workload templates", -1, completed: false);
        var workloads = new List<HostNetworkWorkload>();
        try
        {
            await foreach (var workload in GetHostNetworkWorkloadsAsync(new WorkloadQuery { NamespaceFilter = query.NamespaceFilter, PageSize = query.PageSize }, cancellationToken).ConfigureAwait(false))
            {
                workloads.Add(workload);
            }
        }
        catch (KubeApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            log.Warning($"Context '{Context}': workload templates cannot be listed ({ex.Message}); the report lists none.");
        }

        log.Progress(2, "Invoke-HostNetworkAudit", Context, 100, completed: true);
        return AuditReportBuilder.Build(
            new AuditReportBuilder.Evidence(Context, Server, inputs.ServerVersion, Live: true, results, inputs.HostNetworkPodObjects, workloads, exemptions),
            query);
    }
}

using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Connection;
using HostNetAudit.Engine.Offline;

namespace HostNetAudit.Engine;

/// <summary>The engine's entry point, created by HostNetAudit.dll through its load context.</summary>
internal sealed class HostNetAuditEngine : IHostNetAuditEngine
{
    public KubeConfigInfo LoadKubeConfig(ConnectionRequest request) => ClusterConnector.LoadKubeConfig(request);

    public IClusterSession OpenCluster(ConnectionRequest request, KubeConfigInfo? kubeConfig, string? context, IEngineLog log)
    {
        var configuration = ClusterConnector.Build(request, kubeConfig, context, out var label);
        return new ClusterSession(new KubeApiClient(configuration, label, log, request.RequestTimeout, userAgent: request.UserAgent, allowInsecureTokenTransport: request.AllowInsecureTokenTransport), log)
        {
            IdentityHint = Policy.ProbeIdentity.Describe(request, kubeConfig, context),
        };
    }

    public IEvidenceSource OpenFiles(IReadOnlyList<string> paths, IEngineLog log, CancellationToken cancellationToken) =>
        EvidenceSet.Open(paths, log, cancellationToken);

    public IReadOnlyList<string> WriteReport(IReadOnlyList<AuditReport> reports, ReportFormat format, Stream output, string? previousPath = null) =>
        Reports.ReportWriter.Write(reports, format, output, previousPath);

    public IReadOnlyList<AuditReport> ReadReports(Stream input, string path) => Reports.JsonReport.Read(input, path);
}

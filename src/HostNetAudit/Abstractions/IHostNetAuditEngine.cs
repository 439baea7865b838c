namespace HostNetAudit.Abstractions;

/// <summary>
/// The engine's entry point. Implemented by HostNetAudit.Engine, which loads in its own
/// AssemblyLoadContext; every type crossing this boundary is defined in HostNetAudit.dll or the BCL,
/// so output objects keep one identity. Only the evidence-source factory (Internal/EvidenceSourceFactory.cs)
/// opens sources; cmdlets never ask which kind they hold.
/// </summary>
internal interface IHostNetAuditEngine
{
    /// <summary>Reads the kubeconfig the request names (merging a path list) and lists its contexts.</summary>
    /// <exception cref="HostNetAuditException">KubeConfigNotFound, KubeConfigUnreadable, KubeConfigInvalid.</exception>
    KubeConfigInfo LoadKubeConfig(ConnectionRequest request);

    /// <summary>
    /// Opens one live cluster. Nothing is sent until the first request.
    /// <paramref name="kubeConfig"/> and <paramref name="context"/> are null in token and in-cluster modes.
    /// </summary>
    IClusterSession OpenCluster(ConnectionRequest request, KubeConfigInfo? kubeConfig, string? context, IEngineLog log);

    /// <summary>Opens offline evidence: files or folders of JSON (kubectl -o json, any *List) and multi-document
    /// YAML, read on the first question (on the thread that asks it), once.</summary>
    IEvidenceSource OpenFiles(IReadOnlyList<string> paths, IEngineLog log, CancellationToken cancellationToken);

    /// <summary>Writes audit reports in a format to a stream (UTF-8); returns warnings for the user. For policy reports,
    /// <paramref name="previousPath"/> is the file written before (the one being replaced): results that did not change
    /// keep their timestamps.</summary>
    /// <exception cref="HostNetAuditException">ReportMultipleClusters (policy reports of several clusters).</exception>
    IReadOnlyList<string> WriteReport(IReadOnlyList<AuditReport> reports, ReportFormat format, Stream output, string? previousPath = null);

    /// <summary>Reads the reports of a JSON report file (Export-HostNetworkAuditReport -Format Json); <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="HostNetAuditException">ReportSchemaUnsupported, ReportFileInvalid.</exception>
    IReadOnlyList<AuditReport> ReadReports(Stream input, string path);
}

namespace HostNetAudit.Abstractions;

/// <summary>
/// The engine's entry point. Implemented by HostNetAudit.Engine, which loads in its own
/// AssemblyLoadContext; every type crossing this boundary is defined in HostNetAudit.dll or the BCL,
/// so output objects keep one identity.
/// </summary>
public interface IHostNetAuditEngine
{
    /// <summary>Reads the kubeconfig the request names (merging a path list) and lists its contexts.</summary>
    /// <exception cref="HostNetAuditException">KubeConfigNotFound, KubeConfigUnreadable, KubeConfigInvalid.</exception>
    KubeConfigInfo LoadKubeConfig(ConnectionRequest request);

    /// <summary>
    /// Opens a session to one cluster. Nothing is sent until the first request.
    /// <paramref name="kubeConfig"/> and <paramref name="context"/> are null in token and in-cluster modes.
    /// </summary>
    IClusterSession OpenSession(ConnectionRequest request, KubeConfigInfo? kubeConfig, string? context, IEngineLog log);

    /// <summary>Reads offline evidence: files or folders of JSON (kubectl -o json, any *List) and multi-document YAML.</summary>
    IEvidenceSet ReadEvidence(IReadOnlyList<string> paths, IEngineLog log, CancellationToken cancellationToken);

    /// <summary>Writes audit reports in a format to a stream (UTF-8).</summary>
    void WriteReport(IReadOnlyList<AuditReport> reports, ReportFormat format, Stream output);
}

/// <summary>One cluster, reached through one context. Thread-safe.</summary>
public interface IClusterSession : IDisposable
{
    /// <summary>The context name records carry.</summary>
    string Context { get; }

    /// <summary>The API server URL (display only).</summary>
    string Server { get; }

    /// <summary>Streams the pods with spec.hostNetwork=true, page by page.</summary>
    IAsyncEnumerable<HostNetworkPod> GetHostNetworkPodsAsync(PodQuery query, CancellationToken cancellationToken);

    /// <summary>Streams the workloads whose pod template sets hostNetwork: one paged list per kind.</summary>
    IAsyncEnumerable<HostNetworkWorkload> GetHostNetworkWorkloadsAsync(WorkloadQuery query, CancellationToken cancellationToken);

    /// <summary>The server's version (GET /version), or null where it does not say.</summary>
    Task<string?> GetServerVersionAsync(CancellationToken cancellationToken);

    /// <summary>Per namespace: does an enforcing admission mechanism refuse hostNetwork pods (Test-NamespacePolicy).
    /// One list per resource kind, never a request per namespace (except the probe's dry-run creates).</summary>
    Task<IReadOnlyList<NamespacePolicyResult>> TestNamespacePoliciesAsync(NamespacePolicyQuery query, CancellationToken cancellationToken);

    /// <summary>The control's verdict for this cluster, with its evidence (Invoke-HostNetworkAudit): policies,
    /// hostNetwork pods and workloads, each read with one list per resource kind.</summary>
    Task<AuditReport> AuditAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>Pod Security Admission remediation (Set-/Restore-NamespacePodSecurity) on this cluster.</summary>
    IPodSecurityRemediation PodSecurity { get; }
}

/// <summary>Offline evidence read from files, evaluated by the same code as a live cluster.</summary>
public interface IEvidenceSet
{
    /// <summary>The label records carry as Context.</summary>
    string Context { get; }

    IEnumerable<HostNetworkPod> GetHostNetworkPods(PodQuery query);

    /// <summary>Test-NamespacePolicy on the evidence (Namespace objects, policies, webhook configurations, ...).</summary>
    IReadOnlyList<NamespacePolicyResult> TestNamespacePolicies(NamespacePolicyQuery query, CancellationToken cancellationToken);

    /// <summary>Workload templates whose pod spec sets hostNetwork.</summary>
    IEnumerable<HostNetworkWorkload> GetHostNetworkWorkloads(WorkloadQuery query);

    /// <summary>The control's verdict for the evidence (Invoke-HostNetworkAudit -Path).</summary>
    AuditReport Audit(AuditQuery query, CancellationToken cancellationToken);
}

/// <summary>Which pods to look at.</summary>
public sealed class PodQuery
{
    /// <summary>Literal namespaces to list one by one (namespace-scoped lists); empty = all namespaces.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = Array.Empty<string>();

    /// <summary>Further filter applied to every namespace name (wildcards, exclusions), decided by the cmdlet.</summary>
    public Func<string, bool>? NamespaceFilter { get; init; }

    public int PageSize { get; init; } = 500;
}

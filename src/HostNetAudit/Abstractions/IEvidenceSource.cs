namespace HostNetAudit.Abstractions;

/// <summary>
/// Where the objects a cmdlet reports come from: one live cluster, or one set of offline files. Both answer the
/// same questions with the same code (the engine's EvidenceSource); only the way they list objects differs.
/// A source serves one cluster, is thread-safe, and may be asked from several threads at once (several
/// sources run concurrently, each writing through its <see cref="IEngineLog"/>).
/// </summary>
internal interface IEvidenceSource : IDisposable
{
    /// <summary>The Context the records carry: the kubeconfig context, the token mode's cluster name, "in-cluster",
    /// or "offline".</summary>
    string Context { get; }

    /// <summary>Streams the pods with spec.hostNetwork=true (a cluster: page by page, narrowed on the server).</summary>
    IAsyncEnumerable<HostNetworkPod> GetHostNetworkPodsAsync(PodQuery query, CancellationToken cancellationToken);

    /// <summary>Streams the workloads whose pod template sets hostNetwork (a cluster: one paged list per kind).</summary>
    IAsyncEnumerable<HostNetworkWorkload> GetHostNetworkWorkloadsAsync(WorkloadQuery query, CancellationToken cancellationToken);

    /// <summary>Per namespace: does an enforcing admission mechanism refuse hostNetwork pods (Test-NamespacePolicy).
    /// One list per resource kind, never a request per namespace (except the probe's dry-run creates).</summary>
    Task<IReadOnlyList<NamespacePolicyResult>> TestNamespacePoliciesAsync(NamespacePolicyQuery query, CancellationToken cancellationToken);

    /// <summary>Who can get a hostNetwork pod admitted, per namespace the query selects that admits one (for anyone or
    /// for some) or runs one (Get-HostNetworkPermission): the verdicts, plus one list each of roles, cluster roles, their
    /// bindings and service accounts, never a request per namespace or subject.</summary>
    Task<IReadOnlyList<HostNetworkPermission>> GetHostNetworkPermissionsAsync(NamespacePolicyQuery query, CancellationToken cancellationToken);

    /// <summary>The control's verdict, with its evidence (Invoke-HostNetworkAudit): the namespace verdicts of
    /// <see cref="TestNamespacePoliciesAsync"/>, the hostNetwork pods and the workload templates.</summary>
    Task<AuditReport> AuditAsync(NamespacePolicyQuery query, CancellationToken cancellationToken);

    /// <summary>The targeted hostNetwork policy generated from the exemptions files and this source's namespaces,
    /// hostNetwork pods and templates (Set-HostNetworkPolicy, New-HostNetworkPolicyManifest); nothing is written.</summary>
    /// <exception cref="HostNetAuditException">ExemptionFileInvalid, ExemptionOwnerUnsupported, list failures.</exception>
    Task<HostNetworkPolicyPlan> PlanHostNetworkPolicyAsync(HostNetworkPolicyRequest request, CancellationToken cancellationToken);
}

/// <summary>A live cluster: an evidence source that can also be changed.</summary>
internal interface IClusterSession : IEvidenceSource
{
    /// <summary>Pod Security Admission remediation (Set-/Restore-NamespacePodSecurity) on this cluster.</summary>
    IPodSecurityRemediation PodSecurity { get; }

    /// <summary>Publishing an audit's policy reports into this cluster (Publish-HostNetworkAuditReport).</summary>
    IPolicyReportPublisher PolicyReports { get; }
    /// <summary>The targeted hostNetwork admission policy (Set-, Remove-, Restore-HostNetworkPolicy) on this cluster.</summary>
    IHostNetworkPolicyRemediation HostNetworkPolicy { get; }
}

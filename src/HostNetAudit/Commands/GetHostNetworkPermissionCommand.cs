using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Who can still get a hostNetwork pod admitted: per namespace that admits one (for anyone or through an exception)
/// or runs one, every identity with a path to it, by RBAC (and system:masters and nodes by rule), one record per
/// subject, namespace and path. Live (one list each of roles, cluster roles, their bindings and service accounts, plus
/// what Test-NamespacePolicy reads) or offline (-Path). Pipeline input is collected and evaluated once per cluster.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HostNetworkPermission", DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(HostNetworkPermission))]
public sealed class GetHostNetworkPermissionCommand : HostNetAuditCmdlet
{
    private readonly Dictionary<IEvidenceSource, List<string>?> targets = new();
    private readonly List<IEvidenceSource> order = new();

    /// <summary>Namespaces to report on (wildcards). Default: all. Binds from strings and by property name.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = KubeConfigSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TokenSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = InClusterSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Parameter(Position = 0, ParameterSetName = LiteralPathSet)] // files piped in bind to -LiteralPath, never to -Namespace
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [NamespaceNameTransformation]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? Namespace { get; set; }

    /// <summary>Namespaces to leave out (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? ExcludeNamespace { get; set; }

    /// <summary>Offline evidence: files or folders of kubectl JSON output or YAML manifests (namespaces, policies, pods,
    /// roles, cluster roles, bindings, service accounts).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Offline evidence named exactly as written (no wildcards); binds PSPath by property name, so
    /// Get-ChildItem output can be piped in.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    /// <summary>The apiserver's AdmissionConfiguration or PodSecurityConfiguration: the Pod Security defaults and
    /// exemptions (usernames among them) the API cannot show.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AdmissionConfiguration { get; set; }

    /// <summary>Exemptions files: the namespaces and workloads that need the host network, and the identities
    /// (identities section) allowed to get hostNetwork pods admitted.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? ExemptionPath { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var source in GetEvidenceSources(Path, LiteralPath))
        {
            Remember(source);
        }
    }

    protected override void EndProcessing()
    {
        var configuration = PolicyConfiguration.Resolve(this, AdmissionConfiguration, ExemptionPath, probe: false);
        foreach (var piped in GetPipedEvidenceSources())
        {
            Remember(piped);
        }

        var severalSources = order.Count > 1;
        foreach (var source in order)
        {
            var selection = new NamespaceSelection(targets[source], ExcludeNamespace, excludeSystem: false);
            var query = configuration with { Namespaces = selection.Literals, NamespaceFilter = selection.IsSelected };
            ForEachSource(new[] { source }, _ =>
            {
                WriteProgress(new ProgressRecord(1, "Get-HostNetworkPermission", $"Reading admission policies and RBAC in context '{source.Context}'"));
                var records = Bridge.Wait(source.GetHostNetworkPermissionsAsync(query, CancelToken));
                WriteProgress(new ProgressRecord(1, "Get-HostNetworkPermission", "Done") { RecordType = ProgressRecordType.Completed });
                foreach (var record in records)
                {
                    WriteObject(record);
                }
            }, severalSources);
        }

        base.EndProcessing();
    }

    /// <summary>Records which namespaces this pipeline record asks for, per source (null: all of them).</summary>
    private void Remember(IEvidenceSource source)
    {
        if (!targets.TryGetValue(source, out var namespaces))
        {
            namespaces = new List<string>();
            targets[source] = namespaces;
            order.Add(source);
        }

        if (Namespace is null || Namespace.Length == 0)
        {
            targets[source] = null;
        }
        else
        {
            namespaces?.AddRange(Namespace.Where(n => !string.IsNullOrWhiteSpace(n)));
        }
    }
}

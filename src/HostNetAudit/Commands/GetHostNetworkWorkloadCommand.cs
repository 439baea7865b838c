using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Lists the workloads whose pod template sets spec.hostNetwork: true (Deployment, DaemonSet, StatefulSet,
/// ReplicaSet without a Deployment, Job without a CronJob, CronJob, ReplicationController), live (one paged
/// list per kind) or from offline evidence (-Path). Templates count even at zero replicas, suspended or
/// scheduled nowhere: they create hostNetwork pods as soon as they run.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HostNetworkWorkload", DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(HostNetworkWorkload))]
public sealed class GetHostNetworkWorkloadCommand : HostNetAuditCmdlet
{
    /// <summary>Namespaces to look in (wildcards). Default: all.</summary>
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

    /// <summary>Leaves out kube-system, kube-public and kube-node-lease.</summary>
    [Parameter]
    public SwitchParameter ExcludeSystemNamespaces { get; set; }

    /// <summary>Workload kinds to look at. Default: all of them.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public WorkloadKind[]? Kind { get; set; }

    /// <summary>Offline evidence: files or folders of kubectl JSON output or YAML manifests.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Offline evidence named exactly as written (no wildcards, for names such as pod[1].yaml); binds PSPath
    /// by property name, so Get-ChildItem output can be piped in.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    /// <summary>Objects per list request (limit); each list is paged with continue tokens.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = InClusterSet)]
    [ValidateRange(1, 10000)]
    public int PageSize { get; set; } = 500;

    protected override void ProcessRecord()
    {
        var selection = new NamespaceSelection(Namespace, ExcludeNamespace, ExcludeSystemNamespaces.IsPresent);
        if (selection.IsEmptySelection)
        {
            return;
        }

        var query = new WorkloadQuery
        {
            Kinds = Kind is { Length: > 0 } ? Kind : WorkloadQuery.AllKinds,
            Namespaces = selection.Literals,
            NamedNamespaces = selection.Named,
            NamespaceFilter = selection.IsSelected,
            PageSize = PageSize,
        };

        // Manifests carry no uid: there the file tells objects of the same name apart.
        StreamFromEachSource(
            Path,
            LiteralPath,
            source => source.GetHostNetworkWorkloadsAsync(query, CancelToken),
            workload => workload.Context + "\0" + workload.Kind + "\0" + (workload.Uid ?? workload.SourcePath + "\0" + workload.Namespace + "/" + workload.Name));
    }
}

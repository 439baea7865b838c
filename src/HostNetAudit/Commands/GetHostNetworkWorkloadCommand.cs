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
    private readonly HashSet<string> written = new(StringComparer.Ordinal);
    private readonly EvidenceCache evidence = new();

    /// <summary>Namespaces to look in (wildcards). Default: all.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
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
            NamespaceFilter = selection.IsSelected,
            PageSize = PageSize,
        };

        if (IsOffline)
        {
            var set = evidence.Get(this, Path!, CancelToken);
            if (set is not null)
            {
                foreach (var workload in set.GetHostNetworkWorkloads(query))
                {
                    Emit(workload);
                }
            }

            return;
        }

        ForEachCluster(GetSessions(), session =>
        {
            foreach (var workload in Bridge.Stream(session.GetHostNetworkWorkloadsAsync(query, CancelToken), CancelToken))
            {
                Emit(workload);
            }
        });
    }

    private void Emit(HostNetworkWorkload workload)
    {
        // Written once even when a namespace is named twice or an object is exported in two files; manifests
        // carry no uid, so there the file tells objects of the same name apart.
        var key = workload.Context + "\0" + workload.Kind + "\0" + (workload.Uid ?? workload.SourcePath + "\0" + workload.Namespace + "/" + workload.Name);
        if (written.Add(key))
        {
            WriteObject(workload);
        }
    }
}

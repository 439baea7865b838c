using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Lists the pods that run with spec.hostNetwork: true, live (server-side field selector, paged and
/// streamed) or from offline evidence (-Path).
/// </summary>
[Cmdlet(VerbsCommon.Get, "HostNetworkPod", DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(HostNetworkPod))]
public sealed class GetHostNetworkPodCommand : HostNetAuditCmdlet
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

    /// <summary>Offline evidence: files or folders of kubectl JSON output or YAML manifests.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Objects per list request (limit); the list is paged with continue tokens.</summary>
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

        var query = new PodQuery
        {
            Namespaces = selection.Literals,
            NamespaceFilter = selection.IsSelected,
            PageSize = PageSize,
        };

        if (IsOffline)
        {
            var set = evidence.Get(this, Path!, CancelToken);
            if (set is not null)
            {
                foreach (var pod in set.GetHostNetworkPods(query))
                {
                    Emit(pod);
                }
            }

            return;
        }

        ForEachCluster(GetSessions(), session =>
        {
            foreach (var pod in Bridge.Stream(session.GetHostNetworkPodsAsync(query, CancelToken), CancelToken))
            {
                Emit(pod);
            }
        });
    }

    private void Emit(HostNetworkPod pod)
    {
        // A namespace named twice, or a pod exported in two evidence files, is written once. Manifests carry
        // no uid: there the file tells pods of the same name apart.
        var key = pod.Context + "\0" + (pod.Uid ?? pod.SourcePath + "\0" + pod.Namespace + "/" + pod.Name);
        if (written.Add(key))
        {
            WriteObject(pod);
        }
    }
}

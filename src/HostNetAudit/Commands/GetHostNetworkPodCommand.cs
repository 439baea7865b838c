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

    /// <summary>Nodes the pods run on (wildcards). Default: any node, and pods not yet scheduled.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Node { get; set; }

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

        var nodes = Node?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        var query = new PodQuery
        {
            Namespaces = selection.Literals,
            NamedNamespaces = selection.Named,
            NamespaceFilter = selection.IsSelected,
            NodeName = Node is [var only] && !WildcardPattern.ContainsWildcardCharacters(only) ? only : null,
            NodeFilter = nodes is null ? null : node => nodes.Any(p => p.IsMatch(node)),
            PageSize = PageSize,
        };

        // Manifests carry no uid: there the file tells pods of the same name apart.
        StreamFromEachSource(
            Path,
            LiteralPath,
            source => source.GetHostNetworkPodsAsync(query, CancelToken),
            pod => pod.Context + "\0" + (pod.Uid ?? pod.SourcePath + "\0" + pod.Namespace + "/" + pod.Name));
    }
}

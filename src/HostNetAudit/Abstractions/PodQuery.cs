namespace HostNetAudit.Abstractions;

/// <summary>Which hostNetwork pods Get-HostNetworkPod asks an evidence source for.</summary>
internal sealed class PodQuery
{
    /// <summary>Literal namespaces to list one by one (namespace-scoped lists); empty = all namespaces.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = Array.Empty<string>();

    /// <summary>Namespaces named literally, also beside wildcards: one that yields nothing is checked to exist (NamespaceNotFound).</summary>
    public IReadOnlyList<string> NamedNamespaces { get; init; } = Array.Empty<string>();

    /// <summary>Further filter applied to every namespace name (wildcards, exclusions), decided by the cmdlet.</summary>
    public Func<string, bool>? NamespaceFilter { get; init; }

    /// <summary>One node the pods must run on: a cluster narrows its list with a spec.nodeName field selector.
    /// <see cref="NodeFilter"/> still decides; null = no node named literally.</summary>
    public string? NodeName { get; init; }

    /// <summary>Which node names to keep (wildcards), decided by the cmdlet; a pod not yet scheduled to a node
    /// passes only when this is null.</summary>
    public Func<string, bool>? NodeFilter { get; init; }

    /// <summary>Objects per list request.</summary>
    public int PageSize { get; init; } = 500;
}

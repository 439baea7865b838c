using System.Management.Automation;

namespace HostNetAudit.Internal;

/// <summary>
/// -Namespace / -ExcludeNamespace / -ExcludeSystemNamespaces as one decision: which literal namespaces
/// can be listed one by one, and a filter for every name.
/// </summary>
internal sealed class NamespaceSelection
{
    public static readonly IReadOnlyList<string> SystemNamespaces = new[] { "kube-system", "kube-public", "kube-node-lease" };

    private readonly WildcardPattern[] include;
    private readonly WildcardPattern[] exclude;

    public NamespaceSelection(IEnumerable<string>? namespaces, IEnumerable<string>? excludeNamespaces, bool excludeSystem)
    {
        var names = (namespaces ?? Array.Empty<string>()).Where(n => !string.IsNullOrWhiteSpace(n)).ToArray();
        include = names.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        var excluded = (excludeNamespaces ?? Array.Empty<string>()).Where(n => !string.IsNullOrWhiteSpace(n));
        if (excludeSystem)
        {
            excluded = excluded.Concat(SystemNamespaces);
        }

        exclude = excluded.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();

        // Literal names can be listed namespace by namespace; one wildcard means one cluster-wide list. Either way
        // a literal name is checked: a typo must not look like a clean answer.
        Named = names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)).Distinct(StringComparer.Ordinal).Where(IsSelected).ToArray();
        Literals = names.Length > 0 && names.All(n => !WildcardPattern.ContainsWildcardCharacters(n))
            ? Named
            : Array.Empty<string>();
        IsEmptySelection = names.Length > 0 && Literals.Count == 0 && names.All(n => !WildcardPattern.ContainsWildcardCharacters(n));
    }

    /// <summary>Every namespace named literally (not excluded), also beside wildcards: one that does not exist is reported.</summary>
    public IReadOnlyList<string> Named { get; }

    /// <summary>Namespaces to list one by one; empty means list all namespaces and filter.</summary>
    public IReadOnlyList<string> Literals { get; }

    /// <summary>Every named namespace is excluded: nothing to do.</summary>
    public bool IsEmptySelection { get; }

    public bool IsSelected(string ns) =>
        (include.Length == 0 || include.Any(p => p.IsMatch(ns))) && !exclude.Any(p => p.IsMatch(ns));
}

using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Gatekeeper;

/// <summary>A constraint's spec.match, compiled once: kinds, scope, namespaces, excludedNamespaces (prefix or
/// suffix globs), namespaceSelector, labelSelector and name.</summary>
internal sealed class GatekeeperMatch
{
    private readonly Scope? constantNo;
    private readonly string[] namespaces;
    private readonly string[] excluded;
    private readonly CompiledSelector? namespaceSelector;
    private readonly Scope podScope;

    public GatekeeperMatch(JsonElement match, Scope templateScope)
    {
        podScope = templateScope;
        var kinds = match.Get("kinds").Items().ToList();
        // As Gatekeeper matches: an entry with no apiGroups matches every group, with no kinds every kind.
        if (kinds.Count > 0 && !kinds.Any(k =>
                (!k.Get("apiGroups").Items().Any() || k.Get("apiGroups").Items().Select(g => g.AsString()).Any(g => g is "" or "*")) &&
                (!k.Get("kinds").Items().Any() || k.Get("kinds").Items().Select(n => n.AsString()).Any(n => n is "Pod" or "*"))))
        {
            constantNo = Scope.No("match.kinds does not include Pod");
        }
        else if (match.Get("scope").AsString() is "Cluster")
        {
            constantNo = Scope.No("match.scope is Cluster");
        }
        else if (match.Get("source").AsString() is "Generated")
        {
            constantNo = Scope.No("match.source is Generated: it judges only the resources Gatekeeper expands from workload templates, not the creation of a pod");
        }

        namespaces = match.Get("namespaces").Items().Select(n => n.AsString() ?? string.Empty).ToArray();
        excluded = match.Get("excludedNamespaces").Items().Select(n => n.AsString() ?? string.Empty).ToArray();
        if (match.Get("namespaceSelector").Exists())
        {
            namespaceSelector = CompiledSelector.From(match.Get("namespaceSelector"));
        }

        if (!LabelSelector.SelectsEverything(match.Get("labelSelector")))
        {
            podScope = podScope.And(Scope.Depends($"match.labelSelector ({LabelSelector.Describe(match.Get("labelSelector"))}) selects pods by label"));
        }

        if (match.Get("name").AsString() is { } name && name != "*")
        {
            podScope = podScope.And(Scope.Depends($"match.name selects pods named {name}"));
        }
    }

    /// <summary>Whether the constraint selects the reference pod's create here; excludedHere when excludedNamespaces removes it.</summary>
    public Scope Evaluate(NamespaceInfo ns, out bool excludedHere)
    {
        excludedHere = false;
        if (constantNo is { } no)
        {
            return no;
        }

        if (namespaces.Length > 0 && !namespaces.Any(n => Wildcard.MatchGlob(n, ns.Name)))
        {
            return Scope.No("match.namespaces does not include it");
        }

        foreach (var pattern in excluded)
        {
            if (Wildcard.MatchGlob(pattern, ns.Name))
            {
                excludedHere = true;
                return Scope.No($"match.excludedNamespaces lists {pattern}");
            }
        }

        if (namespaceSelector is not null)
        {
            var selected = namespaceSelector.Matches(ns.Labels);
            if (selected is null)
            {
                return Scope.Unknown("match.namespaceSelector cannot be evaluated");
            }

            if (selected == false)
            {
                return Scope.No($"match.namespaceSelector ({namespaceSelector.Description}) does not select it");
            }
        }

        return podScope;
    }
}

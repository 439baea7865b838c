using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy;

/// <summary>
/// admissionregistration.k8s.io MatchResources (ValidatingAdmissionPolicy matchConstraints, binding
/// matchResources, Kyverno ValidatingPolicy matchConstraints) for the reference pod's create in a namespace.
/// </summary>
internal static class MatchConstraints
{
    /// <summary>True when resourceRules cover CREATE of pods (and excludeResourceRules do not remove it for every pod).</summary>
    public static bool CoversPodCreate(JsonElement matchResources) =>
        matchResources.Get("resourceRules").Items().Any(WebhookWiring.CoversPodCreate);

    /// <summary>
    /// Whether the match resources select the reference pod's create in the namespace. When
    /// <paramref name="rulesOptional"/> (a binding's matchResources), absent resourceRules mean "as the policy".
    /// </summary>
    public static Scope Scope(JsonElement matchResources, NamespaceInfo ns, string where, bool rulesOptional = false)
    {
        if (!matchResources.Exists())
        {
            return Policy.Scope.Yes();
        }

        var rules = matchResources.Get("resourceRules").Items().ToList();
        var scope = Policy.Scope.Yes();
        if (rules.Count > 0 || !rulesOptional)
        {
            var covering = rules.Where(WebhookWiring.CoversPodCreate).ToList();
            if (covering.Count == 0)
            {
                return Policy.Scope.No($"{where}.resourceRules do not cover pod creation");
            }

            if (covering.All(r => r.Get("resourceNames").Items().Any()))
            {
                scope = scope.And(Policy.Scope.Depends($"{where}.resourceRules name particular pods"));
            }
        }

        foreach (var exclude in matchResources.Get("excludeResourceRules").Items().Where(WebhookWiring.CoversPodCreate))
        {
            scope = scope.And(exclude.Get("resourceNames").Items().Any()
                ? Policy.Scope.Depends($"{where}.excludeResourceRules exempt pods named {string.Join(", ", exclude.Get("resourceNames").Items().Select(n => n.AsString()))}")
                : Policy.Scope.No($"{where}.excludeResourceRules exclude pod creation"));
        }

        var namespaceSelector = matchResources.Get("namespaceSelector");
        var selected = LabelSelector.Matches(namespaceSelector, ns.Labels);
        if (selected is null)
        {
            return Policy.Scope.Unknown($"{where}.namespaceSelector cannot be evaluated");
        }

        if (selected == false)
        {
            return Policy.Scope.No($"{where}.namespaceSelector ({LabelSelector.Describe(namespaceSelector)}) does not select {ns.Name}");
        }

        var objectSelector = matchResources.Get("objectSelector");
        if (!LabelSelector.SelectsEverything(objectSelector))
        {
            scope = scope.And(Policy.Scope.Depends($"{where}.objectSelector ({LabelSelector.Describe(objectSelector)}) selects pods by label"));
        }

        return scope;
    }
}

/// <summary>MatchResources compiled once and evaluated per namespace.</summary>
internal sealed class CompiledMatchResources
{
    private readonly Scope? constant;
    private readonly Scope podScope;
    private readonly CompiledSelector namespaceSelector;
    private readonly string where;

    public CompiledMatchResources(JsonElement matchResources, string where, bool rulesOptional = false)
    {
        this.where = where;
        namespaceSelector = CompiledSelector.From(matchResources.Get("namespaceSelector"));
        podScope = Policy.Scope.Yes();
        if (!matchResources.Exists())
        {
            return;
        }

        var rules = matchResources.Get("resourceRules").Items().ToList();
        if (rules.Count > 0 || !rulesOptional)
        {
            var covering = rules.Where(WebhookWiring.CoversPodCreate).ToList();
            if (covering.Count == 0)
            {
                constant = Policy.Scope.No($"{where}.resourceRules do not cover pod creation");
                return;
            }

            if (covering.All(r => r.Get("resourceNames").Items().Any()))
            {
                podScope = podScope.And(Policy.Scope.Depends($"{where}.resourceRules name particular pods"));
            }
        }

        foreach (var exclude in matchResources.Get("excludeResourceRules").Items().Where(WebhookWiring.CoversPodCreate))
        {
            if (exclude.Get("resourceNames").Items().Any())
            {
                podScope = podScope.And(Policy.Scope.Depends($"{where}.excludeResourceRules exempt pods named {string.Join(", ", exclude.Get("resourceNames").Items().Select(n => n.AsString()))}"));
            }
            else
            {
                constant = Policy.Scope.No($"{where}.excludeResourceRules exclude pod creation");
                ExcludesPods = true;
                return;
            }
        }

        var objectSelector = matchResources.Get("objectSelector");
        if (!LabelSelector.SelectsEverything(objectSelector))
        {
            podScope = podScope.And(Policy.Scope.Depends($"{where}.objectSelector ({LabelSelector.Describe(objectSelector)}) selects pods by label"));
        }
    }

    /// <summary>excludeResourceRules remove every pod create.</summary>
    public bool ExcludesPods { get; }

    /// <summary>False when the namespaceSelector does not select the namespace (the object targets other namespaces).</summary>
    public bool Targets(NamespaceInfo ns) => namespaceSelector.Matches(ns.Labels) != false;

    public Scope Scope(NamespaceInfo ns)
    {
        if (constant is { } fixedScope)
        {
            return fixedScope;
        }

        var selected = namespaceSelector.Matches(ns.Labels);
        if (selected is null)
        {
            return Policy.Scope.Unknown($"{where}.namespaceSelector cannot be evaluated");
        }

        return selected == false
            ? Policy.Scope.No($"{where}.namespaceSelector ({namespaceSelector.Description}) does not select this namespace")
            : podScope;
    }
}

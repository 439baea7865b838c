using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>
/// Kyverno's match/exclude for the reference pod's create in a namespace, as a tri-state: attributes of one
/// resource filter AND together (lists OR inside); match.any ORs filters, match.all ANDs them; exclude.any
/// excludes if any filter matches, exclude.all if all do. Pod names, labels, annotations and user info can only
/// be known per pod, so they make the answer Depends. Compiled once per rule, evaluated per namespace.
/// </summary>
internal sealed class KyvernoMatcher
{
    private readonly KyvernoFilter[] filters;
    private readonly bool all;
    private readonly bool exclude;
    private readonly Scope? constant;

    private KyvernoMatcher(KyvernoFilter[] filters, bool all, bool exclude, Scope? constant)
    {
        this.filters = filters;
        this.all = all;
        this.exclude = exclude;
        this.constant = constant;
    }

    /// <summary>A rule's (or PolicyException's) match: Yes when it selects the pod's create.</summary>
    public static KyvernoMatcher Match(JsonElement match) => Compile(match, exclude: false);

    /// <summary>A rule's exclude: Yes when it excludes the pod's create.</summary>
    public static KyvernoMatcher Exclude(JsonElement exclude) => Compile(exclude, exclude: true);

    public Scope Evaluate(NamespaceInfo ns)
    {
        if (constant is { } fixedScope)
        {
            return fixedScope;
        }

        if (all)
        {
            var scope = Scope.Yes();
            foreach (var filter in filters)
            {
                scope = scope.And(filter.Evaluate(ns));
                if (scope.State == Applies.No)
                {
                    return scope;
                }
            }

            return scope;
        }

        if (filters.Length == 1)
        {
            return filters[0].Evaluate(ns);
        }

        return Or(filters.Select(f => f.Evaluate(ns)), exclude ? "no exclusion applies" : "none of match.any selects Pods here");
    }

    public static Scope Or(IEnumerable<Scope> scopes, string whyNot)
    {
        Scope? unknown = null, depends = null;
        var count = 0;
        Scope last = default;
        foreach (var s in scopes)
        {
            count++;
            last = s;
            switch (s.State)
            {
                case Applies.Yes:
                    return s;
                case Applies.Unknown:
                    unknown ??= s;
                    break;
                case Applies.Depends:
                    depends ??= s;
                    break;
            }
        }

        return unknown ?? depends ?? Scope.No(count == 1 ? last.Why : whyNot);
    }

    private static KyvernoMatcher Compile(JsonElement block, bool exclude)
    {
        if (!block.Exists())
        {
            return new KyvernoMatcher(Array.Empty<KyvernoFilter>(), false, exclude, Scope.No(exclude ? "no exclude" : "the rule has no match"));
        }

        if (block.Get("any").ValueKind == JsonValueKind.Array)
        {
            var any = block.Get("any").EnumerateArray().Select(f => KyvernoFilter.Compile(f, exclude)).ToArray();
            return any.Length == 0
                ? new KyvernoMatcher(any, false, exclude, Scope.No("an empty list selects nothing"))
                : new KyvernoMatcher(any, false, exclude, null);
        }

        if (block.Get("all").ValueKind == JsonValueKind.Array)
        {
            return new KyvernoMatcher(block.Get("all").EnumerateArray().Select(f => KyvernoFilter.Compile(f, exclude)).ToArray(), true, exclude, null);
        }

        return new KyvernoMatcher(new[] { KyvernoFilter.Compile(block, exclude) }, false, exclude, null);
    }
}

/// <summary>One ResourceFilter (resources + subjects/roles/clusterRoles), or a legacy match/exclude block, compiled.</summary>
internal sealed class KyvernoFilter
{
    private Scope? constantNo;
    private Scope podScope = Scope.Yes();
    private string[] namespaces = Array.Empty<string>();
    private string namespacesNo = string.Empty;
    private CompiledSelector? namespaceSelector;

    private KyvernoFilter()
    {
    }

    public static KyvernoFilter Compile(JsonElement filter, bool forExclude)
    {
        var f = new KyvernoFilter();
        var resources = filter.Get("resources");
        var empty = true;
        if (resources.Exists())
        {
            // An empty operations list matches every operation, as Kyverno reads it.
            var operations = resources.Get("operations");
            if (operations.Items().Any())
            {
                empty = false;
                if (!operations.Items().Any(o => o.AsString() == "CREATE"))
                {
                    f.constantNo = Scope.No("its operations do not include CREATE");
                }
            }

            if (resources.Get("kinds").Items().Any())
            {
                empty = false;
                if (!resources.Get("kinds").Items().Select(k => k.AsString() ?? string.Empty).Any(KyvernoKinds.MatchesPod))
                {
                    f.constantNo ??= Scope.No("its kinds do not include Pod");
                }
            }

            var names = resources.Get("names").Items().Select(n => n.AsString() ?? string.Empty).ToList();
            if (resources.Get("name").AsString() is { } single)
            {
                names.Add(single);
            }

            if (names.Count > 0)
            {
                empty = false;
                if (!names.Contains("*"))
                {
                    f.podScope = f.podScope.And(Scope.Depends($"pod names {string.Join(", ", names)}"));
                }
            }

            f.namespaces = resources.Get("namespaces").Items().Select(n => n.AsString() ?? string.Empty).ToArray();
            if (f.namespaces.Length > 0)
            {
                empty = false;
                f.namespacesNo = $"its namespaces ({string.Join(", ", f.namespaces)}) do not include this namespace";
            }

            if (resources.Get("annotations").Properties().Any())
            {
                empty = false;
                f.podScope = f.podScope.And(Scope.Depends("pod annotations " + string.Join(", ", resources.Get("annotations").Properties().Select(p => p.Name + "=" + p.Value.AsString()))));
            }

            var selector = resources.Get("selector");
            if (selector.Exists())
            {
                empty = false;
                if (!LabelSelector.SelectsEverything(selector))
                {
                    f.podScope = f.podScope.And(Scope.Depends("pod label selector " + LabelSelector.Describe(selector)));
                }
            }

            if (resources.Get("namespaceSelector").Exists())
            {
                empty = false;
                f.namespaceSelector = CompiledSelector.From(resources.Get("namespaceSelector"));
            }
        }

        if (UserInfo(filter, forExclude) is { } users)
        {
            empty = false;
            f.podScope = f.podScope.And(users);
        }

        if (empty)
        {
            f.constantNo ??= Scope.No(forExclude ? "empty exclude" : "an empty match selects nothing");
        }

        return f;
    }

    public Scope Evaluate(NamespaceInfo ns)
    {
        if (constantNo is { } no)
        {
            return no;
        }

        if (namespaces.Length > 0)
        {
            var any = false;
            foreach (var pattern in namespaces)
            {
                if (Wildcard.Match(pattern, ns.Name))
                {
                    any = true;
                    break;
                }
            }

            if (!any)
            {
                return Scope.No(namespacesNo);
            }
        }

        if (namespaceSelector is not null)
        {
            var matches = namespaceSelector.Matches(ns.Labels);
            if (matches is null)
            {
                return Scope.Unknown("its namespaceSelector cannot be evaluated");
            }

            if (matches == false)
            {
                return Scope.No($"its namespaceSelector ({namespaceSelector.Description}) does not select this namespace");
            }
        }

        return podScope;
    }

    /// <summary>subjects, roles, clusterRoles: the controllers' bindings are not known, so they make it Depends,
    /// except an exclusion of a subject the controllers are (their service accounts or groups).</summary>
    private static Scope? UserInfo(JsonElement filter, bool forExclude)
    {
        var subjects = filter.Get("subjects").Items().ToList();
        var roles = filter.Get("roles").Items().Select(r => r.AsString()).ToList();
        var clusterRoles = filter.Get("clusterRoles").Items().Select(r => r.AsString()).ToList();
        if (subjects.Count == 0 && roles.Count == 0 && clusterRoles.Count == 0)
        {
            return null;
        }

        var controller = subjects.FirstOrDefault(SubjectIsController);
        if (controller.ValueKind != JsonValueKind.Undefined && roles.Count == 0 && clusterRoles.Count == 0)
        {
            return forExclude
                ? Scope.Yes($"subject {controller.Get("kind").AsString()} {controller.Get("name").AsString()} covers the controllers that create pods")
                : Scope.Depends($"only requests from subject {controller.Get("kind").AsString()} {controller.Get("name").AsString()}");
        }

        var described = subjects.Select(s => s.Get("kind").AsString() + " " + (s.Get("namespace").AsString() is { } n ? n + "/" : string.Empty) + s.Get("name").AsString())
            .Concat(roles.Select(r => "Role " + r))
            .Concat(clusterRoles.Select(r => "ClusterRole " + r));
        return Scope.Depends((forExclude ? "requests by " : "only requests by ") + string.Join(", ", described) + (forExclude ? " are exempt" : string.Empty));
    }

    private static bool SubjectIsController(JsonElement subject)
    {
        var kind = subject.Get("kind").AsString();
        var name = subject.Get("name").AsString() ?? string.Empty;
        return kind switch
        {
            "Group" => ReferencePod.ControllerGroups.Any(g => Wildcard.Match(name, g)),
            "User" => ReferencePod.ControllerUsers.Any(u => Wildcard.Match(name, u)),
            "ServiceAccount" => subject.Get("namespace").AsString() == "kube-system" && ReferencePod.ControllerUsers.Any(u => Wildcard.Match("system:serviceaccount:kube-system:" + name, u)),
            _ => false,
        };
    }
}

/// <summary>Kyverno kind selectors: Kind, Version/Kind, Group/Version/Kind, Kind/subresource, wildcards.</summary>
internal static class KyvernoKinds
{
    public static bool MatchesPod(string selector)
    {
        var parts = selector.Split('/');
        string group = "*", version = "*", kind, subresource = string.Empty;
        switch (parts.Length)
        {
            case 1:
                kind = parts[0];
                break;
            case 2 when parts[0] == "*" || (parts[0].Length > 0 && char.IsUpper(parts[0][0])):
                kind = parts[0];
                subresource = parts[1];
                break;
            case 2:
                version = parts[0];
                kind = parts[1];
                break;
            case 3:
                (group, version, kind) = (parts[0], parts[1], parts[2]);
                break;
            case 4:
                (group, version, kind, subresource) = (parts[0], parts[1], parts[2], parts[3]);
                break;
            default:
                return false;
        }

        return Wildcard.Match(group, string.Empty) && Wildcard.Match(version, "v1") && Wildcard.Match(kind, "Pod") && (subresource.Length == 0 || subresource == "*");
    }
}

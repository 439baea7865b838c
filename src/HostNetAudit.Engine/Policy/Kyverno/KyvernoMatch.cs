using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>
/// Kyverno's match/exclude for the reference pod's create in a namespace, as a tri-state: attributes of one
/// resource filter AND together (lists OR inside); match.any ORs filters, match.all ANDs them; exclude.any
/// excludes if any filter matches, exclude.all if all do. Pod names, labels, annotations and user info can only
/// be known per pod, so they make the answer Depends.
/// </summary>
internal static class KyvernoMatch
{
    /// <summary>Whether the rule's match applies (exclusions not counted).</summary>
    public static Scope Match(JsonElement match, NamespaceInfo ns)
    {
        if (!match.Exists())
        {
            return Scope.No("the rule has no match");
        }

        if (match.Get("any").ValueKind == JsonValueKind.Array)
        {
            return Or(match.Get("any").EnumerateArray().Select(f => Filter(f, ns, forExclude: false)), "none of match.any selects Pods here");
        }

        if (match.Get("all").ValueKind == JsonValueKind.Array)
        {
            return match.Get("all").EnumerateArray().Select(f => Filter(f, ns, forExclude: false)).Aggregate(Scope.Yes(), (a, b) => a.And(b));
        }

        return Filter(match, ns, forExclude: false);
    }

    /// <summary>Whether the rule's exclude excludes the reference pod (Yes = excluded).</summary>
    public static Scope Exclude(JsonElement exclude, NamespaceInfo ns)
    {
        if (!exclude.Exists())
        {
            return Scope.No("no exclude");
        }

        if (exclude.Get("any").ValueKind == JsonValueKind.Array)
        {
            return Or(exclude.Get("any").EnumerateArray().Select(f => Filter(f, ns, forExclude: true)), "no exclusion applies");
        }

        if (exclude.Get("all").ValueKind == JsonValueKind.Array)
        {
            return exclude.Get("all").EnumerateArray().Select(f => Filter(f, ns, forExclude: true)).Aggregate(Scope.Yes(), (a, b) => a.And(b));
        }

        return Filter(exclude, ns, forExclude: true);
    }

    public static Scope Or(IEnumerable<Scope> scopes, string whyNot)
    {
        var list = scopes.ToList();
        if (list.FirstOrDefault(s => s.State == Applies.Yes) is { State: Applies.Yes } yes)
        {
            return yes;
        }

        if (list.FirstOrDefault(s => s.State == Applies.Unknown) is { State: Applies.Unknown } unknown)
        {
            return unknown;
        }

        if (list.FirstOrDefault(s => s.State == Applies.Depends) is { State: Applies.Depends } depends)
        {
            return depends;
        }

        return Scope.No(list.Count == 1 ? list[0].Why : whyNot);
    }

    /// <summary>One ResourceFilter (resources + subjects/roles/clusterRoles), or a legacy match/exclude block.</summary>
    public static Scope Filter(JsonElement filter, NamespaceInfo ns, bool forExclude)
    {
        var resources = filter.Get("resources");
        var scope = Scope.Yes();
        var empty = true;
        if (resources.Exists())
        {
            var operations = resources.Get("operations");
            if (operations.Exists())
            {
                empty = false;
                if (!operations.Items().Any(o => o.AsString() == "CREATE"))
                {
                    return Scope.No("its operations do not include CREATE");
                }
            }

            if (resources.Get("kinds").Items().Any())
            {
                empty = false;
                if (!resources.Get("kinds").Items().Select(k => k.AsString() ?? string.Empty).Any(KindMatchesPod))
                {
                    return Scope.No("its kinds do not include Pod");
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
                    scope = scope.And(Scope.Depends($"pod names {string.Join(", ", names)}"));
                }
            }

            var namespaces = resources.Get("namespaces").Items().Select(n => n.AsString() ?? string.Empty).ToList();
            if (namespaces.Count > 0)
            {
                empty = false;
                if (!namespaces.Any(p => Wildcard.Match(p, ns.Name)))
                {
                    return Scope.No($"namespaces {string.Join(", ", namespaces)} do not include {ns.Name}");
                }

                scope = scope.And(Scope.Yes($"namespaces {string.Join(", ", namespaces)}"));
            }

            if (resources.Get("annotations").Properties().Any())
            {
                empty = false;
                scope = scope.And(Scope.Depends("pod annotations " + string.Join(", ", resources.Get("annotations").Properties().Select(p => p.Name + "=" + p.Value.AsString()))));
            }

            var selector = resources.Get("selector");
            if (selector.Exists())
            {
                empty = false;
                if (!LabelSelector.SelectsEverything(selector))
                {
                    scope = scope.And(Scope.Depends("pod label selector " + LabelSelector.Describe(selector)));
                }
            }

            var namespaceSelector = resources.Get("namespaceSelector");
            if (namespaceSelector.Exists())
            {
                empty = false;
                var matches = LabelSelector.Matches(namespaceSelector, ns.Labels);
                if (matches is null)
                {
                    return Scope.Unknown("its namespaceSelector cannot be evaluated");
                }

                if (matches == false)
                {
                    return Scope.No($"its namespaceSelector ({LabelSelector.Describe(namespaceSelector)}) does not select {ns.Name}");
                }

                scope = scope.And(Scope.Yes($"namespaceSelector {LabelSelector.Describe(namespaceSelector)}"));
            }
        }

        var users = UserInfo(filter, forExclude);
        if (users is { } u)
        {
            empty = false;
            scope = scope.And(u);
        }

        return empty ? (forExclude ? Scope.No("empty exclude") : Scope.No("an empty match selects nothing")) : scope;
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

    /// <summary>Kyverno kind selectors: Kind, Version/Kind, Group/Version/Kind, Kind/subresource, wildcards.</summary>
    public static bool KindMatchesPod(string selector)
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

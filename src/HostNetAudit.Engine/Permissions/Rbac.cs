using System.Text.Json;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy;

namespace HostNetAudit.Engine.Permissions;

/// <summary>One PolicyRule of a Role or ClusterRole, as written.</summary>
internal sealed class RbacRule
{
    private RbacRule(string[] verbs, string[] apiGroups, string[] resources, string[] resourceNames, string[] nonResourceUrls)
    {
        Verbs = verbs;
        ApiGroups = apiGroups;
        Resources = resources;
        ResourceNames = resourceNames;
        NonResourceUrls = nonResourceUrls;
        Key = string.Join("|", new[] { verbs, apiGroups, resources, resourceNames, nonResourceUrls }.Select(list => string.Join(",", list)));
    }

    public IReadOnlyList<string> Verbs { get; }

    public IReadOnlyList<string> ApiGroups { get; }

    public IReadOnlyList<string> Resources { get; }

    public IReadOnlyList<string> ResourceNames { get; }

    public IReadOnlyList<string> NonResourceUrls { get; }

    /// <summary>Equal for semantically equal rules (the aggregation controller's de-duplication compares them so).</summary>
    public string Key { get; }

    public static RbacRule From(JsonElement rule) => new(
        Strings(rule.Get("verbs")),
        Strings(rule.Get("apiGroups")),
        Strings(rule.Get("resources")),
        Strings(rule.Get("resourceNames")),
        Strings(rule.Get("nonResourceURLs")));

    public static RbacRule Of(string group, string resource, params string[] verbs) => new(verbs, new[] { group }, new[] { resource }, Array.Empty<string>(), Array.Empty<string>());

    /// <summary>
    /// The RBAC authorizer's RuleAllows for a resource request: verb ("*" or equal), API group ("*" or equal), resource
    /// ("*" matches everything, subresources too; "resource/subresource" equal; "*/sub" matches that subresource of any
    /// resource; "pods/*" is a literal no request carries), and resourceNames (empty: any; else the request's name must
    /// be listed, so a request without a name, a POST create, is never allowed by a rule with resourceNames).
    /// </summary>
    public bool Allows(ResourceAttributes request)
    {
        if (!Verbs.Any(v => v == "*" || v == request.Verb) || !ApiGroups.Any(g => g == "*" || g == request.Group))
        {
            return false;
        }

        var combined = request.Subresource.Length == 0 ? request.Resource : request.Resource + "/" + request.Subresource;
        var resourceMatches = false;
        foreach (var resource in Resources)
        {
            if (resource == "*" || resource == combined ||
                (request.Subresource.Length > 0 && resource.Length == request.Subresource.Length + 2 && resource.StartsWith("*/", StringComparison.Ordinal) && resource.EndsWith(request.Subresource, StringComparison.Ordinal)))
            {
                resourceMatches = true;
                break;
            }
        }

        return resourceMatches && (ResourceNames.Count == 0 || ResourceNames.Contains(request.Name, StringComparer.Ordinal));
    }

    /// <summary>RuleAllows for a non-resource request: "*", an equal path, or a prefix ending in "*".</summary>
    public bool AllowsPath(string verb, string path) =>
        Verbs.Any(v => v == "*" || v == verb) &&
        NonResourceUrls.Any(u => u == "*" || u == path || (u.EndsWith('*') && path.StartsWith(u.TrimEnd('*'), StringComparison.Ordinal)));

    public override string ToString() =>
        $"{string.Join(",", Verbs)} {string.Join(",", Resources.Concat(NonResourceUrls))}" + (ApiGroups.Count > 0 ? " (groups " + string.Join(",", ApiGroups.Select(g => g.Length == 0 ? "\"\"" : g)) + ")" : string.Empty) +
        (ResourceNames.Count > 0 ? " named " + string.Join(",", ResourceNames) : string.Empty);

    private static string[] Strings(JsonElement list) => list.Items().Select(i => i.AsString() ?? string.Empty).ToArray();
}

/// <summary>What a resource request asks the authorizer: Namespace is empty for cluster-scoped requests (and for a
/// list across namespaces), Name empty when the request carries none (a POST create, a list).</summary>
internal readonly record struct ResourceAttributes(string Verb, string Group, string Resource, string Subresource, string Namespace, string Name)
{
    /// <summary>"pods", "pods/exec", "deployments.apps", "certificatesigningrequests.certificates.k8s.io/approval".</summary>
    public string ResourceText => Resource + (Group.Length == 0 ? string.Empty : "." + Group) + (Subresource.Length == 0 ? string.Empty : "/" + Subresource);

    public ResourceAttributes In(string ns) => this with { Namespace = ns };

    public ResourceAttributes Named(string name) => this with { Name = name };

    public override string ToString() => $"{Verb} {ResourceText}" + (Name.Length > 0 ? $" '{Name}'" : string.Empty) + (Namespace.Length > 0 ? $" in '{Namespace}'" : string.Empty);
}

/// <summary>A Role or ClusterRole with the rules the authorizer reads.</summary>
internal sealed class RbacRole
{
    public RbacRole(string kind, string? ns, string name, IReadOnlyDictionary<string, string> labels, IReadOnlyList<RbacRule> rules, IReadOnlyList<JsonElement> aggregationSelectors)
    {
        Kind = kind;
        Namespace = ns;
        Name = name;
        Labels = labels;
        Rules = rules;
        AggregationSelectors = aggregationSelectors;
    }

    public string Kind { get; }

    public string? Namespace { get; }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>The effective rules: as stored (live: the aggregation controller's result), or computed offline.</summary>
    public IReadOnlyList<RbacRule> Rules { get; internal set; }

    /// <summary>aggregationRule.clusterRoleSelectors (ClusterRoles only); empty when the role is not aggregated.</summary>
    public IReadOnlyList<JsonElement> AggregationSelectors { get; }

    public bool IsAggregated => AggregationSelectors.Count > 0;

    /// <summary>"ClusterRole edit", "Role team-a/deployer".</summary>
    public string Describe() => Namespace is null ? Kind + " " + Name : $"{Kind} {Namespace}/{Name}";

    public override string ToString() => Describe();
}

/// <summary>A subject of a binding, as written; a ServiceAccount without namespace in a RoleBinding gets the binding's.</summary>
internal sealed record RbacBindingSubject(string Kind, string Name, string? Namespace);

/// <summary>A RoleBinding or ClusterRoleBinding.</summary>
internal sealed class RbacBinding
{
    public RbacBinding(string kind, string? ns, string name, string roleKind, string roleName, IReadOnlyList<RbacBindingSubject> subjects)
    {
        Kind = kind;
        Namespace = ns;
        Name = name;
        RoleKind = roleKind;
        RoleName = roleName;
        Subjects = subjects;
    }

    public string Kind { get; }

    /// <summary>The binding's namespace; null for a ClusterRoleBinding (it grants in every namespace and at the cluster scope).</summary>
    public string? Namespace { get; }

    public string Name { get; }

    public string RoleKind { get; }

    public string RoleName { get; }

    public IReadOnlyList<RbacBindingSubject> Subjects { get; }

    public bool IsCluster => Namespace is null;

    public string Describe() => Namespace is null ? Kind + " " + Name : $"{Kind} {Namespace}/{Name}";

    /// <summary>How the role it refers to is named: "ClusterRole edit", "Role team-a/deployer".</summary>
    public string DescribeRole() => RoleKind == "Role" ? $"Role {Namespace}/{RoleName}" : RoleKind + " " + RoleName;

    public override string ToString() => Describe();
}

/// <summary>A ServiceAccount: its namespace, name, and the token Secrets its <c>secrets</c> field names.</summary>
internal sealed record ServiceAccountInfo(string Namespace, string Name, IReadOnlyList<string> TokenSecrets);

/// <summary>The identity a request carries: a user name and groups.</summary>
internal sealed record RbacUser(string Name, IReadOnlyList<string> Groups);

/// <summary>Why the RBAC authorizer allowed a request: the binding, the subject that matched, the role and the rule.</summary>
internal sealed record RbacGrant(RbacBinding Binding, RbacBindingSubject Subject, RbacRole Role, RbacRule Rule)
{
    /// <summary>As the apiserver's RBAC authorizer words its reason.</summary>
    public string Reason => Binding.IsCluster
        ? $"RBAC: allowed by ClusterRoleBinding \"{Binding.Name}\" of {Binding.RoleKind} \"{Binding.RoleName}\" to {DescribeSubject(null)}"
        : $"RBAC: allowed by RoleBinding \"{Binding.Name}/{Binding.Namespace}\" of {Binding.RoleKind} \"{Binding.RoleName}\" to {DescribeSubject(Binding.Namespace)}";

    private string DescribeSubject(string? bindingNamespace) => Subject.Kind == "ServiceAccount"
        ? $"ServiceAccount \"{Subject.Name}/{Subject.Namespace ?? bindingNamespace}\""
        : $"{Subject.Kind} \"{Subject.Name}\"";
}

/// <summary>
/// The RBAC objects of one cluster (or one set of files), resolved as the apiserver's RBAC authorizer resolves them:
/// a RoleBinding's role is a Role of its namespace or a ClusterRole and grants only in its namespace; a
/// ClusterRoleBinding's role is a ClusterRole; a binding to a role that does not exist grants nothing. Offline,
/// aggregated ClusterRoles get the rules the aggregation controller would store; live, their stored rules are used.
/// </summary>
internal sealed class RbacSnapshot
{
    private readonly Dictionary<string, RbacRole> roles;
    private readonly Dictionary<string, RbacRole> clusterRoles;
    private readonly Dictionary<string, List<(RbacBinding Binding, int Subject)>> clusterBindingsBySubject;
    private readonly Dictionary<string, Dictionary<string, List<(RbacBinding Binding, int Subject)>>> roleBindingsBySubject;
    private readonly Dictionary<string, List<(RbacBinding Binding, int Subject)>> allRoleBindingsBySubject = new(StringComparer.Ordinal);

    public static readonly RbacSnapshot Empty = new(Array.Empty<RbacRole>(), Array.Empty<RbacRole>(), Array.Empty<RbacBinding>(), Array.Empty<RbacBinding>(), Array.Empty<ServiceAccountInfo>());

    public RbacSnapshot(IEnumerable<RbacRole> roles, IEnumerable<RbacRole> clusterRoles, IEnumerable<RbacBinding> roleBindings, IEnumerable<RbacBinding> clusterRoleBindings, IEnumerable<ServiceAccountInfo> serviceAccounts)
    {
        this.roles = new Dictionary<string, RbacRole>(StringComparer.Ordinal);
        foreach (var role in roles)
        {
            this.roles.TryAdd(role.Namespace + "/" + role.Name, role);
        }

        this.clusterRoles = new Dictionary<string, RbacRole>(StringComparer.Ordinal);
        foreach (var role in clusterRoles)
        {
            this.clusterRoles.TryAdd(role.Name, role);
        }

        RoleBindings = roleBindings.Where(b => b.Namespace is not null).ToList();
        ClusterRoleBindings = clusterRoleBindings.ToList();
        ServiceAccounts = serviceAccounts.Where(s => s.Name.Length > 0).ToList();
        clusterBindingsBySubject = new Dictionary<string, List<(RbacBinding, int)>>(StringComparer.Ordinal);
        foreach (var binding in ClusterRoleBindings)
        {
            for (var i = 0; i < binding.Subjects.Count; i++)
            {
                if (KeyOf(binding.Subjects[i], null) is { } key)
                {
                    Add(clusterBindingsBySubject, key, (binding, i));
                }
            }
        }

        roleBindingsBySubject = new Dictionary<string, Dictionary<string, List<(RbacBinding, int)>>>(StringComparer.Ordinal);
        foreach (var binding in RoleBindings)
        {
            if (!roleBindingsBySubject.TryGetValue(binding.Namespace!, out var inNamespace))
            {
                inNamespace = new Dictionary<string, List<(RbacBinding, int)>>(StringComparer.Ordinal);
                roleBindingsBySubject[binding.Namespace!] = inNamespace;
            }

            for (var i = 0; i < binding.Subjects.Count; i++)
            {
                if (KeyOf(binding.Subjects[i], binding.Namespace) is { } key)
                {
                    Add(inNamespace, key, (binding, i));
                    Add(allRoleBindingsBySubject, key, (binding, i));
                }
            }
        }
    }

    public IReadOnlyList<RbacBinding> RoleBindings { get; }

    public IReadOnlyList<RbacBinding> ClusterRoleBindings { get; }

    public IEnumerable<RbacBinding> Bindings => ClusterRoleBindings.Concat(RoleBindings);

    public IReadOnlyList<ServiceAccountInfo> ServiceAccounts { get; }

    public IEnumerable<RbacRole> Roles => roles.Values;

    public IEnumerable<RbacRole> ClusterRoles => clusterRoles.Values;

    /// <summary>
    /// The snapshot of read objects. <paramref name="computeAggregation"/>: offline, aggregated ClusterRoles get the
    /// rules of every other ClusterRole their selectors select (sorted by name, duplicates dropped), repeated until
    /// nothing changes, as the aggregation controller stores them; live, the stored rules are the controller's result.
    /// </summary>
    public static RbacSnapshot Create(IEnumerable<RbacRole> roles, IList<RbacRole> clusterRoles, IEnumerable<RbacBinding> roleBindings, IEnumerable<RbacBinding> clusterRoleBindings, IEnumerable<ServiceAccountInfo> serviceAccounts, bool computeAggregation)
    {
        if (computeAggregation)
        {
            Aggregate(clusterRoles);
        }

        return new RbacSnapshot(roles, clusterRoles, roleBindings, clusterRoleBindings, serviceAccounts);
    }

    /// <summary>Objects of any of the five kinds, in any order (files, tests).</summary>
    public static RbacSnapshot From(IEnumerable<JsonElement> objects, bool computeAggregation)
    {
        var roles = new List<RbacRole>();
        var clusterRoles = new List<RbacRole>();
        var roleBindings = new List<RbacBinding>();
        var clusterRoleBindings = new List<RbacBinding>();
        var serviceAccounts = new List<ServiceAccountInfo>();
        foreach (var obj in objects)
        {
            switch (obj.Get("kind").AsString())
            {
                case "Role":
                    roles.Add(ReadRole(obj, "Role"));
                    break;
                case "ClusterRole":
                    clusterRoles.Add(ReadRole(obj, "ClusterRole"));
                    break;
                case "RoleBinding":
                    roleBindings.Add(ReadBinding(obj, "RoleBinding"));
                    break;
                case "ClusterRoleBinding":
                    clusterRoleBindings.Add(ReadBinding(obj, "ClusterRoleBinding"));
                    break;
                case "ServiceAccount":
                    serviceAccounts.Add(ReadServiceAccount(obj));
                    break;
            }
        }

        return Create(roles, clusterRoles, roleBindings, clusterRoleBindings, serviceAccounts, computeAggregation);
    }

    /// <summary>A Role or ClusterRole (<paramref name="kind"/>: list items carry no kind), copied out of its page.</summary>
    public static RbacRole ReadRole(JsonElement obj, string kind) => new(
        kind,
        kind == "Role" ? obj.Get("metadata", "namespace").AsString() ?? "default" : null,
        obj.Get("metadata", "name").AsString() ?? string.Empty,
        obj.Get("metadata", "labels").AsStringMap(),
        obj.Get("rules").Items().Select(RbacRule.From).ToList(),
        kind == "ClusterRole" ? obj.Get("aggregationRule", "clusterRoleSelectors").Items().Select(e => e.Clone()).ToList() : Array.Empty<JsonElement>());

    public static RbacBinding ReadBinding(JsonElement obj, string kind)
    {
        var ns = kind == "RoleBinding" ? obj.Get("metadata", "namespace").AsString() ?? "default" : null;
        var subjects = obj.Get("subjects").Items()
            .Select(s => new RbacBindingSubject(s.Get("kind").AsString() ?? string.Empty, s.Get("name").AsString() ?? string.Empty, s.Get("namespace").AsString() is { Length: > 0 } n ? n : null))
            .ToList();
        return new RbacBinding(kind, ns, obj.Get("metadata", "name").AsString() ?? string.Empty, obj.Get("roleRef", "kind").AsString() ?? string.Empty, obj.Get("roleRef", "name").AsString() ?? string.Empty, subjects);
    }

    public static ServiceAccountInfo ReadServiceAccount(JsonElement obj) => new(
        obj.Get("metadata", "namespace").AsString() ?? "default",
        obj.Get("metadata", "name").AsString() ?? string.Empty,
        obj.Get("secrets").Items().Select(s => s.Get("name").AsString()).OfType<string>().ToList());

    /// <summary>The role a binding refers to, or null when it does not exist (the binding grants nothing).</summary>
    public RbacRole? RoleOf(RbacBinding binding) => binding.RoleKind switch
    {
        "Role" when binding.Namespace is not null => roles.GetValueOrDefault(binding.Namespace + "/" + binding.RoleName),
        "ClusterRole" => clusterRoles.GetValueOrDefault(binding.RoleName),
        _ => null,
    };

    public RbacRole? ClusterRole(string name) => clusterRoles.GetValueOrDefault(name);

    public RbacRole? Role(string ns, string name) => roles.GetValueOrDefault(ns + "/" + name);

    /// <summary>
    /// The RBAC authorizer's decision: ClusterRoleBindings first (in order), then the RoleBindings of the request's
    /// namespace, each binding applying when one of its subjects is the user, one of its groups, or (ServiceAccount)
    /// the user name system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;. The first rule that allows wins; null is no opinion.
    /// </summary>
    public RbacGrant? Authorize(RbacUser user, ResourceAttributes request)
    {
        foreach (var (binding, subject) in Candidates(clusterBindingsBySubject, user))
        {
            if (RoleOf(binding) is { } role && role.Rules.FirstOrDefault(r => r.Allows(request)) is { } rule)
            {
                return new RbacGrant(binding, binding.Subjects[subject], role, rule);
            }
        }

        if (request.Namespace.Length > 0 && roleBindingsBySubject.TryGetValue(request.Namespace, out var inNamespace))
        {
            foreach (var (binding, subject) in Candidates(inNamespace, user))
            {
                if (RoleOf(binding) is { } role && role.Rules.FirstOrDefault(r => r.Allows(request)) is { } rule)
                {
                    return new RbacGrant(binding, binding.Subjects[subject], role, rule);
                }
            }
        }

        return null;
    }

    /// <summary>The bindings that name the user (directly, by a group, or as its service account), ClusterRoleBindings first.</summary>
    public IEnumerable<(RbacBinding Binding, int Subject)> BindingsOf(RbacUser user)
    {
        foreach (var candidate in Candidates(clusterBindingsBySubject, user))
        {
            yield return candidate;
        }

        foreach (var candidate in Candidates(allRoleBindingsBySubject, user))
        {
            yield return candidate;
        }
    }

    /// <summary>
    /// Where an aggregated ClusterRole's rule comes from: the ClusterRoles its selectors pick (by name), down to the
    /// first that is not itself aggregated, e.g. ["system:aggregate-to-edit"] for a rule of admin reached through edit.
    /// Empty when the role is not aggregated or no selected role holds the rule.
    /// </summary>
    public IReadOnlyList<string> AggregationOrigin(RbacRole role, RbacRule rule)
    {
        var origin = new List<string>();
        var current = role;
        var visited = new HashSet<string>(StringComparer.Ordinal) { role.Name };
        while (current.IsAggregated)
        {
            var source = Selected(current.AggregationSelectors, current.Name, clusterRoles.Values)
                .FirstOrDefault(c => !visited.Contains(c.Name) && c.Rules.Any(r => r.Key == rule.Key));
            if (source is null)
            {
                break;
            }

            origin.Add(source.Name);
            visited.Add(source.Name);
            current = source;
        }

        return origin;
    }

    private static void Aggregate(IList<RbacRole> clusterRoles)
    {
        var aggregated = clusterRoles.Where(r => r.IsAggregated).ToList();
        for (var pass = 0; pass <= aggregated.Count; pass++)
        {
            var changed = false;
            foreach (var role in aggregated.OrderBy(r => r.Name, StringComparer.Ordinal))
            {
                var rules = new List<RbacRule>();
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var selector in role.AggregationSelectors)
                {
                    foreach (var source in Selected(new[] { selector }, role.Name, clusterRoles))
                    {
                        foreach (var rule in source.Rules.Where(r => keys.Add(r.Key)))
                        {
                            rules.Add(rule);
                        }
                    }
                }

                if (!rules.Select(r => r.Key).SequenceEqual(role.Rules.Select(r => r.Key), StringComparer.Ordinal))
                {
                    role.Rules = rules;
                    changed = true;
                }
            }

            if (!changed)
            {
                return;
            }
        }
    }

    private static IEnumerable<RbacRole> Selected(IEnumerable<JsonElement> selectors, string self, IEnumerable<RbacRole> clusterRoles)
    {
        var candidates = clusterRoles.Where(c => c.Name != self).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        foreach (var selector in selectors)
        {
            foreach (var candidate in candidates.Where(c => LabelSelector.Matches(selector, c.Labels) == true))
            {
                yield return candidate;
            }
        }
    }

    /// <summary>The user-name or group key a binding subject matches: "u:name" or "g:name"; a ServiceAccount is its
    /// user name, with the binding's namespace when it names none (and never at the cluster scope without one).</summary>
    private static string? KeyOf(RbacBindingSubject subject, string? bindingNamespace) => subject.Kind switch
    {
        "User" => "u:" + subject.Name,
        "Group" => "g:" + subject.Name,
        "ServiceAccount" when (subject.Namespace ?? bindingNamespace) is { Length: > 0 } ns => "u:" + Identities.ServiceAccountUser(ns, subject.Name),
        _ => null,
    };

    private static IEnumerable<(RbacBinding Binding, int Subject)> Candidates(Dictionary<string, List<(RbacBinding, int)>> index, RbacUser user)
    {
        var found = new List<(RbacBinding Binding, int Subject)>();
        if (user.Name.Length > 0 && index.TryGetValue("u:" + user.Name, out var byName))
        {
            found.AddRange(byName);
        }

        foreach (var group in user.Groups.Distinct(StringComparer.Ordinal))
        {
            if (index.TryGetValue("g:" + group, out var byGroup))
            {
                found.AddRange(byGroup);
            }
        }

        // The authorizer walks bindings in list order and takes each binding's first subject that applies.
        return found.GroupBy(f => f.Binding).Select(g => (g.Key, g.Min(x => x.Item2))).OrderBy(f => f.Key, BindingOrder.Instance);
    }

    private static void Add(Dictionary<string, List<(RbacBinding, int)>> index, string key, (RbacBinding, int) value)
    {
        if (!index.TryGetValue(key, out var list))
        {
            list = new List<(RbacBinding, int)>();
            index[key] = list;
        }

        list.Add(value);
    }

    /// <summary>Bindings in the order they were read (the order the apiserver's lister returns them in is by name).</summary>
    private sealed class BindingOrder : IComparer<RbacBinding>
    {
        public static readonly BindingOrder Instance = new();

        public int Compare(RbacBinding? x, RbacBinding? y) => string.CompareOrdinal(x?.Describe(), y?.Describe());
    }
}

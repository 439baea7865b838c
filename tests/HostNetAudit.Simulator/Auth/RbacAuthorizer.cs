using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Auth;

/// <summary>What is asked of an authorizer: a resource request (verb on group/resource/subresource, namespace, name) or a non-resource path.</summary>
public sealed record AuthorizationAttributes(
    UserInfo User,
    string Verb,
    bool ResourceRequest = true,
    string ApiGroup = "",
    string ApiVersion = "",
    string Resource = "",
    string Subresource = "",
    string Namespace = "",
    string Name = "",
    string Path = "");

/// <summary>An authorizer's answer: allowed or not (no opinion), and its reason.</summary>
public readonly record struct AuthorizationDecision(bool Allowed, string Reason);

/// <summary>One rule of a Role or ClusterRole.</summary>
public sealed record PolicyRule(string[] Verbs, string[] ApiGroups, string[] Resources, string[] ResourceNames, string[] NonResourceUrls)
{
    public static PolicyRule From(JsonNode? node) => new(
        Strings(node?["verbs"]),
        Strings(node?["apiGroups"]),
        Strings(node?["resources"]),
        Strings(node?["resourceNames"]),
        Strings(node?["nonResourceURLs"]));

    private static string[] Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(v => v?.ToString() ?? string.Empty).ToArray() : Array.Empty<string>();

    /// <summary>Whether this rule allows the request, with the apiserver's RBAC matching (rbac/v1 helpers).</summary>
    public bool Allows(AuthorizationAttributes request)
    {
        if (!Verbs.Any(v => v == "*" || v == request.Verb))
        {
            return false;
        }

        if (!request.ResourceRequest)
        {
            return NonResourceUrls.Any(url => url == "*" || url == request.Path || (url.EndsWith('*') && request.Path.StartsWith(url.TrimEnd('*'), StringComparison.Ordinal)));
        }

        if (!ApiGroups.Any(g => g == "*" || g == request.ApiGroup))
        {
            return false;
        }

        var combined = request.Subresource.Length > 0 ? request.Resource + "/" + request.Subresource : request.Resource;
        var resourceMatches = Resources.Any(r =>
            r == "*" ||
            r == combined ||

            // "*/exec" names the exec subresource of any resource; "pods/*" has no such meaning.
            (request.Subresource.Length > 0 && r.Length == request.Subresource.Length + 2 && r.StartsWith("*/", StringComparison.Ordinal) && r.EndsWith(request.Subresource, StringComparison.Ordinal)));

        // A rule with resourceNames never matches a request without a name (a POST create, a list).
        return resourceMatches && (ResourceNames.Length == 0 || ResourceNames.Contains(request.Name, StringComparer.Ordinal));
    }
}

/// <summary>A subject of a RoleBinding or ClusterRoleBinding.</summary>
public sealed record RbacSubject(string Kind, string Name, string Namespace)
{
    /// <summary>Whether the subject names the user; a ServiceAccount without namespace means the binding's namespace.</summary>
    public bool AppliesTo(UserInfo user, string bindingNamespace)
    {
        switch (Kind)
        {
            case "User":
                return user.Name == Name;
            case "Group":
                return user.InGroup(Name);
            case "ServiceAccount":
                var ns = Namespace.Length > 0 ? Namespace : bindingNamespace;
                return ns.Length > 0 && user.Name == UserInfo.ServiceAccountName(ns, Name);
            default:
                return false;
        }
    }

    /// <summary>As the apiserver's RBAC reason names a subject.</summary>
    public string Describe(string bindingNamespace) => Kind == "ServiceAccount"
        ? $"{Kind} \"{Name}/{(Namespace.Length > 0 ? Namespace : bindingNamespace)}\""
        : $"{Kind} \"{Name}\"";
}

/// <summary>A RoleBinding (Namespace set) or ClusterRoleBinding (Namespace empty).</summary>
public sealed record RbacBinding(string Name, string Namespace, string RoleKind, string RoleName, IReadOnlyList<RbacSubject> Subjects)
{
    public static RbacBinding From(JsonObject obj, string ns) => new(
        obj["metadata"]?["name"]?.ToString() ?? string.Empty,
        ns,
        obj["roleRef"]?["kind"]?.ToString() ?? string.Empty,
        obj["roleRef"]?["name"]?.ToString() ?? string.Empty,
        (obj["subjects"] as JsonArray ?? new JsonArray()).OfType<JsonObject>()
            .Select(s => new RbacSubject(s["kind"]?.ToString() ?? string.Empty, s["name"]?.ToString() ?? string.Empty, s["namespace"]?.ToString() ?? string.Empty))
            .ToList());

    public string Describe(RbacSubject subject) => Namespace.Length == 0
        ? $"ClusterRoleBinding \"{Name}\" of {RoleKind} \"{RoleName}\" to {subject.Describe(string.Empty)}"
        : $"RoleBinding \"{Name}/{Namespace}\" of {RoleKind} \"{RoleName}\" to {subject.Describe(Namespace)}";
}

/// <summary>The RBAC objects an authorization decision reads, as one consistent snapshot.</summary>
public sealed class RbacPolicy
{
    public static readonly RbacPolicy Empty = new(new Dictionary<string, IReadOnlyList<PolicyRule>>(), new Dictionary<string, IReadOnlyList<PolicyRule>>(), Array.Empty<RbacBinding>(), new Dictionary<string, IReadOnlyList<RbacBinding>>());

    public RbacPolicy(
        IReadOnlyDictionary<string, IReadOnlyList<PolicyRule>> clusterRoles,
        IReadOnlyDictionary<string, IReadOnlyList<PolicyRule>> roles,
        IReadOnlyList<RbacBinding> clusterRoleBindings,
        IReadOnlyDictionary<string, IReadOnlyList<RbacBinding>> roleBindingsByNamespace)
    {
        ClusterRoles = clusterRoles;
        Roles = roles;
        ClusterRoleBindings = clusterRoleBindings;
        RoleBindingsByNamespace = roleBindingsByNamespace;
    }

    /// <summary>ClusterRole name → rules.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PolicyRule>> ClusterRoles { get; }

    /// <summary>"namespace/name" → rules.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<PolicyRule>> Roles { get; }

    public IReadOnlyList<RbacBinding> ClusterRoleBindings { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<RbacBinding>> RoleBindingsByNamespace { get; }
}

/// <summary>
/// The apiserver's RBAC authorizer, written from its documented semantics: ClusterRoleBindings first, then the
/// RoleBindings of the request's namespace; a RoleBinding to a ClusterRole grants only in its namespace; a binding
/// to a missing role grants nothing (its error becomes the reason of a denial). RBAC never denies: without a
/// matching rule it has no opinion, which the apiserver turns into a refusal.
/// </summary>
public static class RbacAuthorizer
{
    public static AuthorizationDecision Authorize(RbacPolicy policy, AuthorizationAttributes request)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<string>();
        if (Visit(policy, request, policy.ClusterRoleBindings, string.Empty, errors) is { } clusterReason)
        {
            return new AuthorizationDecision(true, clusterReason);
        }

        if (request.Namespace.Length > 0 && policy.RoleBindingsByNamespace.TryGetValue(request.Namespace, out var bindings) &&
            Visit(policy, request, bindings, request.Namespace, errors) is { } namespaceReason)
        {
            return new AuthorizationDecision(true, namespaceReason);
        }

        var reason = errors.Count switch
        {
            0 => string.Empty,
            1 => "RBAC: " + errors[0],
            _ => "RBAC: [" + string.Join(", ", errors) + "]",
        };
        return new AuthorizationDecision(false, reason);
    }

    private static string? Visit(RbacPolicy policy, AuthorizationAttributes request, IReadOnlyList<RbacBinding> bindings, string ns, List<string> errors)
    {
        foreach (var binding in bindings)
        {
            var subject = binding.Subjects.FirstOrDefault(s => s.AppliesTo(request.User, ns));
            if (subject is null)
            {
                continue;
            }

            var rules = RulesOf(policy, binding, ns, errors);
            if (rules is not null && rules.Any(r => r.Allows(request)))
            {
                return "RBAC: allowed by " + binding.Describe(subject);
            }
        }

        return null;
    }

    private static IReadOnlyList<PolicyRule>? RulesOf(RbacPolicy policy, RbacBinding binding, string ns, List<string> errors)
    {
        switch (binding.RoleKind)
        {
            case "ClusterRole":
                if (policy.ClusterRoles.TryGetValue(binding.RoleName, out var clusterRules))
                {
                    return clusterRules;
                }

                errors.Add($"clusterrole.rbac.authorization.k8s.io \"{binding.RoleName}\" not found");
                return null;
            case "Role":
                if (policy.Roles.TryGetValue(ns + "/" + binding.RoleName, out var roleRules))
                {
                    return roleRules;
                }

                errors.Add($"role.rbac.authorization.k8s.io \"{binding.RoleName}\" not found");
                return null;
            default:
                errors.Add($"unsupported role reference kind: \"{binding.RoleKind}\"");
                return null;
        }
    }
}

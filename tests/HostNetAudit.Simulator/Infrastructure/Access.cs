using System.Collections.Concurrent;
using HostNetAudit.Simulator.Auth;

namespace HostNetAudit.Simulator.Infrastructure;

/// <summary>A request the RBAC emulation refuses.</summary>
public sealed class DenyRule
{
    /// <summary>User to match (null = every user).</summary>
    public string? User { get; set; }

    public string? Verb { get; set; }

    /// <summary>API group ("" for core; null = any).</summary>
    public string? Group { get; set; }

    public string? Resource { get; set; }

    /// <summary>Namespace to match (null = any scope).</summary>
    public string? Namespace { get; set; }

    public bool Matches(string user, string verb, string group, string resource, string? ns) =>
        (User is null || User == user) &&
        (Verb is null || Verb == verb) &&
        (Group is null || Group == group) &&
        (Resource is null || Resource == resource) &&
        (Namespace is null || Namespace == ns);
}

/// <summary>Bearer tokens and the users they authenticate, plus deny rules (RBAC emulation).</summary>
public sealed class AccessControl
{
    private readonly ConcurrentDictionary<string, UserInfo> tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<DenyRule> denials = new();

    /// <summary>
    /// A bearer token for a user and groups. As the service-account token authenticator does, a
    /// system:serviceaccount:&lt;ns&gt;:&lt;name&gt; user also gets the service-account groups; everyone gets system:authenticated.
    /// </summary>
    public void AddToken(string token, string user, IEnumerable<string>? groups = null) =>
        tokens[token] = UserInfo.Authenticate(user, groups, serviceAccount: true);

    public UserInfo? Authenticate(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return null;
        }

        return tokens.TryGetValue(authorization[7..].Trim(), out var user) ? user : null;
    }

    public void Deny(DenyRule rule) => denials.Enqueue(rule);

    public void ClearDenials() => denials.Clear();

    public bool IsDenied(string user, string verb, string group, string resource, string? ns) =>
        denials.Any(d => d.Matches(user, verb, group, resource, ns));
}

using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Auth;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Store;
using Microsoft.AspNetCore.Http;

namespace HostNetAudit.Simulator;

/// <summary>
/// Who a request is and what it may do: impersonation (Impersonate-User, -Group, -Uid, -Extra-*), the authorizer
/// chain (deny rules, system:masters, RBAC), SelfSubjectReview, SubjectAccessReview, SelfSubjectAccessReview and
/// LocalSubjectAccessReview, and the ClusterRole aggregation controller.
/// </summary>
public sealed partial class SimCluster
{
    private const string ImpersonateExtraPrefix = "Impersonate-Extra-";
    private readonly object rbacGate = new();
    private (StoredObject[] ClusterRoles, StoredObject[] Roles, StoredObject[] ClusterRoleBindings, StoredObject[] RoleBindings, RbacPolicy Policy)? rbacCache;

    /// <summary>
    /// The authorizer chain of a request: a deny rule refuses; system:masters is allowed before RBAC; then RBAC
    /// when <paramref name="requireRbac"/> (impersonation, or every request with <see cref="SimulatorOptions.EnforceRbac"/>),
    /// else allowed.
    /// </summary>
    public AuthorizationDecision Authorize(AuthorizationAttributes request, bool requireRbac)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ResourceRequest && Access.IsDenied(request.User.Name, request.Verb, request.ApiGroup, request.Resource, request.Namespace.Length > 0 ? request.Namespace : null))
        {
            return new AuthorizationDecision(false, string.Empty);
        }

        if (request.User.InGroup(UserInfo.Masters) || !requireRbac)
        {
            return new AuthorizationDecision(true, string.Empty);
        }

        return RbacAuthorizer.Authorize(RbacPolicy(), request);
    }

    /// <summary>What SubjectAccessReviews answer: system:masters, then RBAC (deny rules are a test device, not an authorizer).</summary>
    public AuthorizationDecision Review(AuthorizationAttributes request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.User.InGroup(UserInfo.Masters) ? new AuthorizationDecision(true, string.Empty) : RbacAuthorizer.Authorize(RbacPolicy(), request);
    }

    /// <summary>The stored RBAC objects as one policy, rebuilt only after one of them changed.</summary>
    public RbacPolicy RbacPolicy()
    {
        var clusterRoles = Snapshot("ClusterRole");
        var roles = Snapshot("Role");
        var clusterRoleBindings = Snapshot("ClusterRoleBinding");
        var roleBindings = Snapshot("RoleBinding");
        lock (rbacGate)
        {
            if (rbacCache is { } cached && cached.ClusterRoles == clusterRoles && cached.Roles == roles && cached.ClusterRoleBindings == clusterRoleBindings && cached.RoleBindings == roleBindings)
            {
                return cached.Policy;
            }

            static IReadOnlyList<PolicyRule> Rules(JsonObject role) => (role["rules"] as JsonArray ?? new JsonArray()).Select(PolicyRule.From).ToList();
            var policy = new RbacPolicy(
                clusterRoles.ToDictionary(o => o.Name, o => Rules(o.Node), StringComparer.Ordinal),
                roles.ToDictionary(o => o.Key, o => Rules(o.Node), StringComparer.Ordinal),
                clusterRoleBindings.Select(o => RbacBinding.From(o.Node, string.Empty)).ToList(),
                roleBindings.GroupBy(o => o.Namespace ?? string.Empty).ToDictionary(g => g.Key, g => (IReadOnlyList<RbacBinding>)g.Select(o => RbacBinding.From(o.Node, g.Key)).ToList(), StringComparer.Ordinal));
            rbacCache = (clusterRoles, roles, clusterRoleBindings, roleBindings, policy);
            return policy;
        }
    }

    private StoredObject[] Snapshot(string rbacKind) =>
        Store.Definitions.FirstOrDefault(d => d.Group == "rbac.authorization.k8s.io" && d.Kind == rbacKind) is { } definition ? Store.Snapshot(definition) : Array.Empty<StoredObject>();

    /// <summary>
    /// The impersonation filter: each Impersonate-* header is authorized (verb impersonate on users, groups,
    /// serviceaccounts, uids or userextras/&lt;key&gt;) before the request acts as that user. Returns the user the
    /// request acts as, or the refusal.
    /// </summary>
    private (UserInfo User, SimResponse? Refusal) Impersonate(HttpRequest request, UserInfo requester)
    {
        var headers = request.Headers;
        var username = headers["Impersonate-User"].ToString();
        var groups = Values(headers["Impersonate-Group"]);
        var uid = headers["Impersonate-Uid"].ToString();
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var header in headers.Where(h => h.Key.StartsWith(ImpersonateExtraPrefix, StringComparison.OrdinalIgnoreCase)))
        {
            extra[Uri.UnescapeDataString(header.Key[ImpersonateExtraPrefix.Length..].ToLowerInvariant())] = Values(header.Value);
        }

        if (username.Length == 0)
        {
            return groups.Count > 0 || uid.Length > 0 || extra.Count > 0
                ? (requester, SimResponse.Json(500, Status.InternalError($"Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user")))
                : (requester, null);
        }

        var checks = new List<AuthorizationAttributes>();
        var saGroups = Array.Empty<string>();
        if (UserInfo.TrySplitServiceAccount(username, out var saNamespace, out var saName))
        {
            checks.Add(new AuthorizationAttributes(requester, "impersonate", Resource: "serviceaccounts", Namespace: saNamespace, Name: saName));
            saGroups = UserInfo.ServiceAccountGroups(saNamespace).ToArray();
        }
        else
        {
            checks.Add(new AuthorizationAttributes(requester, "impersonate", Resource: "users", Name: username));
        }

        checks.AddRange(groups.Select(g => new AuthorizationAttributes(requester, "impersonate", Resource: "groups", Name: g)));
        if (uid.Length > 0)
        {
            checks.Add(new AuthorizationAttributes(requester, "impersonate", ApiGroup: "authentication.k8s.io", Resource: "uids", Name: uid));
        }

        foreach (var (key, values) in extra)
        {
            checks.AddRange(values.Select(v => new AuthorizationAttributes(requester, "impersonate", ApiGroup: "authentication.k8s.io", Resource: "userextras", Subresource: key, Name: v)));
        }

        foreach (var check in checks)
        {
            var decision = Authorize(check, requireRbac: true);
            if (!decision.Allowed)
            {
                return (requester, SimResponse.Json(403, Status.Forbidden(check, decision.Reason)));
            }
        }

        // A service account without requested groups gets its own; every non-anonymous user system:authenticated
        // unless the groups name it or system:unauthenticated.
        var actingGroups = groups.Count > 0 ? groups : saGroups.ToList();
        if (username != UserInfo.Anonymous && !actingGroups.Contains(UserInfo.Authenticated) && !actingGroups.Contains(UserInfo.Unauthenticated))
        {
            actingGroups.Add(UserInfo.Authenticated);
        }

        return (new UserInfo(username, actingGroups, uid.Length > 0 ? uid : null, extra.Count > 0 ? extra : null), null);
    }

    // One value per header line, as kubectl sends them; .NET clients join a repeated header into one line with
    // commas, so values are split there too (group names with commas are not supported).
    private static List<string> Values(Microsoft.Extensions.Primitives.StringValues header) =>
        header.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();

    /// <summary>authentication.k8s.io SelfSubjectReview: the server says who the caller is (Kubernetes 1.28+).</summary>
    private static SimResponse SelfSubjectReview(UserInfo user) => SimResponse.Json(201, new JsonObject
    {
        ["kind"] = "SelfSubjectReview",
        ["apiVersion"] = "authentication.k8s.io/v1",
        ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
        ["status"] = new JsonObject { ["userInfo"] = user.ToJson() },
    });

    /// <summary>
    /// authorization.k8s.io access reviews, answered by <see cref="Review"/>: SubjectAccessReview (spec.user,
    /// groups, uid, extra), SelfSubjectAccessReview (the caller) and LocalSubjectAccessReview (the URL's namespace).
    /// </summary>
    private SimResponse AccessReview(ResourceDefinition definition, Route route, UserInfo caller, JsonObject review)
    {
        var spec = review["spec"] as JsonObject ?? new JsonObject();
        review["spec"] = spec;
        var resource = spec["resourceAttributes"] as JsonObject;
        var nonResource = spec["nonResourceAttributes"] as JsonObject;
        if ((resource is null) == (nonResource is null))
        {
            return SimResponse.Json(422, Status.Invalid(definition.Kind, string.Empty, "spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified", definition.Group));
        }

        UserInfo subject;
        if (definition.Kind == "SelfSubjectAccessReview")
        {
            subject = caller;
        }
        else
        {
            var name = spec["user"]?.ToString() ?? string.Empty;
            var groups = (spec["groups"] as JsonArray ?? new JsonArray()).Select(g => g?.ToString() ?? string.Empty).ToList();
            if (name.Length == 0 && groups.Count == 0)
            {
                return SimResponse.Json(422, Status.Invalid(definition.Kind, string.Empty, "spec.user: Invalid value: \"\": at least one of user or group must be specified", definition.Group));
            }

            var extra = (spec["extra"] as JsonObject ?? new JsonObject()).ToDictionary(
                e => e.Key,
                e => (IReadOnlyList<string>)(e.Value as JsonArray ?? new JsonArray()).Select(v => v?.ToString() ?? string.Empty).ToList(),
                StringComparer.Ordinal);
            subject = new UserInfo(name, groups, spec["uid"]?.ToString(), extra);
        }

        if (definition.Kind == "LocalSubjectAccessReview" && resource is not null)
        {
            var ns = resource["namespace"]?.ToString() ?? string.Empty;
            if (ns.Length == 0)
            {
                resource["namespace"] = route.Namespace;
            }
            else if (ns != route.Namespace)
            {
                return SimResponse.Json(400, Status.BadRequest($"spec.resourceAttributes.namespace must match namespace: {route.Namespace}"));
            }
        }

        var request = resource is not null
            ? new AuthorizationAttributes(
                subject,
                resource["verb"]?.ToString() ?? string.Empty,
                true,
                resource["group"]?.ToString() ?? string.Empty,
                resource["version"]?.ToString() ?? string.Empty,
                resource["resource"]?.ToString() ?? string.Empty,
                resource["subresource"]?.ToString() ?? string.Empty,
                resource["namespace"]?.ToString() ?? string.Empty,
                resource["name"]?.ToString() ?? string.Empty)
            : new AuthorizationAttributes(subject, nonResource!["verb"]?.ToString() ?? string.Empty, ResourceRequest: false, Path: nonResource["path"]?.ToString() ?? string.Empty);
        var decision = Review(request);
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0)
        {
            status["reason"] = decision.Reason;
        }

        review["apiVersion"] = definition.GroupVersion;
        review["kind"] = definition.Kind;
        review["metadata"] = new JsonObject { ["creationTimestamp"] = null };
        review["status"] = status;
        return SimResponse.Json(201, review);
    }

    /// <summary>
    /// The ClusterRole aggregation controller: a ClusterRole with aggregationRule.clusterRoleSelectors gets the
    /// rules of every other ClusterRole its selectors select (sorted by name, duplicates dropped), until nothing
    /// changes (aggregated roles may select each other).
    /// </summary>
    private void AggregateClusterRoles()
    {
        var definition = Store.Definitions.FirstOrDefault(d => d.Group == "rbac.authorization.k8s.io" && d.Kind == "ClusterRole");
        if (definition is null)
        {
            return;
        }

        lock (writeGate)
        {
            AggregateClusterRoles(definition);
        }
    }

    private void AggregateClusterRoles(ResourceDefinition definition)
    {
        for (var round = 0; round < 10; round++)
        {
            var changed = false;
            var roles = Store.Snapshot(definition).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
            foreach (var aggregated in roles)
            {
                var role = aggregated.Node;
                if (role["aggregationRule"]?["clusterRoleSelectors"] is not JsonArray selectors)
                {
                    continue;
                }

                var rules = new JsonArray();
                foreach (var selectorNode in selectors)
                {
                    var selector = LabelSelector.FromObject(selectorNode);
                    foreach (var source in roles.Where(r => r.Name != aggregated.Name && selector.Matches(r.Labels)))
                    {
                        foreach (var rule in (source.Node["rules"] as JsonArray ?? new JsonArray()).Where(r => !rules.Any(existing => JsonNode.DeepEquals(existing, r))))
                        {
                            rules.Add(rule!.DeepClone());
                        }
                    }
                }

                if (JsonNode.DeepEquals(role["rules"], rules))
                {
                    continue;
                }

                role["rules"] = rules;
                var entries = ManagedFields.Entries(role);
                ManagedFields.RecordUpdate(entries, aggregated.Node, role, "clusterrole-aggregation-controller", definition.GroupVersion, null, serverStatus: false);
                ManagedFields.SetEntries(role, entries);
                ((JsonObject)role["metadata"]!).Remove("resourceVersion");
                Store.Put(definition, role);
                changed = true;
            }

            if (!changed)
            {
                return;
            }
        }
    }
}

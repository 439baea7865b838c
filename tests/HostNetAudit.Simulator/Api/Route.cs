namespace HostNetAudit.Simulator.Api;

public enum RouteKind
{
    Unknown,
    Version,
    CoreVersions,
    Groups,
    GroupVersion,
    Resource,
}

/// <summary>
/// What an apiserver path names: discovery, or a resource (group, version, resource, namespace, name,
/// subresource such as pods/x/ephemeralcontainers) and the verb.
/// </summary>
public sealed record Route(RouteKind Kind, string? Group = null, string? Version = null, string? Resource = null, string? Namespace = null, string? Name = null, string? Verb = null, string? Subresource = null)
{
    public static Route Parse(string method, string path, bool watch)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length == 0)
        {
            return new Route(RouteKind.Unknown);
        }

        if (segments is ["version"])
        {
            return new Route(RouteKind.Version);
        }

        if (segments is ["api"])
        {
            return new Route(RouteKind.CoreVersions);
        }

        if (segments is ["apis"])
        {
            return new Route(RouteKind.Groups);
        }

        string group;
        string version;
        string[] rest;
        if (segments[0] == "api" && segments.Length >= 2)
        {
            group = string.Empty;
            version = segments[1];
            rest = segments[2..];
        }
        else if (segments[0] == "apis" && segments.Length >= 3)
        {
            group = segments[1];
            version = segments[2];
            rest = segments[3..];
        }
        else
        {
            return new Route(RouteKind.Unknown);
        }

        if (rest.Length == 0)
        {
            return new Route(RouteKind.GroupVersion, group, version);
        }

        string resource;
        string? ns = null;
        string? name = null;
        string? subresource = null;
        switch (rest)
        {
            case ["namespaces", var n, var r, var nm, var sub]:
                ns = n;
                resource = r;
                name = nm;
                subresource = sub;
                break;
            case ["namespaces", var n, var r]:
                ns = n;
                resource = r;
                break;
            case ["namespaces", var n, var r, var nm]:
                ns = n;
                resource = r;
                name = nm;
                break;
            case [var r]:
                resource = r;
                break;
            case [var r, var nm]:
                resource = r;
                name = nm;
                break;
            case [var r, var nm, var sub] when r != "namespaces":
                resource = r;
                name = nm;
                subresource = sub;
                break;
            default:
                return new Route(RouteKind.Unknown);
        }

        var verb = method switch
        {
            "GET" => name is null ? (watch ? "watch" : "list") : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => method.ToLowerInvariant(),
        };
        return new Route(RouteKind.Resource, group, version, resource, ns, name, verb, subresource);
    }
}

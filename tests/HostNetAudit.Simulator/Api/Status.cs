using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Auth;

namespace HostNetAudit.Simulator.Api;

/// <summary>metav1.Status bodies as the apiserver writes them.</summary>
public static class Status
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null, string? continueToken = null)
    {
        var metadata = new JsonObject();
        if (continueToken is not null)
        {
            metadata["continue"] = continueToken;
        }

        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = metadata,
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return status;
    }

    public static JsonObject Details(string? name, string? group, string kind) => new()
    {
        ["name"] = name,
        ["group"] = group,
        ["kind"] = kind,
    };

    /// <summary>An authorizer's refusal as the apiserver words it (the reason, when there is one, after a colon).</summary>
    public static JsonObject Forbidden(AuthorizationAttributes request, string reason)
    {
        ArgumentNullException.ThrowIfNull(request);
        var suffix = string.IsNullOrEmpty(reason) ? string.Empty : ": " + reason;
        if (!request.ResourceRequest)
        {
            return Failure(403, "Forbidden", $"forbidden: User \"{request.User.Name}\" cannot {request.Verb} path \"{request.Path}\"{suffix}");
        }

        var resource = request.Subresource.Length > 0 ? request.Resource + "/" + request.Subresource : request.Resource;
        var scope = request.Namespace.Length > 0 ? $"in the namespace \"{request.Namespace}\"" : "at the cluster scope";
        var qualified = request.ApiGroup.Length > 0 ? request.Resource + "." + request.ApiGroup : request.Resource;
        var subject = request.Name.Length > 0 ? $"{qualified} \"{request.Name}\"" : qualified;
        var message = $"{subject} is forbidden: User \"{request.User.Name}\" cannot {request.Verb} resource \"{resource}\" in API group \"{request.ApiGroup}\" {scope}{suffix}";
        return Failure(403, "Forbidden", message, Details(request.Name.Length > 0 ? request.Name : null, request.ApiGroup, request.Resource));
    }

    /// <summary>Success, as a delete of an object without graceful deletion answers.</summary>
    public static JsonObject Success(string name, string group, string resource, string? uid)
    {
        var details = Details(name, group, resource);
        if (uid is not null)
        {
            details["uid"] = uid;
        }

        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    /// <summary>A group-qualified resource, as the apiserver names it in messages (pods, deployments.apps).</summary>
    public static string Qualified(string resource, string group) => group.Length > 0 ? resource + "." + group : resource;

    public static JsonObject Unauthorized() => Failure(401, "Unauthorized", "Unauthorized");

    public static JsonObject NotFound(string resource, string group, string name) =>
        Failure(404, "NotFound", $"{resource}{(group.Length > 0 ? "." + group : string.Empty)} \"{name}\" not found", Details(name, group, resource));

    public static JsonObject Expired(string freshContinue) => Failure(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
        continueToken: freshContinue);

    public static JsonObject BadRequest(string message) => Failure(400, "BadRequest", message);

    public static JsonObject Conflict(string resource, string group, string name, string detail) =>
        Failure(409, "Conflict", $"Operation cannot be fulfilled on {resource}{(group.Length > 0 ? "." + group : string.Empty)} \"{name}\": {detail}", Details(name, group, resource));

    public static JsonObject Invalid(string kind, string name, string message, string group = "") =>
        Failure(422, "Invalid", $"{Qualified(kind, group)} \"{name}\" is invalid: {message}", Details(name, group, kind));

    public static JsonObject InternalError(string message) => Failure(500, "InternalError", message);
}

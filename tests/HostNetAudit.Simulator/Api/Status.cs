using System.Text.Json.Nodes;

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

    public static JsonObject Forbidden(string user, string verb, string resource, string group, string? ns, string? name)
    {
        var scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
        var subject = name is null ? resource : $"{resource} \"{name}\"";
        var message = $"{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}";
        return Failure(403, "Forbidden", message, Details(name, group, resource));
    }

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

    public static JsonObject Invalid(string kind, string name, string message) =>
        Failure(422, "Invalid", $"{kind} \"{name}\" is invalid: {message}", Details(name, string.Empty, kind));

    public static JsonObject InternalError(string message) => Failure(500, "InternalError", message);
}

using System.Net;
using System.Text;

namespace HostNetAudit.Engine.Api;

/// <summary>
/// One API request, described for messages and error IDs: the operation (ListPods, PatchNamespace ...),
/// the verb and resource RBAC must grant, and the target.
/// </summary>
internal sealed record ApiRequest(HttpMethod Method, string Path, string Operation, string Verb, string Resource, string? Namespace = null, string? Name = null)
{
    public string? Body { get; init; }

    public string ContentType { get; init; } = "application/json";

    /// <summary>The media types asked for (aggregated discovery asks for its own first).</summary>
    public string Accept { get; init; } = "application/json";

    /// <summary>Adds a query parameter (skipped when the value is null or empty).</summary>
    public ApiRequest WithQuery(string key, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return this;
        }

        var separator = Path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return this with { Path = Path + separator + key + "=" + Uri.EscapeDataString(value) };
    }

    /// <summary>What the request is about, for error targets: the namespace or object, else the resource.</summary>
    public string Target => Name is not null ? (Namespace is null ? Name : Namespace + "/" + Name) : Namespace ?? Resource;

    /// <summary>"list pods at the cluster scope", "patch namespaces \"x\"".</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(Verb).Append(' ').Append(Resource);
        if (Name is not null)
        {
            text.Append(" \"").Append(Name).Append('"');
        }

        text.Append(Namespace is null ? (Name is null ? " at the cluster scope" : string.Empty) : " in namespace \"" + Namespace + "\"");
        return text.ToString();
    }
}

/// <summary>A buffered response.</summary>
internal sealed class ApiResponse
{
    public ApiResponse(HttpStatusCode statusCode, byte[] body, IReadOnlyList<string> warnings)
    {
        StatusCode = statusCode;
        Body = body;
        Warnings = warnings;
    }

    public HttpStatusCode StatusCode { get; }

    public byte[] Body { get; }

    /// <summary>The Warning headers (RFC 7234 "299 - \"text\""), text only.</summary>
    public IReadOnlyList<string> Warnings { get; }
}

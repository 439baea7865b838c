using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HostNetAudit.Tests.Support;

namespace HostNetAudit.Tests.Simulator;

/// <summary>What the simulated apiserver answered: status, body, and the Warning headers' texts.</summary>
internal sealed record SimReply(HttpStatusCode Status, JsonNode? Body, IReadOnlyList<string> Warnings)
{
    public string Message => Body?["message"]?.ToString() ?? string.Empty;

    public JsonObject Object => Body as JsonObject ?? throw new InvalidOperationException("the answer has no object body");
}

/// <summary>Raw requests to a simulated cluster as a bearer token's user, optionally impersonating someone.</summary>
internal sealed class SimApi : IDisposable
{
    private readonly HttpClient http;

    public SimApi(SimHost host, string? token = null)
    {
        http = host.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? host.Server.Token);
    }

    /// <summary>A JSON template with @0@, @1@ ... replaced by the values (invariant culture).</summary>
    public static string Fill(string template, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            template = template.Replace("@" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "@", Convert.ToString(values[i], System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return template;
    }

    /// <summary>As the cluster's system:masters user.</summary>
    public static SimApi Admin(SimHost host) => new(host, host.Cluster.Options.AdminToken);

    public string? ImpersonateUser { get; set; }

    public IList<string> ImpersonateGroups { get; } = new List<string>();

    public Task<SimReply> Get(string path) => Send(HttpMethod.Get, path);

    public Task<SimReply> Post(string path, string body) => Send(HttpMethod.Post, path, body);

    public Task<SimReply> Put(string path, string body) => Send(HttpMethod.Put, path, body);

    public Task<SimReply> Delete(string path, string? body = null) => Send(HttpMethod.Delete, path, body);

    public Task<SimReply> Patch(string path, string body, string contentType = "application/merge-patch+json") => Send(HttpMethod.Patch, path, body, contentType);

    public Task<SimReply> Apply(string path, string body, string manager, bool force = false, bool dryRun = false) =>
        Send(HttpMethod.Patch, $"{path}?fieldManager={Uri.EscapeDataString(manager)}{(force ? "&force=true" : string.Empty)}{(dryRun ? "&dryRun=All" : string.Empty)}", body, "application/apply-patch+yaml");

    public async Task<SimReply> Send(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        if (ImpersonateUser is not null)
        {
            request.Headers.Add("Impersonate-User", ImpersonateUser);
        }

        foreach (var group in ImpersonateGroups)
        {
            request.Headers.Add("Impersonate-Group", group);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (text.Length > 0 && text.TrimStart().StartsWith('{'))
        {
            json = JsonNode.Parse(text);
        }

        var warnings = response.Headers.TryGetValues("Warning", out var values)
            ? values.Select(Unquote).ToList()
            : new List<string>();
        return new SimReply(response.StatusCode, json, warnings);
    }

    // 299 - "text" with \" and \\ escaped, as the apiserver writes Warning headers.
    private static string Unquote(string header)
    {
        var start = header.IndexOf('"', StringComparison.Ordinal);
        var text = start < 0 ? header : header[(start + 1)..^1];
        return text.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
    }

    public void Dispose() => http.Dispose();
}

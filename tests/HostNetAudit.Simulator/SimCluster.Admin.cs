using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Store;
using Microsoft.AspNetCore.Http;

namespace HostNetAudit.Simulator;

/// <summary>
/// /_sim endpoints for tests (unauthenticated, loopback only): the request log, faults, RBAC denials,
/// declared admission, tokens, objects, options (latency, RBAC enforcement, policy admission and status, PSA)
/// and the scenario's truth.
/// </summary>
public sealed partial class SimCluster
{
    private async Task HandleAdminAsync(HttpContext context, string path)
    {
        var method = context.Request.Method;
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        object? result;
        try
        {
            result = (method, path) switch
            {
                ("GET", "/_sim/requests") => Requests.All,
                ("DELETE", "/_sim/requests") => Clear(Requests.Clear),
                ("GET", "/_sim/faults") => Faults.Rules,
                ("POST", "/_sim/faults") => AddEach<FaultRule>(body, Faults.Add),
                ("DELETE", "/_sim/faults") => Clear(Faults.Clear),
                ("POST", "/_sim/deny") => AddEach<DenyRule>(body, Access.Deny),
                ("DELETE", "/_sim/deny") => Clear(Access.ClearDenials),
                ("POST", "/_sim/admission") => AddEach<DeclaredAdmission>(body, Admission.Add),
                ("DELETE", "/_sim/admission") => Clear(Admission.Clear),
                ("POST", "/_sim/tokens") => AddToken(body),
                ("GET", "/_sim/truth") => Scenario.Truth,
                ("GET", "/_sim/client-certificate") => ClientCertificate(context.Request.Query),
                ("GET", "/_sim/objects") => FindObjects(context.Request.Query),
                ("POST", "/_sim/objects") => PutObjects(body),
                ("DELETE", "/_sim/objects") => DeleteObject(context.Request.Query),
                ("GET", "/_sim/options") => Options,
                ("POST", "/_sim/options") => UpdateOptions(body),
                ("GET", "/_sim/stats") => new { objects = Store.Definitions.ToDictionary(d => d.Key, d => Store.Snapshot(d).Length), requests = Requests.All.Count },
                _ => null,
            };
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(ex.Message, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (result is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        context.Response.ContentType = "application/json";
        var bytes = result is JsonNode node ? JsonSerializer.SerializeToUtf8Bytes(node) : JsonSerializer.SerializeToUtf8Bytes(result, result.GetType(), AdminJson);
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static object Clear(Action clear)
    {
        clear();
        return new { ok = true };
    }

    private static object AddEach<T>(string body, Action<T> add)
    {
        var trimmed = body.TrimStart();
        var items = trimmed.StartsWith('[')
            ? JsonSerializer.Deserialize<List<T>>(body, AdminJson) ?? new List<T>()
            : new List<T> { JsonSerializer.Deserialize<T>(body, AdminJson)! };
        foreach (var item in items)
        {
            add(item);
        }

        return new { added = items.Count };
    }

    /// <summary>A client certificate for a user (and groups), signed by the cluster's CA.</summary>
    private object ClientCertificate(IQueryCollection query)
    {
        var user = query["user"].ToString();
        if (user.Length == 0 || IssueClientCertificate is null)
        {
            throw new ArgumentException("user= is required, and the server must serve HTTPS");
        }

        var (certificate, key) = IssueClientCertificate(user, query["group"].Select(g => g ?? string.Empty).Where(g => g.Length > 0).ToArray());
        return new { certificate, key };
    }

    /// <summary>Issues client certificates (set by the host that owns the CA).</summary>
    public Func<string, string[], (string Certificate, string Key)>? IssueClientCertificate { get; set; }

    /// <summary>POST /_sim/tokens {"token", "user", "groups": [...]}: a bearer token for a user (service accounts get their groups).</summary>
    private object AddToken(string body)
    {
        var request = JsonNode.Parse(body)!;
        var groups = (request["groups"] as JsonArray ?? new JsonArray()).Select(g => g?.GetValue<string>() ?? string.Empty).ToList();
        Access.AddToken(request["token"]!.GetValue<string>(), request["user"]!.GetValue<string>(), groups);
        return new { ok = true };
    }

    private JsonArray FindObjects(IQueryCollection query)
    {
        var kind = query["kind"].ToString();
        var apiVersion = query["apiVersion"].ToString();
        var ns = query["namespace"].ToString();
        var name = query["name"].ToString();
        var result = new JsonArray();
        foreach (var definition in Store.Definitions.Where(d => (kind.Length == 0 || d.Kind == kind) && (apiVersion.Length == 0 || d.GroupVersion == apiVersion)))
        {
            foreach (var stored in Store.Snapshot(definition))
            {
                if ((ns.Length == 0 || stored.Namespace == ns) && (name.Length == 0 || stored.Name == name))
                {
                    result.Add(stored.Node.DeepClone());
                }
            }
        }

        return result;
    }

    private object PutObjects(string body)
    {
        var node = JsonNode.Parse(body);
        var list = node is JsonArray array ? array.OfType<JsonObject>().ToList() : new List<JsonObject> { (JsonObject)node! };
        foreach (var obj in list)
        {
            AddObject((JsonObject)obj.DeepClone());
        }

        return new { added = list.Count };
    }

    private object DeleteObject(IQueryCollection query)
    {
        var definition = DefinitionFor(query["apiVersion"].ToString(), query["kind"].ToString()) ?? throw new ArgumentException("unknown kind");
        var ns = query["namespace"].ToString().Length == 0 ? null : query["namespace"].ToString();
        var old = Store.Get(definition, ns, query["name"].ToString())?.Node;
        var deleted = Store.Delete(definition, ns, query["name"].ToString());
        if (deleted)
        {
            AfterWrite(definition, old, null);
        }

        return new { deleted };
    }

    private SimulatorOptions UpdateOptions(string body)
    {
        var update = JsonNode.Parse(body) as JsonObject ?? throw new ArgumentException("options must be an object");
        if (update["hostNetworkFieldSelector"] is { } selector)
        {
            Options.HostNetworkFieldSelector = selector.GetValue<bool>();
        }

        if (update["aggregatedDiscovery"] is { } aggregated)
        {
            Options.AggregatedDiscovery = aggregated.GetValue<bool>();
        }

        if (update.ContainsKey("pageScanLimit"))
        {
            Options.PageScanLimit = update["pageScanLimit"]?.GetValue<int>();
        }

        if (update["existingPodCheckLimit"] is { } limit)
        {
            Options.ExistingPodCheckLimit = limit.GetValue<int>();
        }

        if (update["servingCertificate"] is { } serving)
        {
            Options.ServingCertificate = Enum.Parse<ServingCertificate>(serving.GetValue<string>(), ignoreCase: true);
        }

        if (update["stallConnections"] is { } stall)
        {
            Options.StallConnections = stall.GetValue<int>() >= 0 ? stall.GetValue<int>() : throw new ArgumentException("stallConnections must not be negative");
        }

        if (update["latencyMilliseconds"] is { } latency)
        {
            Options.LatencyMilliseconds = latency.GetValue<int>() >= 0 ? latency.GetValue<int>() : throw new ArgumentException("latencyMilliseconds must not be negative");
        }

        if (update["enforceRbac"] is { } enforce)
        {
            Options.EnforceRbac = enforce.GetValue<bool>();
        }

        if (update.ContainsKey("validatingAdmissionPolicyAdmission"))
        {
            Options.ValidatingAdmissionPolicyAdmission = update["validatingAdmissionPolicyAdmission"]?.GetValue<bool>();
        }

        if (update["policyStatusDelayMilliseconds"] is { } delay)
        {
            Options.PolicyStatusDelayMilliseconds = delay.GetValue<int>() >= 0 ? delay.GetValue<int>() : throw new ArgumentException("policyStatusDelayMilliseconds must not be negative");
        }

        if (update["typeCheckWarnings"] is JsonArray injected)
        {
            Options.TypeCheckWarnings = injected.Deserialize<List<InjectedTypeCheckWarning>>(AdminJson) ?? new List<InjectedTypeCheckWarning>();
        }

        UpdatePodSecurityOptions(update);

        return Options;
    }
}

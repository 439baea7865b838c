using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Admission;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// A simulated cluster: its objects, what it declares about admission, and the truth its author states
/// (what the module must find), never computed by the module's engine.
/// </summary>
public sealed class Scenario
{
    public string Name { get; set; } = "empty";

    /// <summary>Kubernetes version the server reports, e.g. v1.31.4.</summary>
    public string ServerVersion { get; set; } = "v1.31.4";

    public List<JsonObject> Objects { get; } = new();

    /// <summary>Objects already serialized, for large clusters (200,000 pods): kind, apiVersion and the items' bytes.</summary>
    public List<(string ApiVersion, string Kind, IEnumerable<byte[]> Items)> Bulk { get; } = new();

    public List<DeclaredAdmission> Admission { get; } = new();

    /// <summary>Extension APIs served even without objects ("group/version/resource" keys): an engine installed with no policies.</summary>
    public HashSet<string> Served { get; } = new(StringComparer.Ordinal);

    /// <summary>Serves an extension resource even when the scenario has none of its objects.</summary>
    public void Serve(string apiVersion, string kind)
    {
        var definition = Store.ResourceCatalog.ForKind(apiVersion, kind) ?? throw new ArgumentException($"unknown {apiVersion} {kind}");
        Served.Add(definition.Key);
    }

    /// <summary>
    /// The author's truth: hostNetworkPods ["ns/name"], hostNetworkWorkloads ["Kind/ns/name"],
    /// namespaces {"ns": "Compliant|NonCompliant|Conditional|Unknown|Exempt"}, and anything else a test needs.
    /// </summary>
    public JsonObject Truth { get; } = new();

    public void Add(JsonObject obj) => Objects.Add(obj);

    /// <summary>Adds to a string array in Truth.</summary>
    public void Declare(string key, string value)
    {
        if (Truth[key] is not JsonArray array)
        {
            array = new JsonArray();
            Truth[key] = array;
        }

        array.Add(value);
    }

    public void DeclareNamespace(string ns, string status)
    {
        if (Truth["namespaces"] is not JsonObject map)
        {
            map = new JsonObject();
            Truth["namespaces"] = map;
        }

        map[ns] = status;
    }
}

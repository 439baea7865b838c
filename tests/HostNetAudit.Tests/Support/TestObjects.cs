using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;

namespace HostNetAudit.Tests.Support;

/// <summary>Kubernetes objects written in tests: from JSON or YAML text, namespaces, variations of an object.</summary>
internal static class TestObjects
{
    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    /// <summary>A YAML document (the only one of the text) as JSON.</summary>
    public static JsonElement Yaml(string yaml) => YamlDocs(yaml).Single();

    /// <summary>Every document of a YAML text as JSON, read as the offline reader reads it.</summary>
    public static List<JsonElement> YamlDocs(string yaml) =>
        YamlDocuments.Read(yaml)
            .Select(d => d.Node ?? throw new InvalidDataException(d.Error))
            .Select(n => JsonSerializer.SerializeToElement(n))
            .ToList();

    /// <summary>A Namespace as the apiserver stores it: with the kubernetes.io/metadata.name label it adds.</summary>
    public static JsonElement Namespace(string name = "team-a", params (string Key, string Value)[] labels)
    {
        var labelObject = new JsonObject { ["kubernetes.io/metadata.name"] = name };
        foreach (var (key, value) in labels)
        {
            labelObject[key] = value;
        }

        return JsonSerializer.SerializeToElement(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labelObject },
        });
    }

    /// <summary>Returns the object with a change applied (a variation of a corpus object, in memory only).</summary>
    public static JsonElement With(JsonElement obj, Action<JsonObject> change)
    {
        var node = JsonNode.Parse(obj.GetRawText())!.AsObject();
        change(node);
        return JsonSerializer.SerializeToElement(node);
    }

    /// <summary>Objects as evidence read from a file named "memory", one document each.</summary>
    public static List<EvidenceObject> Evidence(IEnumerable<JsonElement> objects) =>
        objects.Select((o, i) => new EvidenceObject(o, "memory", i + 1)).ToList();
}

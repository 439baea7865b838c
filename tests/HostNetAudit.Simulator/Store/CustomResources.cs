using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Api;

namespace HostNetAudit.Simulator.Store;

/// <summary>
/// CustomResourceDefinitions: the resources a CRD's served versions define, and what the apiserver does to custom
/// objects with a structural schema: unknown fields are pruned silently (except under
/// x-kubernetes-preserve-unknown-fields), then types, enums and required fields are validated.
/// </summary>
public static class CustomResources
{
    private static readonly string[] ReadWrite = { "create", "delete", "get", "list", "patch", "update", "watch" };
    private static readonly IReadOnlyList<string> MetaFields = new[] { "metadata.name", "metadata.namespace" };

    /// <summary>The CRDs in a YAML or JSON file, or in the files of a folder (read in place, in name order).</summary>
    public static IEnumerable<JsonObject> ReadDefinitions(string path)
    {
        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)
            : File.Exists(path) ? new[] { path } : throw new ArgumentException($"no CustomResourceDefinition file or folder at '{path}'");
        foreach (var file in files)
        {
            foreach (var document in Yaml.ParseDocuments(File.ReadAllText(file)))
            {
                if (document is JsonObject crd && crd["kind"]?.ToString() == "CustomResourceDefinition")
                {
                    yield return crd;
                }
            }
        }
    }

    /// <summary>One resource per served version of a CRD.</summary>
    public static IEnumerable<ResourceDefinition> Definitions(JsonObject crd)
    {
        ArgumentNullException.ThrowIfNull(crd);
        var spec = crd["spec"] as JsonObject ?? new JsonObject();
        var group = spec["group"]?.ToString() ?? string.Empty;
        var names = spec["names"] as JsonObject ?? new JsonObject();
        var namespaced = spec["scope"]?.ToString() != "Cluster";
        foreach (var version in (spec["versions"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().Where(v => v["served"]?.GetValue<bool>() != false))
        {
            var status = version["subresources"]?["status"] is not null;
            yield return new ResourceDefinition(group, version["name"]?.ToString() ?? "v1", names["plural"]?.ToString() ?? string.Empty, names["kind"]?.ToString() ?? string.Empty, namespaced, MetaFields, ReadWrite)
            {
                BuiltIn = false,
                FromCustomResourceDefinition = true,
                TracksGeneration = true,
                ServerStatus = status,
                Subresources = status ? new[] { "status" } : Array.Empty<string>(),
                Schema = version["schema"]?["openAPIV3Schema"]?.DeepClone(),
            };
        }
    }

    /// <summary>Removes the fields a structural schema does not know (apiVersion, kind and metadata always stay).</summary>
    public static void Prune(JsonObject obj, JsonNode schema)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (schema is not JsonObject root)
        {
            return;
        }

        foreach (var key in obj.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata")).ToList())
        {
            if (root["properties"]?[key] is JsonObject property)
            {
                PruneNode(obj[key], property);
            }
            else if (!PreservesUnknown(root))
            {
                obj.Remove(key);
            }
        }
    }

    private static bool PreservesUnknown(JsonObject schema) => schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;

    private static void PruneNode(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var key in obj.Select(p => p.Key).ToList())
                    {
                        if (properties[key] is JsonObject property)
                        {
                            PruneNode(obj[key], property);
                        }
                        else if (!PreservesUnknown(schema))
                        {
                            obj.Remove(key);
                        }
                    }
                }
                else if (schema["additionalProperties"] is JsonObject additional)
                {
                    foreach (var (_, value) in obj.ToList())
                    {
                        PruneNode(value, additional);
                    }
                }
                else if (!PreservesUnknown(schema) && schema["additionalProperties"]?.GetValueKind() != JsonValueKind.True)
                {
                    obj.Clear();
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    PruneNode(item, items);
                }

                break;
        }
    }

    /// <summary>Type, enum and required-field errors of a (pruned) object, as the apiserver words them.</summary>
    public static List<string> Validate(JsonObject obj, JsonNode schema)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var errors = new List<string>();
        if (schema is JsonObject root)
        {
            var body = new JsonObject(obj.Where(p => p.Key is not ("apiVersion" or "kind" or "metadata")).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            ValidateNode(body, root, string.Empty, errors);
        }

        return errors;
    }

    private static void ValidateNode(JsonNode? node, JsonObject schema, string path, List<string> errors)
    {
        var type = schema["type"]?.ToString();
        if (node is null)
        {
            return;
        }

        var kind = node.GetValueKind();
        var typeOk = type switch
        {
            "object" => kind == JsonValueKind.Object,
            "array" => kind == JsonValueKind.Array,
            "string" => kind == JsonValueKind.String,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            "integer" => kind == JsonValueKind.Number && long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            "number" => kind == JsonValueKind.Number,
            _ => true,
        };
        if (!typeOk)
        {
            var actual = kind switch { JsonValueKind.Object => "object", JsonValueKind.Array => "array", JsonValueKind.String => "string", JsonValueKind.Number => "number", _ => "boolean" };
            errors.Add($"{path}: Invalid value: \"{actual}\": {path} in body must be of type {type}: \"{actual}\"");
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            errors.Add($"{path}: Unsupported value: {node.ToJsonString()}: supported values: {string.Join(", ", allowed.Select(a => a?.ToJsonString()))}");
        }

        if (node is JsonObject obj)
        {
            foreach (var required in (schema["required"] as JsonArray ?? new JsonArray()).Select(r => r?.ToString() ?? string.Empty))
            {
                if (!obj.ContainsKey(required))
                {
                    errors.Add($"{Join(path, required)}: Required value");
                }
            }

            foreach (var (key, value) in obj)
            {
                if (schema["properties"]?[key] is JsonObject property)
                {
                    ValidateNode(value, property, Join(path, key), errors);
                }
                else if (schema["additionalProperties"] is JsonObject additional)
                {
                    ValidateNode(value, additional, Join(path, key), errors);
                }
            }
        }
        else if (node is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                ValidateNode(array[i], items, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", errors);
            }
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
}

using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Api;

/// <summary>A patch that cannot be applied (422), or whose test operation failed.</summary>
public sealed class PatchException : Exception
{
    public PatchException(string message)
        : base(message)
    {
    }

    public PatchException()
    {
    }

    public PatchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>RFC 6902 JSON patch and RFC 7386 merge patch (strategic merge behaves as merge for maps).</summary>
public static class Patches
{
    public static JsonObject ApplyMerge(JsonObject target, JsonObject patch)
    {
        var result = (JsonObject)target.DeepClone();
        MergeInto(result, patch);
        return result;
    }

    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObject && target[key] is JsonObject targetObject)
            {
                MergeInto(targetObject, patchObject);
            }
            else if (value is JsonObject newObject)
            {
                var fresh = new JsonObject();
                MergeInto(fresh, newObject);
                target[key] = fresh;
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    public static JsonObject ApplyJsonPatch(JsonObject target, JsonArray operations)
    {
        JsonNode root = target.DeepClone();
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op)
            {
                throw new PatchException("json patch operation is not an object");
            }

            var name = op["op"]?.GetValue<string>() ?? throw new PatchException("missing op");
            var path = op["path"]?.GetValue<string>() ?? throw new PatchException("missing path");
            switch (name)
            {
                case "add":
                    root = Add(root, path, op["value"]?.DeepClone(), replace: false);
                    break;
                case "replace":
                    Require(root, path, name);
                    root = Add(root, path, op["value"]?.DeepClone(), replace: true);
                    break;
                case "remove":
                    Require(root, path, name);
                    root = Remove(root, path);
                    break;
                case "test":
                    var actual = Resolve(root, path);
                    var expected = op["value"];
                    if (!JsonNode.DeepEquals(actual, expected))
                    {
                        throw new PatchException($"testing value {path} failed: test failed");
                    }

                    break;
                case "move":
                case "copy":
                    var from = op["from"]?.GetValue<string>() ?? throw new PatchException("missing from");
                    var value = Resolve(root, from)?.DeepClone();
                    if (name == "move")
                    {
                        root = Remove(root, from);
                    }

                    root = Add(root, path, value, replace: false);
                    break;
                default:
                    throw new PatchException($"Unexpected kind: {name}");
            }
        }

        return root as JsonObject ?? throw new PatchException("patch replaced the object with a non-object");
    }

    public static string[] Split(string pointer)
    {
        if (pointer.Length == 0)
        {
            return Array.Empty<string>();
        }

        if (!pointer.StartsWith('/'))
        {
            throw new PatchException($"invalid JSON pointer '{pointer}'");
        }

        return pointer[1..].Split('/').Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode? Resolve(JsonNode? root, string pointer) => ResolveParts(root, Split(pointer), pointer);

    private static JsonNode? ResolveParts(JsonNode? root, IEnumerable<string> parts, string pointer)
    {
        var node = root;
        foreach (var part in parts)
        {
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(part, out var v) ? v : throw new PatchException($"path {pointer} not found"),
                JsonArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new PatchException($"path {pointer} not found"),
            };
        }

        return node;
    }

    private static void Require(JsonNode root, string pointer, string op)
    {
        try
        {
            Resolve(root, pointer);
        }
        catch (PatchException)
        {
            throw new PatchException($"{op} operation does not apply: doc is missing key: {pointer}");
        }
    }

    private static JsonNode Add(JsonNode root, string pointer, JsonNode? value, bool replace)
    {
        var parts = Split(pointer);
        if (parts.Length == 0)
        {
            return value ?? throw new PatchException("cannot replace the root with null");
        }

        var parent = ResolveParts(root, parts[..^1], pointer);
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var index) && index >= 0 && index <= a.Count:
                if (replace)
                {
                    a[index] = value;
                }
                else
                {
                    a.Insert(index, value);
                }

                break;
            default:
                throw new PatchException($"add operation does not apply: doc is missing path: {pointer}");
        }

        return root;
    }

    private static JsonNode Remove(JsonNode root, string pointer)
    {
        var parts = Split(pointer);
        var parent = ResolveParts(root, parts[..^1], pointer);
        var last = parts[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, out var index) && index >= 0 && index < a.Count:
                a.RemoveAt(index);
                break;
            default:
                throw new PatchException($"remove operation does not apply: doc is missing path: {pointer}");
        }

        return root;
    }
}

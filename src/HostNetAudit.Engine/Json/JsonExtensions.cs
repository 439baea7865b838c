using System.Globalization;
using System.Text.Json;

namespace HostNetAudit.Engine.Json;

/// <summary>Null-tolerant navigation of Kubernetes objects as JSON.</summary>
internal static class JsonExtensions
{
    /// <summary>The property, or default (Undefined) when absent or when the element is not an object.</summary>
    public static JsonElement Get(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    /// <summary>Follows a path of property names.</summary>
    public static JsonElement Get(this JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            current = current.Get(name);
            if (current.ValueKind == JsonValueKind.Undefined)
            {
                break;
            }
        }

        return current;
    }

    public static bool Exists(this JsonElement element) => element.ValueKind is not JsonValueKind.Undefined and not JsonValueKind.Null;

    public static string? AsString(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    /// <summary>True only for a JSON true (Kubernetes booleans are typed).</summary>
    public static bool IsTrue(this JsonElement element) => element.ValueKind == JsonValueKind.True;

    public static bool IsFalse(this JsonElement element) => element.ValueKind == JsonValueKind.False;

    public static int? AsInt(this JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value))
        {
            return value;
        }

        if (element.ValueKind == JsonValueKind.String && int.TryParse(element.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
        {
            return value;
        }

        return null;
    }

    public static IEnumerable<JsonElement> Items(this JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray() : Enumerable.Empty<JsonElement>();

    public static IEnumerable<JsonProperty> Properties(this JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? element.EnumerateObject() : Enumerable.Empty<JsonProperty>();

    /// <summary>A string-to-string map (labels, annotations).</summary>
    public static Dictionary<string, string> AsStringMap(this JsonElement element)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.Properties())
        {
            map[property.Name] = property.Value.AsString() ?? string.Empty;
        }

        return map;
    }

    public static DateTimeOffset? AsTimestamp(this JsonElement element) =>
        element.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;
}

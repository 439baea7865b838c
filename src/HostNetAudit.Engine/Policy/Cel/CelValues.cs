using System.Text.Json;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// Kubernetes objects as CEL values: JSON objects become <c>Dictionary&lt;string, object?&gt;</c>, arrays
/// <c>object?[]</c>, integers <c>long</c>, other numbers <c>double</c> — the shapes the evaluator selects,
/// indexes and compares (it needs these exact types, not interfaces).
/// </summary>
internal static class CelValues
{
    public static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject()
            .GroupBy(p => p.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => FromJson(g.Last().Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToArray(),
        JsonValueKind.String => element.GetString(),
        // Boxed separately: "? l : d" would widen every integer to double.
        JsonValueKind.Number => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static object? FromJson(JsonElement? element) =>
        element is { } e && e.ValueKind is not JsonValueKind.Undefined ? FromJson(e) : null;

    /// <summary>A short, readable rendering of a value for details (never whole objects).</summary>
    public static string Describe(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => "\"" + (s.Length > 80 ? s[..77] + "..." : s) + "\"",
        IDictionary<string, object?> => "a map",
        object?[] array => $"a list of {array.Length}",
        System.Collections.IList list => $"a list of {list.Count}",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? value.GetType().Name,
    };
}

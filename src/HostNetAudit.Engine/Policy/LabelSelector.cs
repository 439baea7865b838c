using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy;

/// <summary>A Kubernetes label selector (matchLabels and matchExpressions) evaluated against a label map.</summary>
internal static class LabelSelector
{
    /// <summary>True when the selector is absent or null (callers decide what that means).</summary>
    public static bool IsAbsent(JsonElement selector) => !selector.Exists();

    /// <summary>True when the selector selects everything: absent, null or {} (no labels, no expressions).</summary>
    public static bool SelectsEverything(JsonElement selector) =>
        !selector.Exists() ||
        (selector.ValueKind == JsonValueKind.Object && !selector.Get("matchLabels").Properties().Any() && !selector.Get("matchExpressions").Items().Any());

    /// <summary>Evaluates the selector; an empty selector matches everything. Null when the selector is invalid.</summary>
    public static bool? Matches(JsonElement selector, IReadOnlyDictionary<string, string> labels)
    {
        if (!selector.Exists())
        {
            return true;
        }

        if (selector.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var pair in selector.Get("matchLabels").Properties())
        {
            if (!labels.TryGetValue(pair.Name, out var value) || !string.Equals(value, pair.Value.AsString(), StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var expression in selector.Get("matchExpressions").Items())
        {
            var key = expression.Get("key").AsString();
            var op = expression.Get("operator").AsString();
            if (key is null || op is null)
            {
                return null;
            }

            var values = expression.Get("values").Items().Select(v => v.AsString() ?? string.Empty).ToList();
            var has = labels.TryGetValue(key, out var actual);
            var ok = op switch
            {
                "In" => has && values.Contains(actual!, StringComparer.Ordinal),
                "NotIn" => !has || !values.Contains(actual!, StringComparer.Ordinal),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => (bool?)null,
            };
            if (ok is null)
            {
                return null;
            }

            if (ok == false)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A short text of the selector for details.</summary>
    public static string Describe(JsonElement selector)
    {
        if (!selector.Exists())
        {
            return "(none)";
        }

        var parts = new List<string>();
        parts.AddRange(selector.Get("matchLabels").Properties().Select(p => p.Name + "=" + p.Value.AsString()));
        foreach (var e in selector.Get("matchExpressions").Items())
        {
            var values = string.Join(",", e.Get("values").Items().Select(v => v.AsString()));
            parts.Add(e.Get("operator").AsString() switch
            {
                "Exists" => e.Get("key").AsString()!,
                "DoesNotExist" => "!" + e.Get("key").AsString(),
                var op => $"{e.Get("key").AsString()} {op} ({values})",
            });
        }

        return parts.Count == 0 ? "{}" : string.Join(", ", parts);
    }
}

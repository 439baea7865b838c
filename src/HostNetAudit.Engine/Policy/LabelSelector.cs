using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy;

/// <summary>A Kubernetes label selector (matchLabels and matchExpressions) evaluated against a label map.</summary>
internal static class LabelSelector
{
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
            if (!ValuesFit(op, values.Count))
            {
                return null;
            }

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

    /// <summary>
    /// The apiserver's rule (LabelSelectorAsSelector): In and NotIn need values, Exists and DoesNotExist take none;
    /// a selector that breaks it is an error, never a match.
    /// </summary>
    public static bool ValuesFit(string op, int count) => op is "In" or "NotIn" ? count > 0 : count == 0;

    /// <summary>The selector in the apiserver's labelSelector query syntax; null when it cannot be written so (invalid).</summary>
    public static string? ToQuery(JsonElement selector)
    {
        if (selector.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var parts = new List<string>();
        parts.AddRange(selector.Get("matchLabels").Properties().Select(p => p.Name + "=" + p.Value.AsString()));
        foreach (var e in selector.Get("matchExpressions").Items())
        {
            var key = e.Get("key").AsString();
            var values = e.Get("values").Items().Select(v => v.AsString() ?? string.Empty).ToList();
            var op = e.Get("operator").AsString() ?? string.Empty;
            if (key is null || !ValuesFit(op, values.Count))
            {
                return null;
            }

            parts.Add(op switch
            {
                "In" => $"{key} in ({string.Join(",", values)})",
                "NotIn" => $"{key} notin ({string.Join(",", values)})",
                "Exists" => key,
                _ => "!" + key,
            });
        }

        return string.Join(",", parts);
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

/// <summary>A label selector read once and evaluated against many namespaces.</summary>
internal sealed class CompiledSelector
{
    private readonly (string Key, string Value)[] labels;
    private readonly (string Key, string Op, HashSet<string> Values)[] expressions;

    private CompiledSelector(JsonElement selector)
    {
        Present = selector.Exists();
        Valid = !Present || selector.ValueKind == JsonValueKind.Object;
        labels = selector.Get("matchLabels").Properties().Select(p => (p.Name, p.Value.AsString() ?? string.Empty)).ToArray();
        expressions = selector.Get("matchExpressions").Items()
            .Select(e => (e.Get("key").AsString() ?? string.Empty, e.Get("operator").AsString() ?? string.Empty, new HashSet<string>(e.Get("values").Items().Select(v => v.AsString() ?? string.Empty), StringComparer.Ordinal)))
            .ToArray();
        if (expressions.Any(e => e.Key.Length == 0 || e.Op is not ("In" or "NotIn" or "Exists" or "DoesNotExist") || !LabelSelector.ValuesFit(e.Op, e.Values.Count)))
        {
            Valid = false;
        }

        SelectsEverything = labels.Length == 0 && expressions.Length == 0;
        Description = LabelSelector.Describe(selector);
    }

    /// <summary>The selector was written (not absent or null).</summary>
    public bool Present { get; }

    public bool Valid { get; }

    /// <summary>Absent, null or {}: selects everything.</summary>
    public bool SelectsEverything { get; }

    public string Description { get; }

    public static CompiledSelector From(JsonElement selector) => new(selector);

    /// <summary>True when selected; null when the selector is invalid. An absent selector selects everything.</summary>
    public bool? Matches(IReadOnlyDictionary<string, string> set)
    {
        if (!Valid)
        {
            return null;
        }

        foreach (var (key, value) in labels)
        {
            if (!set.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        foreach (var (key, op, values) in expressions)
        {
            var has = set.TryGetValue(key, out var actual);
            var ok = op switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                _ => !has,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}

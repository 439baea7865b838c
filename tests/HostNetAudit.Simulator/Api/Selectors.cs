using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Api;

/// <summary>A field selector: comma-separated field=value, field==value, field!=value.</summary>
public sealed class FieldSelector
{
    private readonly List<(string Field, string Value, bool Equal)> terms = new();

    private FieldSelector()
    {
    }

    public IEnumerable<string> Fields => terms.Select(t => t.Field);

    public static FieldSelector Parse(string? text)
    {
        var selector = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            int at;
            if ((at = term.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                selector.terms.Add((term[..at].Trim(), term[(at + 2)..].Trim(), false));
            }
            else if ((at = term.IndexOf("==", StringComparison.Ordinal)) > 0)
            {
                selector.terms.Add((term[..at].Trim(), term[(at + 2)..].Trim(), true));
            }
            else if ((at = term.IndexOf('=', StringComparison.Ordinal)) > 0)
            {
                selector.terms.Add((term[..at].Trim(), term[(at + 1)..].Trim(), true));
            }
            else
            {
                throw new FormatException($"invalid selector: '{text}'; can't understand '{term}'");
            }
        }

        return selector;
    }

    public bool IsEmpty => terms.Count == 0;

    public bool Matches(JsonObject obj) => terms.All(t => (FieldValue(obj, t.Field) == t.Value) == t.Equal);

    public bool Matches(Store.StoredObject obj) => terms.All(t => ((t.Field switch
    {
        "metadata.name" => obj.Name,
        "metadata.namespace" => obj.Namespace ?? string.Empty,
        _ => obj.Field(t.Field) ?? string.Empty,
    }) == t.Value) == t.Equal);

    /// <summary>The field's value as the apiserver's field set renders it (booleans as true/false, absent as "" or false).</summary>
    public static string FieldValue(JsonObject obj, string field)
    {
        JsonNode? node = obj;
        foreach (var part in field.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        if (node is null)
        {
            return field is "spec.hostNetwork" or "spec.unschedulable" ? "false" : string.Empty;
        }

        return node is JsonValue value && value.TryGetValue<bool>(out var flag) ? (flag ? "true" : "false") : node.ToString();
    }
}

/// <summary>A label selector: equality (=, ==, !=), set (in, notin) and existence (key, !key) requirements.</summary>
public sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> requirements = new();

    public bool IsEmpty => requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var term in SplitTerms(text))
        {
            var t = term.Trim();
            if (t.Length == 0)
            {
                continue;
            }

            var inAt = IndexOfWord(t, " notin ");
            if (inAt > 0)
            {
                var key = t[..inAt].Trim();
                var values = ParseSet(t[(inAt + 7)..], text);
                selector.requirements.Add(l => !l.TryGetValue(key, out var v) || !values.Contains(v));
                continue;
            }

            inAt = IndexOfWord(t, " in ");
            if (inAt > 0)
            {
                var key = t[..inAt].Trim();
                var values = ParseSet(t[(inAt + 4)..], text);
                selector.requirements.Add(l => l.TryGetValue(key, out var v) && values.Contains(v));
                continue;
            }

            int at;
            if ((at = t.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                var key = t[..at].Trim();
                var value = t[(at + 2)..].Trim();
                selector.requirements.Add(l => !l.TryGetValue(key, out var v) || v != value);
            }
            else if ((at = t.IndexOf("==", StringComparison.Ordinal)) > 0)
            {
                var key = t[..at].Trim();
                var value = t[(at + 2)..].Trim();
                selector.requirements.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if ((at = t.IndexOf('=', StringComparison.Ordinal)) > 0)
            {
                var key = t[..at].Trim();
                var value = t[(at + 1)..].Trim();
                selector.requirements.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if (t.StartsWith('!'))
            {
                var key = t[1..].Trim();
                selector.requirements.Add(l => !l.ContainsKey(key));
            }
            else if (t.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/'))
            {
                selector.requirements.Add(l => l.ContainsKey(t));
            }
            else
            {
                throw new FormatException($"unable to parse requirement: '{t}'");
            }
        }

        return selector;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => requirements.All(r => r(labels));

    /// <summary>
    /// A metav1.LabelSelector object: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist), all
    /// of them required. An empty selector selects everything; callers decide what a missing one means.
    /// </summary>
    public static LabelSelector FromObject(JsonNode? node)
    {
        var selector = new LabelSelector();
        if (node is not JsonObject obj)
        {
            return selector;
        }

        if (obj["matchLabels"] is JsonObject matchLabels)
        {
            foreach (var (key, valueNode) in matchLabels)
            {
                var value = valueNode?.ToString() ?? string.Empty;
                selector.requirements.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
        }

        foreach (var expression in (obj["matchExpressions"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
        {
            var key = expression["key"]?.ToString() ?? string.Empty;
            var values = (expression["values"] as JsonArray ?? new JsonArray()).Select(v => v?.ToString() ?? string.Empty).ToHashSet(StringComparer.Ordinal);
            switch (expression["operator"]?.ToString())
            {
                case "In":
                    selector.requirements.Add(l => l.TryGetValue(key, out var v) && values.Contains(v));
                    break;
                case "NotIn":
                    selector.requirements.Add(l => !l.TryGetValue(key, out var v) || !values.Contains(v));
                    break;
                case "Exists":
                    selector.requirements.Add(l => l.ContainsKey(key));
                    break;
                case "DoesNotExist":
                    selector.requirements.Add(l => !l.ContainsKey(key));
                    break;
                default:
                    throw new FormatException($"\"{expression["operator"]}\" is not a valid label selector operator");
            }
        }

        return selector;
    }

    public static Dictionary<string, string> LabelsOf(JsonObject obj)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"]?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                result[key] = value?.ToString() ?? string.Empty;
            }
        }

        return result;
    }

    private static int IndexOfWord(string term, string word) => term.IndexOf(word, StringComparison.Ordinal);

    private static HashSet<string> ParseSet(string text, string selector)
    {
        var t = text.Trim();
        if (!t.StartsWith('(') || !t.EndsWith(')'))
        {
            throw new FormatException($"unable to parse requirement: found '{t}', expected: '('  in '{selector}'");
        }

        return t[1..^1].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToHashSet(StringComparer.Ordinal);
    }

    private static IEnumerable<string> SplitTerms(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }
}

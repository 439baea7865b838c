using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>
/// Kyverno conditions (validate.deny.conditions, preconditions) for a pod create: {key, operator, value} with
/// variables resolved from the admission request. Only the variables whose value is certain are resolved
/// (request.object.*, request.operation, request.namespace, request.name, request.userInfo.username, with a
/// JMESPath "|| default"); anything else makes the answer unknown, never guessed.
/// </summary>
internal static partial class KyvernoConditions
{
    /// <summary>
    /// Evaluates a condition block: a list (all must hold) or {any, all}. Null when it cannot be evaluated.
    /// With <paramref name="podFieldsFree"/>, the fields of the pod that its creator chooses (everything under
    /// request.object except spec.hostNetwork and metadata.namespace) are left unknown: a definite answer then
    /// holds for every hostNetwork pod, whatever labels, annotations or containers it has.
    /// </summary>
    public static bool? Evaluate(JsonElement block, JsonElement pod, string ns, bool podFieldsFree = false)
    {
        if (!block.Exists())
        {
            return true;
        }

        if (block.ValueKind == JsonValueKind.Array)
        {
            return All(block, pod, ns, podFieldsFree);
        }

        if (block.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        bool? result = true;
        if (block.Get("any").ValueKind == JsonValueKind.Array)
        {
            result = Any(block.Get("any"), pod, ns, podFieldsFree);
        }

        if (result == false)
        {
            return false;
        }

        if (block.Get("all").ValueKind == JsonValueKind.Array)
        {
            var all = All(block.Get("all"), pod, ns, podFieldsFree);
            return all == false ? false : result is null || all is null ? null : true;
        }

        return result;
    }

    private static bool? All(JsonElement conditions, JsonElement pod, string ns, bool free)
    {
        bool? result = true;
        foreach (var condition in conditions.EnumerateArray())
        {
            var one = One(condition, pod, ns, free);
            if (one == false)
            {
                return false;
            }

            if (one is null)
            {
                result = null;
            }
        }

        return result;
    }

    private static bool? Any(JsonElement conditions, JsonElement pod, string ns, bool free)
    {
        bool? result = false;
        foreach (var condition in conditions.EnumerateArray())
        {
            var one = One(condition, pod, ns, free);
            if (one == true)
            {
                return true;
            }

            if (one is null)
            {
                result = null;
            }
        }

        return result;
    }

    private static bool? One(JsonElement condition, JsonElement pod, string ns, bool free)
    {
        if (!Resolve(condition.Get("key"), pod, ns, free, out var key) || !Resolve(condition.Get("value"), pod, ns, free, out var value))
        {
            return null;
        }

        var op = condition.Get("operator").AsString() ?? string.Empty;
        return op switch
        {
            "Equals" or "Equal" => EqualsValue(key, value),
            "NotEquals" or "NotEqual" => EqualsValue(key, value) is { } eq ? !eq : null,
            "In" or "AnyIn" => AnyIn(key, value),
            "AllIn" => AllIn(key, value),
            "NotIn" or "AllNotIn" => AnyIn(key, value) is { } any ? !any : null,
            "AnyNotIn" => AllIn(key, value) is { } all ? !all : null,
            _ => null,
        };
    }

    private static bool? EqualsValue(object? key, object? value)
    {
        switch (key, value)
        {
            case (null, null):
                return true;
            case (bool k, bool v):
                return k == v;
            case (decimal k, decimal v):
                return k == v;
            case (string k, string v):
                return Wildcard.Match(v, k);
            case (null, _) or (_, null):
                return false;
            case (bool, string) or (string, bool) or (decimal, string) or (string, decimal):
                return null; // Kyverno converts some of these; not guessed here.
            default:
                return null;
        }
    }

    private static bool? AnyIn(object? key, object? value)
    {
        var keys = key is List<object?> list ? list : new List<object?> { key };
        var values = value is List<object?> vlist ? vlist : new List<object?> { value };
        bool? result = false;
        foreach (var k in keys)
        {
            foreach (var v in values)
            {
                var eq = EqualsValue(k, v);
                if (eq == true)
                {
                    return true;
                }

                if (eq is null)
                {
                    result = null;
                }
            }
        }

        return result;
    }

    private static bool? AllIn(object? key, object? value)
    {
        var keys = key is List<object?> list ? list : new List<object?> { key };
        bool? result = true;
        foreach (var k in keys)
        {
            var one = AnyIn(k, value);
            if (one == false)
            {
                return false;
            }

            if (one is null)
            {
                result = null;
            }
        }

        return result;
    }

    /// <summary>Resolves a key or value: a literal, or a string with {{ }} variables.</summary>
    private static bool Resolve(JsonElement element, JsonElement pod, string ns, bool free, out object? value)
    {
        value = null;
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return true;
            case JsonValueKind.True or JsonValueKind.False:
                value = element.ValueKind == JsonValueKind.True;
                return true;
            case JsonValueKind.Number:
                value = element.GetDecimal();
                return true;
            case JsonValueKind.Array:
                var list = new List<object?>();
                foreach (var item in element.EnumerateArray())
                {
                    if (!Resolve(item, pod, ns, free, out var one))
                    {
                        return false;
                    }

                    list.Add(one);
                }

                value = list;
                return true;
            case JsonValueKind.String:
                var text = element.GetString()!;
                var whole = WholeVariable().Match(text);
                if (whole.Success)
                {
                    return Variable(whole.Groups[1].Value.Trim(), pod, ns, free, out value);
                }

                if (!text.Contains("{{", StringComparison.Ordinal))
                {
                    value = text;
                    return true;
                }

                return false; // interpolation of several variables: not resolved
            default:
                return false;
        }
    }

    private static bool Variable(string expression, JsonElement pod, string ns, bool free, out object? value)
    {
        value = null;
        var parts = expression.Split("||", 2);
        var path = parts[0].Trim();
        object? resolved;
        if (path == "request.operation")
        {
            resolved = "CREATE";
        }
        else if (path == "request.namespace")
        {
            resolved = ns;
        }
        else if (free && path.StartsWith("request.object.", StringComparison.Ordinal) && path is not ("request.object.spec.hostNetwork" or "request.object.metadata.namespace"))
        {
            return false; // chosen by the pod's creator: left unknown
        }
        else if (path.StartsWith("request.object.", StringComparison.Ordinal) && SimplePath().IsMatch(path))
        {
            var current = pod;
            foreach (var segment in path["request.object.".Length..].Split('.'))
            {
                current = current.Get(segment);
            }

            resolved = FromJson(current);
            if (resolved is Unresolvable)
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        if (parts.Length == 2 && IsFalsy(resolved))
        {
            var fallback = parts[1].Trim().Trim('`');
            if (fallback.StartsWith('\'') && fallback.EndsWith('\''))
            {
                resolved = fallback[1..^1];
            }
            else
            {
                try
                {
                    using var document = JsonDocument.Parse(fallback);
                    resolved = FromJson(document.RootElement);
                }
                catch (JsonException)
                {
                    return false;
                }

                if (resolved is Unresolvable)
                {
                    return false;
                }
            }
        }

        value = resolved;
        return true;
    }

    private static bool IsFalsy(object? value) => value is null || value is false || (value is string s && s.Length == 0) || (value is List<object?> l && l.Count == 0);

    private static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => element.GetDecimal(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        _ => Unresolvable.Instance,
    };

    private sealed class Unresolvable
    {
        public static readonly Unresolvable Instance = new();
    }

    [GeneratedRegex(@"^\s*\{\{(.*)\}\}\s*$")]
    private static partial Regex WholeVariable();

    [GeneratedRegex(@"^request\.object(\.[A-Za-z_][A-Za-z0-9_]*)+$")]
    private static partial Regex SimplePath();
}

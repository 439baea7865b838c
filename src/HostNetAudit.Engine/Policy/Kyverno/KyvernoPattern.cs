using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>The outcome of matching a resource against a validate pattern.</summary>
internal enum PatternResult
{
    /// <summary>The resource satisfies the pattern.</summary>
    Pass,

    /// <summary>The resource violates the pattern: the rule fails.</summary>
    Fail,

    /// <summary>A conditional or global anchor did not hold: the rule does not apply to the resource.</summary>
    Skip,

    /// <summary>The pattern uses something not evaluated here (variables, unknown anchors).</summary>
    Unknown,
}

/// <summary>
/// Kyverno's validate.pattern semantics, on JSON: anchors (conditional (k), equality =(k), existence ^(k),
/// negation X(k), global &lt;(k)) evaluated before plain keys; plain keys require the field (a missing field is
/// compared as null, which a bool or string pattern never matches); arrays of maps validated element by element
/// against the first pattern element; scalar patterns with | and &amp;, operators (!, &gt;, &lt;, &gt;=, &lt;=,
/// ranges a-b and a!-b), wildcards and quantities. Written from Kyverno's documented and implemented behaviour.
/// </summary>
internal static partial class KyvernoPattern
{
    public static PatternResult Match(JsonElement resource, JsonElement pattern) => Match(resource, pattern, out _);

    /// <summary>Matches, and says where the resource failed (Kyverno's path, e.g. /spec/hostNetwork/).</summary>
    public static PatternResult Match(JsonElement resource, JsonElement pattern, out string path)
    {
        path = string.Empty;
        if (pattern.GetRawText().Contains("{{", StringComparison.Ordinal))
        {
            return PatternResult.Unknown;
        }

        try
        {
            var error = Element(resource, pattern);
            path = error?.Path ?? string.Empty;
            return error switch
            {
                null => PatternResult.Pass,
                { Kind: ErrorKind.Skip } => PatternResult.Skip,
                _ => PatternResult.Fail,
            };
        }
        catch (NotSupportedException)
        {
            return PatternResult.Unknown;
        }
    }

    private enum ErrorKind
    {
        Fail,
        Skip,
    }

    private sealed record PatternError(ErrorKind Kind, string Path);

    private static PatternError? Element(JsonElement resource, JsonElement pattern, string path = "/")
    {
        switch (pattern.ValueKind)
        {
            case JsonValueKind.Object:
                return resource.ValueKind == JsonValueKind.Object ? Map(resource, pattern, path) : new PatternError(ErrorKind.Fail, path);
            case JsonValueKind.Array:
                return resource.ValueKind == JsonValueKind.Array ? Array(resource, pattern, path) : new PatternError(ErrorKind.Fail, path);
            default:
                if (resource.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in resource.EnumerateArray())
                    {
                        if (!Value(item, pattern))
                        {
                            return new PatternError(ErrorKind.Fail, path);
                        }
                    }

                    return null;
                }

                return Value(resource, pattern) ? null : new PatternError(ErrorKind.Fail, path);
        }
    }

    private static PatternError? Map(JsonElement resource, JsonElement pattern, string path)
    {
        var anchors = new List<(Anchor Anchor, JsonElement Value)>();
        var plain = new List<(string Key, JsonElement Value)>();
        foreach (var property in pattern.EnumerateObject())
        {
            var anchor = Anchor.Parse(property.Name);
            if (anchor is null)
            {
                if (property.Name.Contains('*', StringComparison.Ordinal) || property.Name.Contains('?', StringComparison.Ordinal))
                {
                    throw new NotSupportedException("wildcard keys");
                }

                plain.Add((property.Name, property.Value));
            }
            else
            {
                anchors.Add((anchor, property.Value));
            }
        }

        foreach (var (anchor, value) in anchors)
        {
            var error = HandleAnchor(anchor, value, resource, path);
            if (error is not null)
            {
                return error;
            }
        }

        // Keys whose values hold anchors first, as Kyverno orders them.
        foreach (var (key, value) in plain.OrderBy(p => HasNestedAnchor(p.Value) ? 0 : 1))
        {
            var current = path + key + "/";
            var has = resource.TryGetProperty(key, out var actual);
            if (value.ValueKind == JsonValueKind.String && value.GetString() == "*")
            {
                if (!has || actual.ValueKind == JsonValueKind.Null)
                {
                    return new PatternError(ErrorKind.Fail, path);
                }

                continue;
            }

            var error = Element(has ? actual : default, value, current);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static PatternError? HandleAnchor(Anchor anchor, JsonElement value, JsonElement resource, string path)
    {
        var current = path + anchor.Key + "/";
        var has = resource.TryGetProperty(anchor.Key, out var actual);
        switch (anchor.Type)
        {
            case '(':
                if (!has)
                {
                    return new PatternError(ErrorKind.Skip, current);
                }

                return Element(actual, value, current) is null ? null : new PatternError(ErrorKind.Skip, current);
            case '<':
                if (!has)
                {
                    return null;
                }

                return Element(actual, value, current) is null ? null : new PatternError(ErrorKind.Skip, current);
            case '=':
                return has ? Element(actual, value, current) : null;
            case 'X':
                return has ? new PatternError(ErrorKind.Fail, current) : null;
            case '^':
                if (!has)
                {
                    return null;
                }

                if (actual.ValueKind != JsonValueKind.Array || value.ValueKind != JsonValueKind.Array)
                {
                    return new PatternError(ErrorKind.Fail, current);
                }

                foreach (var required in value.EnumerateArray())
                {
                    if (required.ValueKind != JsonValueKind.Object)
                    {
                        return new PatternError(ErrorKind.Fail, current);
                    }

                    if (!actual.EnumerateArray().Any(item => Element(item, required, current) is null))
                    {
                        return new PatternError(ErrorKind.Fail, current);
                    }
                }

                return null;
            default:
                throw new NotSupportedException("anchor " + anchor.Type);
        }
    }

    private static PatternError? Array(JsonElement resource, JsonElement pattern, string path)
    {
        if (pattern.GetArrayLength() == 0)
        {
            return new PatternError(ErrorKind.Fail, path);
        }

        var first = pattern[0];
        switch (first.ValueKind)
        {
            case JsonValueKind.Object:
                var applied = 0;
                var skipped = 0;
                var i = 0;
                foreach (var item in resource.EnumerateArray())
                {
                    var error = Element(item, first, path + i++ + "/");
                    if (error is null)
                    {
                        applied++;
                    }
                    else if (error.Kind == ErrorKind.Skip)
                    {
                        skipped++;
                    }
                    else
                    {
                        return error;
                    }
                }

                return applied == 0 && skipped > 0 ? new PatternError(ErrorKind.Skip, path) : null;
            case JsonValueKind.Array:
                if (resource.GetArrayLength() < pattern.GetArrayLength())
                {
                    return new PatternError(ErrorKind.Fail, path);
                }

                var appliedCount = 0;
                var skips = 0;
                for (var j = 0; j < pattern.GetArrayLength(); j++)
                {
                    var error = Element(resource[j], pattern[j], path + j + "/");
                    if (error is null)
                    {
                        appliedCount++;
                    }
                    else if (error.Kind == ErrorKind.Skip)
                    {
                        skips++;
                    }
                    else
                    {
                        return error;
                    }
                }

                return appliedCount == 0 && skips > 0 ? new PatternError(ErrorKind.Skip, path) : null;
            default:
                return Element(resource, first, path);
        }
    }

    private static bool HasNestedAnchor(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.EnumerateObject().Any(p => Anchor.Parse(p.Name) is not null || HasNestedAnchor(p.Value)),
        JsonValueKind.Array => value.EnumerateArray().Any(HasNestedAnchor),
        _ => false,
    };

    /// <summary>A scalar (or map) pattern against a value (Undefined = the field is absent, compared as null).</summary>
    private static bool Value(JsonElement value, JsonElement pattern)
    {
        switch (pattern.ValueKind)
        {
            case JsonValueKind.True or JsonValueKind.False:
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False && value.ValueKind == pattern.ValueKind;
            case JsonValueKind.Number:
                return NumberValue(value, pattern);
            case JsonValueKind.String:
                return StringPatterns(value, pattern.GetString()!);
            case JsonValueKind.Null:
                return value.ValueKind switch
                {
                    JsonValueKind.Number => value.GetDouble() == 0,
                    JsonValueKind.String => value.GetString()!.Length == 0,
                    JsonValueKind.False or JsonValueKind.Null or JsonValueKind.Undefined => true,
                    _ => false,
                };
            case JsonValueKind.Object:
                return value.ValueKind == JsonValueKind.Object;
            default:
                return false;
        }
    }

    private static bool NumberValue(JsonElement value, JsonElement pattern)
    {
        var expected = pattern.GetDouble();
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.GetDouble() == expected,
            JsonValueKind.String => double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed == expected,
            _ => false,
        };
    }

    private static bool StringPatterns(JsonElement value, string pattern) =>
        pattern.Split('|').Any(alternative => alternative.Trim().Split('&').All(part => StringPattern(value, part.Trim())));

    private static bool StringPattern(JsonElement value, string pattern)
    {
        var notInRange = NotInRange().Match(pattern);
        if (notInRange.Success)
        {
            return StringPattern(value, "<" + notInRange.Groups[1].Value) || StringPattern(value, ">" + notInRange.Groups[2].Value);
        }

        var inRange = InRange().Match(pattern);
        if (inRange.Success)
        {
            return StringPattern(value, ">=" + inRange.Groups[1].Value) && StringPattern(value, "<=" + inRange.Groups[2].Value);
        }

        var op = pattern.StartsWith(">=", StringComparison.Ordinal) ? ">="
            : pattern.StartsWith("<=", StringComparison.Ordinal) ? "<="
            : pattern.StartsWith('>') ? ">"
            : pattern.StartsWith('<') ? "<"
            : pattern.StartsWith('!') ? "!"
            : string.Empty;
        var operand = pattern[op.Length..].Trim();
        var number = LeadingNumber().Match(operand).Groups[1].Value;
        if (number.Length == 0)
        {
            if (op is not ("" or "!"))
            {
                return false;
            }

            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            };
            if (text is null)
            {
                return false;
            }

            var match = Wildcard.Match(operand, text);
            return op == "!" ? !match : match;
        }

        var actualText = value.ValueKind switch
        {
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.String => value.GetString(),
            _ => null,
        };
        if (actualText is null)
        {
            return false;
        }

        if (Quantity.TryParse(operand, out var expected))
        {
            if (!Quantity.TryParse(actualText, out var actual))
            {
                return false;
            }

            var cmp = actual.CompareTo(expected);
            return op switch
            {
                "" => cmp == 0,
                "!" => cmp != 0,
                ">" => cmp > 0,
                "<" => cmp < 0,
                ">=" => cmp >= 0,
                _ => cmp <= 0,
            };
        }

        return Wildcard.Match(operand, actualText);
    }

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?[a-zA-Z]*)\s*!-\s*(\d+(?:\.\d+)?[a-zA-Z]*)\s*$")]
    private static partial Regex NotInRange();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?[a-zA-Z]*)\s*-\s*(\d+(?:\.\d+)?[a-zA-Z]*)\s*$")]
    private static partial Regex InRange();

    [GeneratedRegex(@"^(\d*(?:\.\d+)?)")]
    private static partial Regex LeadingNumber();

    /// <summary>A pattern anchor: (key), =(key), ^(key), X(key), &lt;(key), +(key).</summary>
    private sealed record Anchor(char Type, string Key)
    {
        public static Anchor? Parse(string text)
        {
            if (text.Length >= 3 && text[0] == '(' && text[^1] == ')')
            {
                return new Anchor('(', text[1..^1]);
            }

            if (text.Length >= 4 && text[1] == '(' && text[^1] == ')' && text[0] is '=' or '^' or 'X' or '<' or '+')
            {
                return new Anchor(text[0], text[2..^1]);
            }

            return null;
        }
    }
}

/// <summary>
/// A Kubernetes resource quantity, compared by value ("500m" &lt; "1", "1Gi" &gt; "1G", "1Ei" &gt; "1E"), parsed by
/// KubernetesClient's <see cref="k8s.Models.ResourceQuantity"/> as the apiserver parses quantities.
/// </summary>
internal readonly record struct Quantity(decimal Value) : IComparable<Quantity>
{
    public int CompareTo(Quantity other) => Value.CompareTo(other.Value);

    public static bool TryParse(string text, out Quantity quantity)
    {
        quantity = default;
        try
        {
            quantity = new Quantity(new k8s.Models.ResourceQuantity(text.Trim()).ToDecimal());
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return false;
        }
    }
}

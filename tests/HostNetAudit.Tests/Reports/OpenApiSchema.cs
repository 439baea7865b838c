using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Tests.Reports;

/// <summary>
/// Validates objects against a CRD's <c>spec.versions[].schema.openAPIV3Schema</c> as the apiserver's structural
/// schema does, and stricter where it is silent: a field the schema does not declare is an error here, because the
/// apiserver would prune it without a word (the consumer would never see it).
/// </summary>
internal static partial class OpenApiSchema
{
    /// <summary>The errors, each with its JSON path; empty when the object is valid.</summary>
    public static IReadOnlyList<string> Validate(JsonNode schema, JsonNode? value)
    {
        var errors = new List<string>();
        Check(schema, value, "$", errors);
        return errors;
    }

    private static void Check(JsonNode schema, JsonNode? value, string path, List<string> errors)
    {
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                errors.Add($"{path}: null is not allowed");
            }

            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add($"{path}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }

        switch ((string?)schema["type"])
        {
            case "object":
                CheckObject(schema, value, path, errors);
                break;
            case "array":
                if (value is not JsonArray array)
                {
                    errors.Add($"{path}: expected an array, got {Kind(value)}");
                    return;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Check(schema["items"]!, array[i], $"{path}[{i}]", errors);
                }

                break;
            case "string":
                if (Kind(value) != "string")
                {
                    errors.Add($"{path}: expected a string, got {Kind(value)}");
                }

                break;
            case "boolean":
                if (Kind(value) != "boolean")
                {
                    errors.Add($"{path}: expected a boolean, got {Kind(value)}");
                }

                break;
            case "integer":
                CheckInteger(schema, value, path, errors);
                break;
            case "number":
                if (Kind(value) != "number")
                {
                    errors.Add($"{path}: expected a number, got {Kind(value)}");
                }

                break;
            case null when schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true:
                break;
            default:
                errors.Add($"{path}: the schema has no type this validator knows ({schema["type"]?.ToJsonString()})");
                break;
        }
    }

    private static void CheckObject(JsonNode schema, JsonNode value, string path, List<string> errors)
    {
        if (value is not JsonObject obj)
        {
            errors.Add($"{path}: expected an object, got {Kind(value)}");
            return;
        }

        foreach (var required in (schema["required"] as JsonArray ?? new JsonArray()).Select(r => (string)r!))
        {
            if (!obj.ContainsKey(required))
            {
                errors.Add($"{path}: the required field '{required}' is missing");
            }
        }

        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        foreach (var (name, child) in obj)
        {
            var childPath = path + "." + name;
            if (path == "$" && name == "metadata")
            {
                // The schema says only "object": the apiserver validates metadata as ObjectMeta.
                CheckObjectMeta(child, childPath, errors);
            }
            else if (properties is not null && properties[name] is { } childSchema)
            {
                Check(childSchema, child, childPath, errors);
            }
            else if (additional is JsonObject additionalSchema)
            {
                Check(additionalSchema, child, childPath, errors);
            }
            else if (!preserve && additional?.GetValue<bool>() != true)
            {
                errors.Add($"{childPath}: the schema does not declare this field (the apiserver would prune it)");
            }
        }
    }

    private static void CheckObjectMeta(JsonNode? value, string path, List<string> errors)
    {
        if (value is not JsonObject metadata)
        {
            errors.Add($"{path}: expected an object");
            return;
        }

        foreach (var (name, child) in metadata)
        {
            switch (name)
            {
                case "name" or "namespace":
                    if (child?.GetValueKind() != JsonValueKind.String || !DnsSubdomain().IsMatch((string)child!) || ((string)child!).Length > 253)
                    {
                        errors.Add($"{path}.{name}: {child?.ToJsonString()} is not a DNS subdomain name");
                    }

                    break;
                case "labels" or "annotations":
                    foreach (var (key, text) in child as JsonObject ?? new JsonObject())
                    {
                        if (text?.GetValueKind() != JsonValueKind.String)
                        {
                            errors.Add($"{path}.{name}.{key}: values must be strings");
                        }
                        else if (name == "labels" && (!LabelValue().IsMatch((string)text!) || ((string)text!).Length > 63))
                        {
                            errors.Add($"{path}.{name}.{key}: {text.ToJsonString()} is not a valid label value");
                        }
                    }

                    break;
                default:
                    errors.Add($"{path}.{name}: not a field a generated object sets");
                    break;
            }
        }

        if (!metadata.ContainsKey("name"))
        {
            errors.Add($"{path}: the required field 'name' is missing");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial System.Text.RegularExpressions.Regex DnsSubdomain();

    [System.Text.RegularExpressions.GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex LabelValue();

    private static void CheckInteger(JsonNode schema, JsonNode value, string path, List<string> errors)
    {
        if (Kind(value) != "number" || !long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            errors.Add($"{path}: expected an integer, got {value.ToJsonString()}");
            return;
        }

        if ((string?)schema["format"] == "int32" && number is < int.MinValue or > int.MaxValue)
        {
            errors.Add($"{path}: {number} is out of the int32 range");
        }

        if (schema["minimum"] is { } minimum && number < minimum.GetValue<double>())
        {
            errors.Add($"{path}: {number} is below the minimum {minimum}");
        }

        if (schema["maximum"] is { } maximum && number > maximum.GetValue<double>())
        {
            errors.Add($"{path}: {number} is above the maximum {maximum}");
        }
    }

    private static string Kind(JsonNode value) => value switch
    {
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            var other => other.ToString(),
        },
    };
}

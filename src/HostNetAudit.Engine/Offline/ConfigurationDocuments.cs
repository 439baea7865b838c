using System.Text.Json;

namespace HostNetAudit.Engine.Offline;

/// <summary>
/// The documents of a configuration file the user names (exemptions, AdmissionConfiguration): one JSON
/// document, else every YAML document. Unlike evidence, a configuration is read strictly: a document that does
/// not parse, a key given twice or a lone surrogate makes the whole file invalid, because a half-read or
/// silently widened configuration would change verdicts without a word.
/// </summary>
internal static class ConfigurationDocuments
{
    /// <param name="text">The file's text.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="invalid">Builds the file's "invalid" error from (path, why).</param>
    /// <param name="cancellationToken">Checked between documents and within long ones.</param>
    public static IReadOnlyList<JsonElement> Read(string text, string path, Func<string, string, Exception> invalid, CancellationToken cancellationToken = default)
    {
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            JsonElement root = default;
            try
            {
                using var document = JsonDocument.Parse(trimmed, DocumentLimits.JsonOptions);
                root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // YAML flow style, read below.
            }

            if (root.ValueKind != JsonValueKind.Undefined)
            {
                if (DocumentLimits.Problem(root, refuseDuplicateNames: true) is { } problem)
                {
                    throw invalid(path, problem);
                }

                return new[] { root };
            }
        }

        var result = new List<JsonElement>();
        foreach (var document in YamlDocuments.Read(text, refuseDuplicateKeys: true, cancellationToken: cancellationToken))
        {
            if (document.Error is not null)
            {
                throw invalid(path, $"document {document.Index} does not parse ({document.Error})");
            }

            if (document.Node is not null)
            {
                result.Add(DocumentLimits.ToElement(document.Node, out var problem) ?? throw invalid(path, $"document {document.Index}: {problem}"));
            }
        }

        return result;
    }
}

/// <summary>
/// A mapping of a configuration file read strictly: a field holds exactly the type it is declared with, names
/// no field it does not know, and every refusal names where it is (an entry, a field) and what was found.
/// </summary>
internal readonly struct ConfigurationObject
{
    private readonly Func<string, Exception> invalid;

    /// <param name="element">The mapping.</param>
    /// <param name="where">How messages name it ("entry 3", "defaults").</param>
    /// <param name="invalid">Builds the file's "invalid" error from why.</param>
    public ConfigurationObject(JsonElement element, string where, Func<string, Exception> invalid)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw invalid($"{where} is {Describe(element)}, not a mapping");
        }

        Element = element;
        Where = where;
        this.invalid = invalid;
    }

    public JsonElement Element { get; }

    public string Where { get; }

    public bool Has(string field) => Element.TryGetProperty(field, out _);

    /// <summary>Refuses a field not in <paramref name="known"/> (a misspelt field would silently do nothing).</summary>
    public void RefuseUnknownFields(params string[] known)
    {
        foreach (var property in Element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                throw invalid($"{Where} has an unknown field '{property.Name}' (known: {string.Join(", ", known)})");
            }
        }
    }

    /// <summary>A string field: null when absent or null (YAML ~ or nothing); anything but a string is refused.</summary>
    public string? String(string field)
    {
        if (!Element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw invalid($"{Where}: '{field}' is {Describe(value)}; it must be a string{QuoteHint(value)}");
    }

    /// <summary>A list of strings: empty when absent or null; anything else, or an item that is not a string, is refused.</summary>
    public IReadOnlyList<string> Strings(string field)
    {
        if (!Element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return Array.Empty<string>();
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw invalid($"{Where}: '{field}' is {Describe(value)}; it must be a list of strings");
        }

        var result = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            result.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw invalid($"{Where}: '{field}' item {index + 1} is {Describe(item)}; it must be a string{QuoteHint(item)}"));
            index++;
        }

        return result;
    }

    /// <summary>A mapping field: null when absent or null; anything but a mapping is refused.</summary>
    public ConfigurationObject? Object(string field, string where)
    {
        if (!Element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return new ConfigurationObject(value, where, invalid);
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.EnumerateObject().Any() ? "a mapping" : "an empty mapping ({})",
        JsonValueKind.Array => value.GetArrayLength() == 0 ? "an empty list ([])" : $"a list ({Shorten(value.GetRawText())})",
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {Shorten(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    // YAML reads yes/no/on/off and bare numbers as booleans and numbers: say how to keep them text.
    private static string QuoteHint(JsonElement value) =>
        value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False ? " (quote it to keep it text)" : string.Empty;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}

using System.Text.Json;

namespace HostNetAudit.Engine.Offline;

/// <summary>
/// The documents of a configuration file the user names (exemptions, AdmissionConfiguration): one JSON
/// document, else every YAML document. Unlike evidence, a document that does not parse makes the whole
/// file invalid: a half-read configuration would silently change verdicts.
/// </summary>
internal static class ConfigurationDocuments
{
    public static IEnumerable<JsonElement> Read(string text, string path, Func<string, string, Exception> invalid)
    {
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(trimmed, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // YAML flow style, read below.
                root = default;
            }

            if (root.ValueKind != JsonValueKind.Undefined)
            {
                yield return root;
                yield break;
            }
        }

        foreach (var document in YamlDocuments.Read(text))
        {
            if (document.Error is not null)
            {
                throw invalid(path, $"document {document.Index} does not parse ({document.Error})");
            }

            if (document.Node is not null)
            {
                yield return JsonSerializer.SerializeToElement(document.Node);
            }
        }
    }
}

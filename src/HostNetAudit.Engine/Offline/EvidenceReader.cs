using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Offline;

/// <summary>One Kubernetes object read from a file.</summary>
internal sealed record EvidenceObject(JsonElement Object, string Source, int Document)
{
    public string? Kind => Object.Get("kind").AsString();

    public string? ApiVersion => Object.Get("apiVersion").AsString();

    public string? Namespace => Object.Get("metadata", "namespace").AsString();

    public string? Name => Object.Get("metadata", "name").AsString();

    /// <summary>The API group ("" for core).</summary>
    public string Group
    {
        get
        {
            var apiVersion = ApiVersion ?? string.Empty;
            var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
            return slash < 0 ? string.Empty : apiVersion[..slash];
        }
    }
}

/// <summary>
/// Reads offline evidence: files or folders (recursively: *.json, *.yaml, *.yml) of kubectl JSON output
/// (List, PodList, any *List), single objects, multi-document YAML, and recorded apiserver exchanges.
/// A malformed document is a non-terminating error naming file and document; the rest is read.
/// </summary>
internal static class EvidenceReader
{
    private static readonly string[] Extensions = { ".json", ".yaml", ".yml" };

    public static EvidenceSet Read(IReadOnlyList<string> paths, IEngineLog log, CancellationToken cancellationToken)
    {
        var objects = new List<EvidenceObject>();
        foreach (var path in paths)
        {
            foreach (var file in Expand(path))
            {
                cancellationToken.ThrowIfCancellationRequested();
                ReadFile(file, objects, log);
            }
        }

        log.Verbose($"Offline evidence: {objects.Count} objects from {paths.Count} path(s).");
        return new EvidenceSet(objects, log);
    }

    private static IEnumerable<string> Expand(string path)
    {
        if (Directory.Exists(path))
        {
            return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => f, StringComparer.Ordinal);
        }

        return new[] { path };
    }

    internal static void ReadFile(string file, List<EvidenceObject> objects, IEngineLog log)
    {
        string text;
        try
        {
            text = File.ReadAllText(file, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Error(new HostNetAuditException("EvidenceFileUnreadable", FailureCategory.ReadError, file, $"The evidence file '{file}' cannot be read: {ex.Message}", ex));
            return;
        }

        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        var isJsonFile = string.Equals(Path.GetExtension(file), ".json", StringComparison.OrdinalIgnoreCase);
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                Add(document.RootElement.Clone(), file, 1, objects, log);
                return;
            }
            catch (JsonException ex) when (isJsonFile)
            {
                log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document 1 is not valid JSON (line {(ex.LineNumber ?? 0) + 1}): {FirstLine(ex.Message)} It was skipped.", ex));
                return;
            }
            catch (JsonException)
            {
                // Not JSON after all: YAML flow style. Fall through.
            }
        }

        var documents = 0;
        foreach (var document in YamlDocuments.Read(text))
        {
            documents++;
            if (document.Error is not null)
            {
                log.Error(new HostNetAuditException(
                    "InvalidEvidenceDocument",
                    FailureCategory.InvalidData,
                    file,
                    $"'{file}' document {document.Index} (from line {document.FirstLine}) does not parse as YAML ({document.Error}); it was skipped. Templates (Helm, Salt) must be rendered first."));
                continue;
            }

            if (document.Node is null)
            {
                continue;
            }

            Add(JsonSerializer.SerializeToElement(document.Node), file, document.Index, objects, log);
        }

        if (documents == 0)
        {
            log.Debug($"'{file}' holds no documents.");
        }
    }

    /// <summary>Adds an object, expanding lists, arrays, watch events and recorded exchanges.</summary>
    private static void Add(JsonElement element, string file, int index, List<EvidenceObject> objects, IEngineLog log, int depth = 0)
    {
        if (depth > 8)
        {
            return;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Add(item, file, index, objects, log, depth + 1);
                }

                return;
            case JsonValueKind.Object:
                break;
            default:
                log.Debug($"'{file}' document {index} is not an object; skipped.");
                return;
        }

        // A recorded apiserver exchange: the body is the reply (JSON, or newline-delimited watch events).
        if (element.Get("response_body").ValueKind == JsonValueKind.String)
        {
            var status = element.Get("response_status_code").AsInt();
            if (status is null or (>= 200 and < 300))
            {
                AddBody(element.Get("response_body").GetString()!, file, index, objects, log, depth);
            }

            return;
        }

        // A watch event.
        if (element.Get("type").ValueKind == JsonValueKind.String && element.Get("object").ValueKind == JsonValueKind.Object && !element.Get("kind").Exists())
        {
            Add(element.Get("object"), file, index, objects, log, depth + 1);
            return;
        }

        var kind = element.Get("kind").AsString();
        var items = element.Get("items");
        if (kind is not null && kind.EndsWith("List", StringComparison.Ordinal) && items.ValueKind == JsonValueKind.Array)
        {
            var itemKind = kind == "List" ? null : kind[..^4];
            var apiVersion = element.Get("apiVersion").AsString();
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var typed = item;
                if (itemKind is not null && !item.Get("kind").Exists())
                {
                    // The apiserver's typed lists omit kind and apiVersion on items.
                    var node = JsonNode.Parse(item.GetRawText())!.AsObject();
                    node["kind"] = itemKind;
                    if (apiVersion is not null && !node.ContainsKey("apiVersion"))
                    {
                        node["apiVersion"] = apiVersion;
                    }

                    typed = JsonSerializer.SerializeToElement(node);
                }

                Add(typed, file, index, objects, log, depth + 1);
            }

            return;
        }

        if (kind is null)
        {
            log.Debug($"'{file}' document {index} has no kind; skipped.");
            return;
        }

        objects.Add(new EvidenceObject(element, file, index));
    }

    private static void AddBody(string body, string file, int index, List<EvidenceObject> objects, IEngineLog log, int depth)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            Add(document.RootElement.Clone(), file, index, objects, log, depth + 1);
            return;
        }
        catch (JsonException)
        {
            // Watch streams: one JSON event per line.
        }

        foreach (var line in body.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                Add(document.RootElement.Clone(), file, index, objects, log, depth + 1);
            }
            catch (JsonException ex)
            {
                log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document {index} holds a recorded reply that is not JSON: {FirstLine(ex.Message)}", ex));
                return;
            }
        }
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOfAny(new[] { '\r', '\n' });
        return newline < 0 ? message : message[..newline];
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Offline;

/// <summary>One Kubernetes object read from a file.</summary>
internal sealed record EvidenceObject(JsonElement Object, string Source, int Document)
{
    /// <summary>The 1-based line where the object's YAML document starts, when known (JSON files: null).</summary>
    public int? Line { get; init; }

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

    public static List<EvidenceObject> Read(IReadOnlyList<string> paths, IEngineLog log, CancellationToken cancellationToken)
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
        return objects;
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
            var values = ReadJsonValues(trimmed, out var failure, out var failedIndex, out var failedLine);
            failedLine += text.AsSpan(0, text.Length - trimmed.Length).Count('\n');
            if (failure is null || (isJsonFile && values.Count > 0))
            {
                // One value (kubectl get -o json), or a stream of them (kubectl get -w -o json): a stream is
                // read as a watch, so each object counts once, in its last state.
                if (values.Count == 1)
                {
                    Add(values[0], file, 1, objects, log);
                }
                else
                {
                    AddStream(values, file, 1, objects, log);
                }

                if (failure is not null)
                {
                    log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document {failedIndex} is not valid JSON (line {failedLine}): {JsonProblem(failure)} It and the rest of the file were skipped.", failure));
                }

                return;
            }

            if (isJsonFile)
            {
                log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document 1 is not valid JSON (line {failedLine}): {JsonProblem(failure)} It was skipped.", failure));
                return;
            }

            // Not JSON after all: YAML flow style. Fall through.
        }

        var documents = 0;
        foreach (var document in YamlDocuments.Read(text))
        {
            documents++;
            if (document.Error is not null)
            {
                var hint = document.HasTemplatePlaceholders
                    ? " It holds template placeholders ({{ }}): render the template first (helm template, salt) and read the output."
                    : string.Empty;
                log.Error(new HostNetAuditException(
                    "InvalidEvidenceDocument",
                    FailureCategory.InvalidData,
                    file,
                    $"'{file}' document {document.Index} (from line {document.FirstLine}) does not parse as YAML ({document.Error}); it was skipped.{hint}"));
                continue;
            }

            if (document.Node is null)
            {
                continue;
            }

            Add(JsonSerializer.SerializeToElement(document.Node), file, document.Index, objects, log, line: document.ContentLine);
        }

        if (documents == 0)
        {
            log.Debug($"'{file}' holds no documents.");
        }
    }

    /// <summary>Adds an object, expanding lists, arrays, watch events and recorded exchanges.</summary>
    private static void Add(JsonElement element, string file, int index, List<EvidenceObject> objects, IEngineLog log, int depth = 0, int? line = null)
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
                    Add(item, file, index, objects, log, depth + 1, line);
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

                Add(typed, file, index, objects, log, depth + 1, line);
            }

            return;
        }

        if (kind is null)
        {
            log.Debug($"'{file}' document {index} has no kind; skipped.");
            return;
        }

        objects.Add(new EvidenceObject(element, file, index) { Line = line });
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

        var events = new List<JsonElement>();
        foreach (var line in body.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                events.Add(document.RootElement.Clone());
            }
            catch (JsonException ex)
            {
                log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document {index} holds a recorded reply that is not JSON: {FirstLine(ex.Message)}", ex));
                break;
            }
        }

        AddStream(events, file, index, objects, log, depth);
    }

    /// <summary>
    /// A watch stream (WatchEvents, or objects as kubectl get -w -o json prints them) read as the watch
    /// means it: each object once, in its last state; DELETED removes it; BOOKMARK and ERROR carry no object.
    /// </summary>
    internal static void AddStream(IReadOnlyList<JsonElement> values, string file, int index, List<EvidenceObject> objects, IEngineLog log, int depth = 0)
    {
        var latest = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var order = new List<string>();
        var loose = 0;
        foreach (var value in values)
        {
            var isEvent = value.Get("type").ValueKind == JsonValueKind.String && value.Get("object").ValueKind == JsonValueKind.Object && !value.Get("kind").Exists();
            var type = isEvent ? value.Get("type").GetString() : "ADDED";
            var obj = isEvent ? value.Get("object") : value;
            if (type is "BOOKMARK" or "ERROR" || obj.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var key = obj.Get("metadata", "uid").AsString() is { } uid
                ? "uid:" + uid
                : obj.Get("metadata", "name").AsString() is { } name
                    ? string.Join("/", obj.Get("kind").AsString(), obj.Get("metadata", "namespace").AsString(), name)
                    : "value:" + (loose++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (type == "DELETED")
            {
                latest.Remove(key);
                continue;
            }

            if (!latest.ContainsKey(key))
            {
                order.Add(key);
            }

            latest[key] = obj;
        }

        foreach (var key in order)
        {
            if (latest.TryGetValue(key, out var obj))
            {
                Add(obj, file, index, objects, log, depth + 1);
            }
        }
    }

    /// <summary>Reads one JSON value or several in a row; stops at the first malformed one.</summary>
    private static List<JsonElement> ReadJsonValues(string text, out JsonException? failure, out int failedIndex, out long failedLine)
    {
        var values = new List<JsonElement>();
        failure = null;
        failedIndex = 0;
        failedLine = 0;
        var bytes = Encoding.UTF8.GetBytes(text);
        var offset = 0;
        var options = new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
        while (true)
        {
            while (offset < bytes.Length && bytes[offset] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                offset++;
            }

            if (offset >= bytes.Length)
            {
                break;
            }

            failedIndex = values.Count + 1;
            try
            {
                var reader = new Utf8JsonReader(bytes.AsSpan(offset), options);
                using var document = JsonDocument.ParseValue(ref reader);
                values.Add(document.RootElement.Clone());
                offset += (int)reader.BytesConsumed;
            }
            catch (JsonException ex)
            {
                failure = ex;
                failedLine = bytes.AsSpan(0, offset).Count((byte)'\n') + (ex.LineNumber ?? 0) + 1;
                break;
            }
        }

        return values;
    }

    /// <summary>System.Text.Json's message without its own position (the message names the line itself).</summary>
    private static string JsonProblem(JsonException ex)
    {
        var text = FirstLine(ex.Message);
        var position = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return position < 0 ? text : text[..position];
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOfAny(new[] { '\r', '\n' });
        return newline < 0 ? message : message[..newline];
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Workloads;

namespace HostNetAudit.Engine.Offline;

/// <summary>One Kubernetes object read from a file.</summary>
internal sealed record EvidenceObject(JsonElement Object, string Source, int Document)
{
    /// <summary>The 1-based line where the object's YAML document starts, when known (JSON files: null).</summary>
    public int? Line { get; init; }

    /// <summary>The file named as sentences show it: relative to the folder given, or its file name.</summary>
    public string SourceName { get; init; } = System.IO.Path.GetFileName(Source);

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
/// A malformed document is a non-terminating error naming file and document; the rest is read. Links are
/// followed, each folder and file read once (a folder linked into itself is not walked again); files are read
/// within <see cref="DocumentLimits"/> (<see cref="InputFile"/>: no FIFO or device is opened, a size cap).
/// </summary>
internal static class EvidenceReader
{
    private static readonly string[] Extensions = { ".json", ".yaml", ".yml" };

    public static List<EvidenceObject> Read(IReadOnlyList<string> paths, IEngineLog log, CancellationToken cancellationToken)
    {
        var objects = new List<EvidenceObject>();
        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        var seenFolders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            foreach (var file in Expand(path, seenFiles, seenFolders, log, cancellationToken))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var first = objects.Count;
                ReadFile(file, objects, log, cancellationToken);
                if (Directory.Exists(path))
                {
                    // Sentences name files relative to the folder given, so the key fact is not lost behind a long path.
                    var name = Path.GetRelativePath(path, file);
                    for (var i = first; i < objects.Count; i++)
                    {
                        objects[i] = objects[i] with { SourceName = name };
                    }
                }
            }
        }

        log.Verbose($"Offline evidence: {objects.Count} objects from {paths.Count} path(s).");
        return objects;
    }

    /// <summary>The files a path names: itself, or a folder's evidence files with its subfolders', in name order.</summary>
    private static List<string> Expand(string path, HashSet<string> seenFiles, HashSet<string> seenFolders, IEngineLog log, CancellationToken cancellationToken)
    {
        var files = new List<string>();
        if (!Directory.Exists(path))
        {
            AddFile(path, files, seenFiles, log);
            return files;
        }

        var pending = new Stack<string>();
        pending.Push(path);
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var folder = pending.Pop();
            var real = InputFile.RealPath(folder);
            if (real is null)
            {
                log.Warning($"The folder '{folder}' is a symbolic link that loops; it was not read.");
                continue;
            }

            if (!seenFolders.Add(real))
            {
                log.Warning($"The folder '{folder}' leads to '{real}', which is read already (a link back into the evidence, or a second link to it); it was not read again.");
                continue;
            }

            string[] entries;
            try
            {
                entries = Directory.GetFileSystemEntries(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log.Error(new HostNetAuditException("EvidenceFileUnreadable", FailureCategory.ReadError, folder, $"The evidence folder '{folder}' cannot be read: {ex.Message}", ex));
                continue;
            }

            foreach (var entry in entries.OrderByDescending(e => e, StringComparer.Ordinal))
            {
                if (Directory.Exists(entry))
                {
                    pending.Push(entry);
                }
                else if (Extensions.Contains(Path.GetExtension(entry), StringComparer.OrdinalIgnoreCase))
                {
                    AddFile(entry, files, seenFiles, log);
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Adds a file unless the file it is (links resolved) is read already.</summary>
    private static void AddFile(string file, List<string> files, HashSet<string> seenFiles, IEngineLog log)
    {
        var real = InputFile.RealPath(file) ?? file;
        if (seenFiles.Add(real))
        {
            files.Add(file);
        }
        else
        {
            log.Verbose($"'{file}' is '{real}', which is read already.");
        }
    }

    internal static void ReadFile(string file, List<EvidenceObject> objects, IEngineLog log, CancellationToken cancellationToken = default)
    {
        string? text;
        try
        {
            text = InputFile.ReadText(file, cancellationToken);
        }
        catch (InputFileTooLargeException ex)
        {
            log.Error(new HostNetAuditException("EvidenceFileTooLarge", FailureCategory.LimitsExceeded, file, $"The evidence file {ex.Message}; it was not read. Export the evidence per namespace or per kind.", ex));
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Error(new HostNetAuditException("EvidenceFileUnreadable", FailureCategory.ReadError, file, $"The evidence file '{file}' cannot be read: {ex.Message}", ex));
            return;
        }

        if (text is null)
        {
            log.Warning($"The evidence file '{file}' is empty or not a regular file (a FIFO, device or socket); nothing was read from it.");
            return;
        }

        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        var isJsonFile = string.Equals(Path.GetExtension(file), ".json", StringComparison.OrdinalIgnoreCase);
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            var values = ReadJsonValues(trimmed, cancellationToken, out var failure, out var failedIndex, out var failedLine);
            failedLine += text.AsSpan(0, text.Length - trimmed.Length).Count('\n');
            if (failure is null || (isJsonFile && values.Count > 0))
            {
                // One value (kubectl get -o json), or a stream of them (kubectl get -w -o json): a stream is
                // read as a watch, so each object counts once, in its last state.
                var usable = Usable(values, file, log);
                if (values.Count == 1)
                {
                    if (usable.Count == 1)
                    {
                        Add(usable[0], file, 1, objects, log);
                    }
                }
                else
                {
                    AddStream(usable, file, 1, objects, log);
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
        foreach (var document in YamlDocuments.Read(text, cancellationToken: cancellationToken))
        {
            documents++;
            string? problem = null;
            var element = document.Node is null ? null : DocumentLimits.ToElement(document.Node, out problem);
            var error = document.Error ?? problem;
            if (error is not null)
            {
                var hint = document.HasTemplatePlaceholders
                    ? " It holds template placeholders ({{ }}): render the template first (helm template, salt) and read the output."
                    : string.Empty;
                log.Error(new HostNetAuditException(
                    "InvalidEvidenceDocument",
                    FailureCategory.InvalidData,
                    file,
                    $"'{file}' document {document.Index} (from line {document.FirstLine}) does not parse as YAML ({error}); it was skipped.{hint}"));
                continue;
            }

            if (element is { } value)
            {
                Add(value, file, document.Index, objects, log, line: document.ContentLine);
            }
        }

        if (documents == 0)
        {
            log.Debug($"'{file}' holds no documents.");
        }
    }

    /// <summary>The JSON values the engine can read; each other one is an error naming its document.</summary>
    private static List<JsonElement> Usable(List<JsonElement> values, string file, IEngineLog log)
    {
        var usable = new List<JsonElement>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            if (DocumentLimits.Problem(values[i], refuseDuplicateNames: false) is { } problem)
            {
                log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document {i + 1} cannot be read: {problem}; it was skipped."));
                continue;
            }

            usable.Add(values[i]);
        }

        return usable;
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
                    var node = JsonNode.Parse(item.GetRawText(), documentOptions: DocumentLimits.JsonOptions)!.AsObject();
                    node["kind"] = itemKind;
                    if (apiVersion is not null && !node.ContainsKey("apiVersion"))
                    {
                        node["apiVersion"] = apiVersion;
                    }

                    typed = JsonSerializer.SerializeToElement(node, DocumentLimits.SerializerOptions);
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

        var evidence = new EvidenceObject(element, file, index) { Line = line };
        ReportMistypedHostNetwork(evidence, log);
        objects.Add(evidence);
    }

    /// <summary>
    /// A hostNetwork that is not a boolean ("true", 1, [true]) reads as false, yet the apiserver refuses such an
    /// object: a manifest that cannot be applied is reported, so a CI check does not pass it in silence.
    /// </summary>
    private static void ReportMistypedHostNetwork(EvidenceObject obj, IEngineLog log)
    {
        var (spec, field) = obj.Kind == "Pod" && obj.Group.Length == 0
            ? (obj.Object.Get("spec"), "spec.hostNetwork")
            : WorkloadResource.ForObject(obj.Kind, obj.Group) is { } resource
                ? (WorkloadMapper.TemplateSpec(obj.Object, resource.Kind), resource.Kind == WorkloadKind.CronJob ? "spec.jobTemplate.spec.template.spec.hostNetwork" : "spec.template.spec.hostNetwork")
                : (default, string.Empty);
        var value = spec.Get("hostNetwork");
        if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.True or JsonValueKind.False)
        {
            return;
        }

        log.Error(new HostNetAuditException(
            "InvalidEvidenceDocument",
            FailureCategory.InvalidData,
            obj.Source,
            $"'{obj.Source}' document {obj.Document}: {obj.Kind} {obj.Namespace ?? "default"}/{obj.Name} has {field} {ConfigurationObject.Describe(value)}, not a boolean; the apiserver refuses it, so it cannot be applied. It was read as not using the host network: write true or false."));
    }

    private static void AddBody(string body, string file, int index, List<EvidenceObject> objects, IEngineLog log, int depth)
    {
        JsonElement reply = default;
        try
        {
            using var document = JsonDocument.Parse(body, DocumentLimits.JsonOptions);
            reply = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Watch streams: one JSON event per line.
        }

        if (reply.ValueKind != JsonValueKind.Undefined)
        {
            if (DocumentLimits.Problem(reply, refuseDuplicateNames: false) is { } problem)
            {
                log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document {index} holds a recorded reply that cannot be read: {problem}; it was skipped."));
                return;
            }

            Add(reply, file, index, objects, log, depth + 1);
            return;
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
                using var document = JsonDocument.Parse(line, DocumentLimits.JsonOptions);
                var watchEvent = document.RootElement.Clone();
                if (DocumentLimits.Problem(watchEvent, refuseDuplicateNames: false) is { } problem)
                {
                    log.Error(new HostNetAuditException("InvalidEvidenceDocument", FailureCategory.InvalidData, file, $"'{file}' document {index} holds a recorded watch event that cannot be read: {problem}; it was skipped."));
                    continue;
                }

                events.Add(watchEvent);
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
    private static List<JsonElement> ReadJsonValues(string text, CancellationToken cancellationToken, out JsonException? failure, out int failedIndex, out long failedLine)
    {
        var values = new List<JsonElement>();
        failure = null;
        failedIndex = 0;
        failedLine = 0;
        var bytes = Encoding.UTF8.GetBytes(text);
        var offset = 0;
        var options = new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = DocumentLimits.MaxDepth };
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

            cancellationToken.ThrowIfCancellationRequested();
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

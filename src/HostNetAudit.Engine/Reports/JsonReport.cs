using System.Text.Json;
using System.Text.Json.Serialization;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// JSON: {"SchemaVersion": 1, "Generator": "HostNetAudit x.y.z", "Reports": [AuditReport...]} with the
/// objects' own property names, enums as strings, nulls omitted (docs/report-format.md). Read back by
/// Import-HostNetworkAuditReport: what it reads exports byte for byte as it was written.
/// </summary>
internal static class JsonReport
{
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(IReadOnlyList<AuditReport> reports, Stream output)
    {
        var document = new JsonReportDocument
        {
            Generator = "HostNetAudit " + (reports.FirstOrDefault()?.ModuleVersion ?? string.Empty),
            Reports = reports.ToArray(),
        };
        JsonSerializer.Serialize(output, document, Options);
    }

    /// <summary>Reads a file this module wrote. Computed properties in the file (Passed, Findings, Owner, ...) are
    /// recomputed from the others; properties this version does not know are ignored.</summary>
    /// <exception cref="HostNetAuditException">ReportSchemaUnsupported (another SchemaVersion), ReportFileInvalid.</exception>
    public static IReadOnlyList<AuditReport> Read(Stream input, string path)
    {
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        try
        {
            // The version first, so a file of another version is named as such whatever its shape.
            using (var document = JsonDocument.Parse(bytes))
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("SchemaVersion", out var version) || !root.TryGetProperty("Reports", out var reports))
                {
                    throw Invalid(path, "it is not a HostNetAudit JSON report (an object with SchemaVersion and Reports, as Export-HostNetworkAuditReport -Format Json writes it)", null);
                }

                if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number) || number != SchemaVersion)
                {
                    var generator = root.TryGetProperty("Generator", out var g) && g.ValueKind == JsonValueKind.String ? " (written by " + g.GetString() + ")" : string.Empty;
                    throw new HostNetAuditException(
                        "ReportSchemaUnsupported",
                        FailureCategory.InvalidData,
                        path,
                        $"The report '{path}' has SchemaVersion {version.GetRawText()}{generator}; this version of HostNetAudit reads SchemaVersion {SchemaVersion}.")
                    {
                        RecommendedAction = "Import it with the HostNetAudit version that wrote it, or export the audit again with this one.",
                    };
                }

                if (reports.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid(path, "Reports is not an array", null);
                }
            }

            // From the text, not the parsed document: errors then carry their line.
            var result = JsonSerializer.Deserialize<JsonReportInput>(bytes.Span, Options)?.Reports ?? Array.Empty<AuditReport?>();
            var missing = Array.IndexOf(result, null);
            if (missing >= 0)
            {
                throw Invalid(path, $"Reports[{missing}] is null", null);
            }

            return result!;
        }
        catch (JsonException ex)
        {
            var where = ex.Path is null or "$" ? string.Empty : " at " + ex.Path.TrimStart('$', '.');
            var line = ex.LineNumber is { } l ? $" (line {l + 1})" : string.Empty;
            throw Invalid(path, $"it is not valid report JSON{where}{line}: {FirstSentence(ex.Message)}", ex);
        }
    }

    private static HostNetAuditException Invalid(string path, string problem, Exception? inner) =>
        new("ReportFileInvalid", FailureCategory.InvalidData, path, $"The report '{path}' cannot be read: {problem}.", inner);

    // System.Text.Json appends the path and position to its messages; they are given separately.
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    private sealed class JsonReportInput
    {
        public AuditReport?[]? Reports { get; init; }
    }

    private sealed class JsonReportDocument
    {
        public int SchemaVersion { get; init; } = JsonReport.SchemaVersion;

        public string Generator { get; init; } = string.Empty;

        public AuditReport[] Reports { get; init; } = Array.Empty<AuditReport>();
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// JSON: {"SchemaVersion": 1, "Generator": "HostNetAudit x.y.z", "Reports": [AuditReport...]} with the
/// objects' own property names, enums as strings, nulls omitted (docs/report-format.md).
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

    private sealed class JsonReportDocument
    {
        public int SchemaVersion { get; init; } = JsonReport.SchemaVersion;

        public string Generator { get; init; } = string.Empty;

        public AuditReport[] Reports { get; init; } = Array.Empty<AuditReport>();
    }
}

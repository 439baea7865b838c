using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// Policy reports as a file for <c>kubectl apply --server-side -f</c>: one cluster's reports as multi-document YAML
/// (docs/report-format.md). The file being replaced is the previous set: results it already holds unchanged keep
/// their timestamps.
/// </summary>
internal static class PolicyReportFile
{
    public static IReadOnlyList<string> Write(IReadOnlyList<AuditReport> reports, PolicyReportApi api, string? previousPath, Stream output)
    {
        if (reports.Count != 1)
        {
            var clusters = string.Join(", ", reports.Select(r => r.Context).Distinct(StringComparer.Ordinal));
            throw new HostNetAuditException(
                "ReportMultipleClusters",
                FailureCategory.InvalidArgument,
                clusters,
                $"Policy reports are applied to the cluster they describe, so one file holds one cluster's report; {reports.Count} reports were given ({clusters}).")
            {
                RecommendedAction = "Write a file per cluster: $reports | ForEach-Object { $_ | Export-HostNetworkAuditReport -Path \"$($_.Context).yaml\" -Format " +
                    (api == PolicyReportApi.OpenReports ? "OpenReports" : "PolicyReport") + " }",
            };
        }

        var warnings = new List<string>();
        var previous = previousPath is null ? Array.Empty<JsonNode?>() : ReadPrevious(previousPath, warnings);
        var objects = PolicyReportBuilder.Build(reports[0], api, previous);
        using var writer = new StreamWriter(output, ReportWriter.Utf8, bufferSize: 65536, leaveOpen: true);
        KubernetesYaml.Write(objects, writer);
        return warnings;
    }

    /// <summary>The objects of a previous file (YAML documents or JSON, a List too); a file that is not that is named in a warning.</summary>
    private static IReadOnlyList<JsonNode?> ReadPrevious(string path, List<string> warnings)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            warnings.Add($"The existing file '{path}' could not be read ({ex.Message}); every result carries the audit's time.");
            return Array.Empty<JsonNode?>();
        }

        var nodes = new List<JsonNode?>();
        foreach (var document in YamlDocuments.Read(text))
        {
            if (document.Error is not null)
            {
                warnings.Add($"The existing file '{path}' is not a policy report set (document {document.Index}: {document.Error}); every result carries the audit's time.");
                return Array.Empty<JsonNode?>();
            }

            if (document.Node is JsonObject list && list["items"] is JsonArray items)
            {
                nodes.AddRange(items);
            }
            else
            {
                nodes.Add(document.Node);
            }
        }

        if (!nodes.Any(n => n is JsonObject o && o["kind"] is JsonValue kind && kind.TryGetValue<string>(out var k) && PolicyReportApi.IsReportKind(k)))
        {
            warnings.Add($"The existing file '{path}' holds no policy reports; every result carries the audit's time.");
        }

        return nodes;
    }
}

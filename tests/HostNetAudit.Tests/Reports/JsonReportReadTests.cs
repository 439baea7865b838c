using System.Text;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Reports;
using HostNetAudit.Simulator.Scenarios;
using Xunit;

namespace HostNetAudit.Tests.Reports;

/// <summary>Import-HostNetworkAuditReport's reader: what it reads exports as it was written, byte for byte.</summary>
public class JsonReportReadTests
{
    private static byte[] Export(IReadOnlyList<AuditReport> reports)
    {
        using var stream = new MemoryStream();
        ReportWriter.Write(reports, ReportFormat.Json, stream);
        return stream.ToArray();
    }

    private static IReadOnlyList<AuditReport> Import(byte[] json, string path = "/reports/r.json")
    {
        using var stream = new MemoryStream(json);
        return JsonReport.Read(stream, path);
    }

    private static HostNetAuditException ImportFails(string json, string path = "/reports/bad.json") =>
        Assert.Throws<HostNetAuditException>(() => Import(Encoding.UTF8.GetBytes(json), path));

    [Fact]
    public async Task Reports_of_real_audits_export_identically_after_import()
    {
        // Every property a live audit fills: policy findings of every engine, probe results, exempt pods and templates
        // with their justification, containers and host ports, owners, notes, null and empty values.
        var reports = new[]
        {
            await SimulatedAudits.AuditAsync("policy", probe: true),
            await SimulatedAudits.AuditAsync("demo", exemptions: true),
            await SimulatedAudits.AuditAsync(RemediationScenario.Name),
            ReportFixtures.Cluster("hostile"),
        };
        Assert.All(reports[0].PolicyResults, r => Assert.NotNull(r.Probe));
        Assert.Contains(reports[0].PolicyResults, r => r.Conditional.Length > 0);
        Assert.Contains(reports[0].PolicyResults, r => r.Unknown.Length > 0);
        Assert.Contains(reports[1].HostNetworkWorkloads, w => w.Exemption is not null && w.HostPorts.Length > 0);

        var first = Export(reports);
        var imported = Import(first);
        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(Export(imported)));
        Assert.Equal(first, Export(imported));

        // Computed properties come back computed from what was read, not left empty.
        Assert.Equal(reports[1].Findings.Length, imported[1].Findings.Length);
        Assert.Equal(reports[1].Passed, imported[1].Passed);
        Assert.Equal(reports[1].HostNetworkPods.Select(p => p.Owner), imported[1].HostNetworkPods.Select(p => p.Owner));
        Assert.Equal(reports[1].GeneratedAt, imported[1].GeneratedAt);
        Assert.Equal(reports[1].GeneratedAt.Offset, imported[1].GeneratedAt.Offset);
    }

    [Fact]
    public void Several_files_merge_into_one_export_that_equals_exporting_the_reports_together()
    {
        var west = ReportFixtures.Cluster("prod-west");
        var east = ReportFixtures.Cluster("prod-east", passed: true);
        var merged = Import(Export(new[] { west })).Concat(Import(Export(new[] { east }))).ToArray();
        Assert.Equal(Export(new[] { west, east }), Export(merged));
    }

    [Fact]
    public void Another_schema_version_is_ReportSchemaUnsupported_naming_the_file_and_both_versions()
    {
        var error = ImportFails("""{"SchemaVersion": 2, "Generator": "HostNetAudit 9.0.0", "Reports": []}""", "/reports/new.json");
        Assert.Equal("ReportSchemaUnsupported", error.ErrorId);
        Assert.Equal(FailureCategory.InvalidData, error.Category);
        Assert.Equal("/reports/new.json", error.Target);
        Assert.Contains("SchemaVersion 2 (written by HostNetAudit 9.0.0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("reads SchemaVersion 1", error.Message, StringComparison.Ordinal);
        Assert.Equal("ReportSchemaUnsupported", ImportFails("""{"SchemaVersion": "1", "Reports": []}""").ErrorId);
    }

    [Theory]
    [InlineData("", "not valid report JSON")]
    [InlineData("not json", "not valid report JSON")]
    [InlineData("[1, 2]", "not a HostNetAudit JSON report")]
    [InlineData("""{"Reports": []}""", "not a HostNetAudit JSON report")]
    [InlineData("""{"SchemaVersion": 1, "Reports": {}}""", "Reports is not an array")]
    [InlineData("""{"SchemaVersion": 1, "Reports": [null]}""", "Reports[0] is null")]
    [InlineData("{\"SchemaVersion\": 1, \"Reports\": [{\"Summary\": {\"Namespaces\": \"many\"}}]}", "at Reports[0].Summary.Namespaces (line 1)")]
    public void A_file_that_is_not_a_report_is_ReportFileInvalid_naming_the_file_and_the_problem(string json, string problem)
    {
        var error = ImportFails(json);
        Assert.Equal("ReportFileInvalid", error.ErrorId);
        Assert.Equal("/reports/bad.json", error.Target);
        Assert.Contains("'/reports/bad.json'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_report_list_reads_as_no_reports()
    {
        Assert.Empty(Import(Encoding.UTF8.GetBytes("""{"SchemaVersion": 1, "Generator": "HostNetAudit 0.1.0", "Reports": []}""")));
    }
}

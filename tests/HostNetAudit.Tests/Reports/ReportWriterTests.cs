using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Schema;
using HostNetAudit.Engine.Reports;
using Xunit;

namespace HostNetAudit.Tests.Reports;

public class ReportWriterTests
{
    private static readonly AuditReport[] Reports = { ReportFixtures.Cluster("prod-west"), ReportFixtures.Cluster("prod-east", passed: true) };

    private static string Render(ReportFormat format, IReadOnlyList<AuditReport>? reports = null)
    {
        using var stream = new MemoryStream();
        ReportWriter.Write(reports ?? Reports, format, stream);
        var bytes = stream.ToArray();
        Assert.False(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF, "no byte order mark");
        return Encoding.UTF8.GetString(bytes);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HostNetAudit.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void Json_has_a_versioned_documented_shape_with_statuses_as_strings()
    {
        using var document = JsonDocument.Parse(Render(ReportFormat.Json));
        var root = document.RootElement;
        Assert.Equal(1, root.GetProperty("SchemaVersion").GetInt32());
        Assert.Equal("HostNetAudit 0.1.0", root.GetProperty("Generator").GetString());
        var reports = root.GetProperty("Reports");
        Assert.Equal(2, reports.GetArrayLength());
        var first = reports[0];
        Assert.Equal("prod-west", first.GetProperty("Context").GetString());
        Assert.Equal("Fail", first.GetProperty("Result").GetString());
        Assert.False(first.GetProperty("Passed").GetBoolean());
        Assert.Equal("NonCompliant", first.GetProperty("Namespaces")[1].GetProperty("Status").GetString());
        Assert.Equal(4, first.GetProperty("Findings").GetArrayLength());
        Assert.Equal("cilium", first.GetProperty("HostNetworkPods")[0].GetProperty("OwnerName").GetString());
        Assert.Equal("<script>alert(1)</script>", first.GetProperty("Namespaces")[2].GetProperty("Namespace").GetString());
    }

    [Fact]
    public void Csv_has_one_quoted_row_per_namespace_and_defuses_formulas()
    {
        var lines = Render(ReportFormat.Csv).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + 6 + 2, lines.Length);
        Assert.StartsWith("\"Context\",\"Namespace\",\"Status\"", lines[0], StringComparison.Ordinal);
        var hostile = lines.Single(l => l.Contains("<script>", StringComparison.Ordinal));
        Assert.Contains("\"'=cmd|' /C calc'!A0 \"\"quoted\"\", ümlaut\"", hostile, StringComparison.Ordinal);
        Assert.Contains("\"prod-east\",\"kube-system\",\"Exempt\",\"False\"", string.Join('\n', lines), StringComparison.Ordinal);
    }

    [Fact]
    public void JUnit_validates_against_the_strict_schema_and_counts_failures_errors_and_skips()
    {
        var xml = Render(ReportFormat.JUnit);
        var schemas = new XmlSchemaSet();
        schemas.Add(null, Path.Combine(RepoRoot(), "tests", "Schemas", "junit.xsd"));
        var problems = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = schemas, ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings };
        settings.ValidationEventHandler += (_, e) => problems.Add($"{e.Severity}: {e.Message}");
        using (var reader = XmlReader.Create(new StringReader(xml), settings))
        {
            while (reader.Read())
            {
            }
        }

        Assert.Empty(problems);
        var document = new XmlDocument();
        document.LoadXml(xml);
        var root = document.DocumentElement!;
        Assert.Equal("8", root.GetAttribute("tests"));
        Assert.Equal("3", root.GetAttribute("failures"));
        Assert.Equal("1", root.GetAttribute("errors"));
        Assert.Equal("2", root.GetAttribute("skipped"));
        Assert.Equal(2, document.SelectNodes("//testsuite")!.Count);
        Assert.Equal("Conditional", document.SelectSingleNode("//testcase[@name='edge']/failure/@type")!.Value);
        Assert.StartsWith("Exempt: CNI", document.SelectSingleNode("//testcase[@name='kube-system']/skipped/@message")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Sarif_is_2_1_0_with_rules_referenced_by_every_result_and_namespaces_as_logical_locations()
    {
        using var document = JsonDocument.Parse(Render(ReportFormat.Sarif));
        var root = document.RootElement;
        Assert.Equal("2.1.0", root.GetProperty("version").GetString());
        Assert.EndsWith("sarif-2.1.0.json", root.GetProperty("$schema").GetString(), StringComparison.Ordinal);
        var runs = root.GetProperty("runs");
        Assert.Equal(2, runs.GetArrayLength());
        var run = runs[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.All(results, r =>
        {
            var index = r.GetProperty("ruleIndex").GetInt32();
            Assert.Equal(rules[index], r.GetProperty("ruleId").GetString());
            Assert.Contains(r.GetProperty("level").GetString(), new[] { "error", "warning", "note" });
            Assert.False(string.IsNullOrEmpty(r.GetProperty("message").GetProperty("text").GetString()));
            Assert.True(r.GetProperty("locations").GetArrayLength() > 0);
        });
        Assert.Equal(2, results.Count(r => r.GetProperty("ruleId").GetString() == "HNA001"));
        Assert.Single(results, r => r.GetProperty("ruleId").GetString() == "HNA002");
        Assert.Single(results, r => r.GetProperty("ruleId").GetString() == "HNA003");
        var podResult = Assert.Single(results, r => r.GetProperty("ruleId").GetString() == "HNA004");
        Assert.Equal("file:///evidence/ops.yaml", podResult.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.DoesNotContain(runs[1].GetProperty("results").EnumerateArray(), r => r.GetProperty("level").GetString() != "note");
    }

    [Fact]
    public void Html_is_self_contained_encodes_every_value_and_shows_verdict_chart_fix_and_exemptions()
    {
        var html = Render(ReportFormat.Html);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"http", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge\">FAIL</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge\">PASS</span>", html, StringComparison.Ordinal);
        Assert.Contains("<svg role=\"img\" aria-label=\"Namespaces by status\"", html, StringComparison.Ordinal);
        Assert.Contains("Non-compliant: 2", html, StringComparison.Ordinal);
        // How to fix follows each namespace's one decided Fix: the label where it applies, the targeted policy for the rest.
        Assert.Contains("<b>Pod Security label</b> (1)", html, StringComparison.Ordinal);
        Assert.Contains("Set-NamespacePodSecurity -Context &#39;prod-west&#39; -Namespace &lt;script&gt;alert(1)&lt;/script&gt; -Level Baseline -WhatIf\n", html, StringComparison.Ordinal);
        Assert.Contains("<b>Targeted hostNetwork policy</b> (1)", html, StringComparison.Ordinal);
        Assert.Contains("Invoke-HostNetworkAudit -Context &#39;prod-west&#39; | Set-HostNetworkPolicy -ExemptionPath ./hostnetwork-exemptions.yaml -WhatIf", html, StringComparison.Ordinal);
        Assert.DoesNotContain("-Namespace &#39;ops&#39;", html, StringComparison.Ordinal);
        Assert.Contains("CNI &amp; kube-proxy need the host network", html, StringComparison.Ordinal);
        Assert.Contains("DaemonSet/cilium", html, StringComparison.Ordinal);
        Assert.Contains("This assumption decided the result", html, StringComparison.Ordinal);
        Assert.Contains("<h3>Who can get a hostNetwork pod admitted</h3>", html, StringComparison.Ordinal);
        Assert.Contains("Webhook, ABAC authorizers are not evaluated", html, StringComparison.Ordinal);
        Assert.Contains("<strong>Group system:authenticated</strong>, ServiceAccount ops/&lt;agent&gt;", html, StringComparison.Ordinal);
    }
}

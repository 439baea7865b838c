using System.Text.Json;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.PodSecurity;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.PodSecurity;

/// <summary>
/// The module's own Pod Security checks against pod-security-admission's published test fixtures (pass and
/// fail pods per level and version), read in place from the corpus: every fail pod is refused, every pass
/// pod admitted, at the fixture's level and version.
/// </summary>
public sealed class PodSecurityFixtureTests
{
    private const string Prefix = "kubernetes_pod-security-admission__test__testdata__";

    public static IEnumerable<object[]> Fixtures()
    {
        var corpus = Corpus.Directory;
        if (corpus is null)
        {
            yield return new object[] { "(corpus absent)" };
            yield break;
        }

        foreach (var file in Directory.GetFiles(corpus, Prefix + "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
        {
            yield return new object[] { Path.GetFileName(file) };
        }
    }

    [CorpusTheory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_is_judged_as_pod_security_admission_judges_it(string file)
    {
        // e.g. ..._testdata__baseline__v1.0__fail__hostnamespaces1.yaml
        var parts = file[Prefix.Length..^".yaml".Length].Split("__");
        Assert.Equal(4, parts.Length);
        var level = parts[0] == "baseline" ? PodSecurityLevel.Baseline : PodSecurityLevel.Restricted;
        Assert.True(PsaVersion.TryParse(parts[1], out var version));
        var shouldFail = parts[2] == "fail";

        var text = Corpus.Text(file);
        var document = Assert.Single(YamlDocuments.Read(text));
        Assert.Null(document.Error);
        using var pod = JsonDocument.Parse(document.Node!.ToJsonString());
        var failures = PodSecurityChecks.Evaluate(pod.RootElement.GetProperty("metadata"), pod.RootElement.GetProperty("spec"), level, version.Resolve(PsaLabels.NewestKnownMinor));

        Assert.True(shouldFail == (failures.Count > 0), $"{file}: expected {(shouldFail ? "a refusal" : "admission")}, got [{string.Join("; ", failures)}]");
        if (shouldFail && parts[3].StartsWith("hostnamespaces", StringComparison.Ordinal))
        {
            Assert.Equal("host namespaces", Assert.Single(failures).Reason);
        }
    }
}

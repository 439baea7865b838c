using System.Text.Json;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.PodSecurity;
using Xunit;

namespace HostNetAudit.Tests.Engine.PodSecurity;

/// <summary>A theory that skips, with a message, where the corpus of real published manifests is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (PodSecurityFixtureTests.CorpusPath() is null)
        {
            Skip = "The corpus (../shared/corpus or $HOSTNETAUDIT_CORPUS) is absent on this machine.";
        }
    }
}

/// <summary>
/// The module's own Pod Security checks against pod-security-admission's published test fixtures (pass and
/// fail pods per level and version), read in place from the corpus: every fail pod is refused, every pass
/// pod admitted, at the fixture's level and version.
/// </summary>
public sealed class PodSecurityFixtureTests
{
    private const string Prefix = "kubernetes_pod-security-admission__test__testdata__";

    public static string? CorpusPath()
    {
        var candidates = new[]
        {
            Environment.GetEnvironmentVariable("HOSTNETAUDIT_CORPUS"),
            Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/corpus"),
            Path.Combine(Directory.GetCurrentDirectory(), "../shared/corpus"),
        };
        return candidates.Where(c => !string.IsNullOrEmpty(c) && Directory.Exists(c)).Select(c => Path.GetFullPath(c!)).FirstOrDefault();
    }

    public static IEnumerable<object[]> Fixtures()
    {
        var corpus = CorpusPath();
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

        var text = File.ReadAllText(Path.Combine(CorpusPath()!, file));
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

using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.PodSecurity;
using Xunit;

namespace HostNetAudit.Tests.Engine.PodSecurity;

public sealed class RemediationRulesTests
{
    private const string P = "pod-security.kubernetes.io/";

    private static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=')).ToDictionary(p => P + p[0], p => p[1], StringComparer.Ordinal);

    private static PodSecurityRequest Set(PodSecurityLevel level, bool force = false, string? version = null, params PodSecurityMode[] modes) => new()
    {
        Namespace = "ns",
        Operation = PodSecurityOperation.Set,
        Level = level,
        Modes = modes.Length == 0 ? PsaLabels.AllModes : modes,
        Version = version,
        Force = force,
    };

    [Fact]
    public void Invalid_enforce_fails_closed_and_invalid_warn_counts_as_privileged()
    {
        var labels = Labels("enforce=Baseline", "warn=strict", "audit=baseline", "audit-version=v9");
        Assert.Equal("restricted:latest", PsaLabels.Effective(labels, PodSecurityMode.Enforce).ToString());
        Assert.Equal("privileged:latest", PsaLabels.Effective(labels, PodSecurityMode.Warn).ToString());
        Assert.Equal("baseline:latest", PsaLabels.Effective(labels, PodSecurityMode.Audit).ToString());
        Assert.Equal("privileged:latest", PsaLabels.Effective(new Dictionary<string, string>(), PodSecurityMode.Enforce).ToString());
    }

    [Fact]
    public void Set_writes_every_named_mode_and_version_labels_only_when_asked()
    {
        var desired = RemediationRules.DesiredForSet(Labels("enforce=privileged"), Set(PodSecurityLevel.Baseline), out var kept);
        Assert.Empty(kept);
        Assert.Equal(Labels("enforce=baseline", "warn=baseline", "audit=baseline"), desired);

        desired = RemediationRules.DesiredForSet(Labels("enforce-version=v1.29"), Set(PodSecurityLevel.Restricted, version: "v1.31", modes: PodSecurityMode.Enforce), out _);
        Assert.Equal(Labels("enforce=restricted", "enforce-version=v1.31"), desired);
    }

    [Fact]
    public void A_stricter_level_or_newer_version_is_kept_without_force()
    {
        var current = Labels("enforce=restricted", "warn=baseline");
        var desired = RemediationRules.DesiredForSet(current, Set(PodSecurityLevel.Baseline), out var kept);
        Assert.Equal(Labels("enforce=restricted", "warn=baseline", "audit=baseline"), desired);
        Assert.Equal(new[] { "enforce=restricted:latest" }, kept);

        desired = RemediationRules.DesiredForSet(current, Set(PodSecurityLevel.Baseline, force: true), out kept);
        Assert.Empty(kept);
        Assert.Equal("baseline", desired[P + "enforce"]);

        // Pinning an older version of the same level loosens it too.
        RemediationRules.DesiredForSet(Labels("enforce=baseline"), Set(PodSecurityLevel.Baseline, version: "v1.25", modes: PodSecurityMode.Enforce), out kept);
        Assert.Equal(new[] { "enforce=baseline:latest" }, kept);

        // An invalid enforce value is enforced as restricted: writing baseline lowers it.
        RemediationRules.DesiredForSet(Labels("enforce=Baseline"), Set(PodSecurityLevel.Baseline, modes: PodSecurityMode.Enforce), out kept);
        Assert.Single(kept);
        Assert.Contains("'Baseline'", kept[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_patch_tests_what_it_read_and_touches_only_pod_security_labels()
    {
        var patch = LabelPatch.Build(true, Labels("enforce=privileged", "audit=baseline"), Labels("enforce=baseline", "warn=baseline"), "4711");
        using var document = JsonDocument.Parse(patch);
        var ops = document.RootElement.EnumerateArray().Select(o => $"{o.GetProperty("op").GetString()} {o.GetProperty("path").GetString()} {(o.TryGetProperty("value", out var v) ? v.ToString() : "-")}").ToList();
        Assert.Equal(
            new[]
            {
                "test /metadata/resourceVersion 4711",
                "test /metadata/labels/pod-security.kubernetes.io~1audit baseline",
                "test /metadata/labels/pod-security.kubernetes.io~1enforce privileged",
                "remove /metadata/labels/pod-security.kubernetes.io~1audit -",
                "replace /metadata/labels/pod-security.kubernetes.io~1enforce baseline",
                "add /metadata/labels/pod-security.kubernetes.io~1warn baseline",
            },
            ops);
        Assert.Contains("\"add\",\"path\":\"/metadata/labels\"", LabelPatch.Build(false, new Dictionary<string, string>(), Labels("enforce=baseline"), "1"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_apiservers_cut_short_check_is_recognised()
    {
        Assert.False(RemediationRules.IsApiServerCheckTruncated(new[] { "existing pods in namespace \"a\" violate the new PodSecurity enforce level \"baseline:latest\"", "p (and 3 other pods): host namespaces" }));
        Assert.True(RemediationRules.IsApiServerCheckTruncated(new[] { "new PodSecurity enforce level only checked against the first 3000 of 3200 existing pods" }));
        Assert.True(RemediationRules.IsApiServerCheckTruncated(new[] { new string('x', 256) }));
        Assert.True(RemediationRules.IsApiServerCheckTruncated(Enumerable.Repeat(new string('y', 200), 20).ToList()));
    }

    [Theory]
    [InlineData("latest", true)]
    [InlineData("v1.0", true)]
    [InlineData("v1.31", true)]
    [InlineData("v1.031", false)]
    [InlineData("1.31", false)]
    [InlineData("v2.1", false)]
    [InlineData("Latest", false)]
    public void Versions_parse_as_the_apiserver_parses_them(string text, bool valid) =>
        Assert.Equal(valid, PsaVersion.TryParse(text, out _));
}

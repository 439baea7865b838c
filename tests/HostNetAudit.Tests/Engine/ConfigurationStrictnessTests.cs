using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

/// <summary>
/// Configuration files are read strictly (issue 15, point 4): a value of the wrong type, an empty value, an unknown
/// field or a key given twice would otherwise widen an exemption, or replace a Pod Security default, without a word.
/// Each is refused, naming the file, the entry and the field, and nothing from the file is applied.
/// </summary>
public sealed class ConfigurationStrictnessTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hna-strict-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Entries(string entries) => "apiVersion: hostnetaudit.io/v1\nkind: HostNetworkExemptions\nexemptions:\n" + entries;

    [Theory]
    [InlineData("- namespace: [kube-system]\n  justification: x\n", "entry 1: 'namespace' is a list")]
    [InlineData("- namespace: {}\n  justification: x\n", "entry 1: 'namespace' is an empty mapping")]
    [InlineData("- kind: DaemonSet\n  namespace: kube-system\n  name: {}\n  justification: x\n", "entry 1: 'name' is an empty mapping")]
    [InlineData("- namespace: legacy\n  context: [prod]\n  justification: x\n", "entry 1: 'context' is a list")]
    [InlineData("- namespace: legacy\n  expires: [2020-01-01]\n  justification: x\n", "entry 1: 'expires' is a list")]
    [InlineData("- namespace: team-a\n  justification: x\n- namespace: team-b\n  namespace: \"*\"\n  justification: y\n", "$.exemptions[1].namespace is given twice")]
    [InlineData("- namesapce: team-a\n  kind: DaemonSet\n  justification: x\n", "entry 1 has an unknown field 'namesapce'")]
    [InlineData("- namespace:\n  kind: DaemonSet\n  justification: x\n", "entry 1: 'namespace' is empty")]
    [InlineData("- namespace: \"  \"\n  justification: x\n", "entry 1: 'namespace' is blank")]
    [InlineData("- namespace: yes\n  justification: x\n", "entry 1: 'namespace' is the boolean true; it must be a string (quote it")]
    [InlineData("- namespace: legacy\n  justification: [x]\n", "entry 1: 'justification' is a list")]
    public void An_exemption_that_would_widen_silently_is_refused_naming_the_entry_and_field(string entries, string problem)
    {
        var path = Write("exemptions.yaml", Entries(entries));
        var ex = Assert.Throws<HostNetAuditException>(() => ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow));
        Assert.Equal("ExemptionFileInvalid", ex.ErrorId);
        Assert.Equal(path, ex.Target);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_key_in_a_JSON_exemptions_file_is_refused_too()
    {
        var path = Write("exemptions.json", """{"kind":"HostNetworkExemptions","exemptions":[{"namespace":"team-a","justification":"x","namespace":"*"}]}""");
        var ex = Assert.Throws<HostNetAuditException>(() => ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow));
        Assert.Equal("ExemptionFileInvalid", ex.ErrorId);
        Assert.Contains("$.exemptions[0].namespace is given twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_file_after_an_invalid_one_does_not_make_the_invalid_one_count()
    {
        var good = Write("good.yaml", Entries("- namespace: team-a\n  justification: x\n"));
        var bad = Write("bad.yaml", Entries("- namespace: {}\n  justification: x\n"));
        var ex = Assert.Throws<HostNetAuditException>(() => ExemptionSet.Load(new[] { good, bad }, new RecordingLog(), DateTimeOffset.UtcNow));
        Assert.Equal(bad, ex.Target);
    }

    [Fact]
    public void Quoted_values_and_the_example_file_are_read_as_before()
    {
        var path = Write("exemptions.yaml", Entries("- namespace: \"123\"\n  justification: numeric name\n- kind: DaemonSet\n  name: cilium*\n  justification: x\n  expires: 2999-01-31\n"));
        var set = ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow);
        Assert.Equal(2, set.Entries.Count);
        Assert.NotNull(set.ForNamespace("c", "123"));
        Assert.Equal("*", set.Entries[1].Namespace);

        var example = Path.Combine(RepositoryPaths.Root, "examples", "hostnetwork-exemptions.yaml");
        Assert.NotEmpty(ExemptionSet.Load(new[] { example }, new RecordingLog(), DateTimeOffset.UtcNow).Entries);
    }

    [Theory]
    [InlineData("Deployments", "did you mean Deployment?")]
    [InlineData("Deamonset", "did you mean DaemonSet?")]
    [InlineData("Pods", "did you mean Pod?")]
    public void A_kind_a_letter_or_two_from_a_built_in_one_is_refused_as_a_misspelling(string kind, string problem)
    {
        var path = Write("exemptions.yaml", Entries($"- kind: {kind}\n  name: x\n  justification: x\n"));
        var ex = Assert.Throws<HostNetAuditException>(() => ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_custom_controllers_kind_exempts_the_pods_it_owns()
    {
        var path = Write("exemptions.yaml", Entries("- kind: Rollout\n  namespace: argo\n  name: canary\n  justification: edge proxy on the host network\n"));
        var set = ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow);
        Assert.NotNull(set.ForPod("c", "argo", "canary-6f7d-a", "Rollout", "canary"));
    }

    [Theory]
    [InlineData("defaults:\n  enforce: [baseline]\n", "'enforce' is a list")]
    [InlineData("defaults:\n  enforce: baseline\n  enforce: privileged\n", "$.defaults.enforce is given twice")]
    [InlineData("defaults:\n  enforce: baseline\n  enforce-verison: v1.30\n", "has an unknown field 'enforce-verison'")]
    [InlineData("defaults: [enforce]\n", "defaults is a list")]
    [InlineData("defaults:\n  enforce: baseline\nexemptions:\n  namespaces: kube-system\n", "'namespaces' is the string \"kube-system\"; it must be a list of strings")]
    [InlineData("defaults:\n  enforce: baseline\nexemptions:\n  namespaces: [{}]\n", "'namespaces' item 1 is an empty mapping")]
    [InlineData("defaults:\n  enforce: baseline\nexemption:\n  namespaces: [kube-system]\n", "unknown field 'exemption'")]
    public void A_PodSecurityConfiguration_is_read_as_strictly_as_the_apiserver_reads_it(string body, string problem)
    {
        var path = Write("psa.yaml", "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\n" + body);
        var ex = Assert.Throws<HostNetAuditException>(() => PodSecurityConfiguration.Load(path));
        Assert.Equal("AdmissionConfigurationInvalid", ex.ErrorId);
        Assert.Equal(path, ex.Target);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_AdmissionConfiguration_with_a_wrongly_typed_plugin_is_refused()
    {
        var path = Write("admission.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration: [x]\n");
        var ex = Assert.Throws<HostNetAuditException>(() => PodSecurityConfiguration.Load(path));
        Assert.Equal("AdmissionConfigurationInvalid", ex.ErrorId);
        Assert.Contains("configuration is a list", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_defaults_take_the_apiservers_defaults()
    {
        var path = Write("psa.yaml", "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce:\n  warn: \"\"\n  audit: baseline\n");
        var config = PodSecurityConfiguration.Load(path);
        Assert.Equal("privileged:latest", config.Enforce.ToString());
        Assert.Equal("privileged:latest", config.Warn.ToString());
        Assert.Equal("baseline:latest", config.Audit.ToString());
    }
}

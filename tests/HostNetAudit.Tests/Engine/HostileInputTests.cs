using System.Diagnostics;
using System.Text;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

/// <summary>
/// Hostile and broken offline input (issue 15): each class of input that crashed a command, exhausted memory,
/// hung or passed silently is now an error with its stable ID that names the file, and the other evidence is
/// still read. The inputs live in Fixtures/HostileInput (the fuzz test's regression set); links, FIFOs and
/// oversized files are made here.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private const string GoodPod = "apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: default}\nspec: {hostNetwork: true, containers: [{name: c, image: x}]}\n";
    private readonly string folder = Directory.CreateTempSubdirectory("hna-hostile-").FullName;

    // Deletes links, never what they point at.
    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static string Fixture(string name) => Path.Combine(RepositoryPaths.Root, "tests", "HostNetAudit.Tests", "Fixtures", "HostileInput", name);

    private string Write(string name, string text)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static (EvidenceSet Set, RecordingLog Log) Read(params string[] paths)
    {
        var log = new RecordingLog();
        return (new EvidenceSet(EvidenceReader.Read(paths, log, CancellationToken.None), log), log);
    }

    private static string[] PodNames(EvidenceSet set) => Pods(set).Select(p => p.Name).ToArray();

    private static List<HostNetworkPod> Pods(EvidenceSet set) => set.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None).ToBlockingEnumerable().ToList();

    // ---- 1. Alias bombs ----

    [Fact]
    public void An_alias_bomb_is_refused_as_go_yaml_refuses_it_naming_the_file_and_the_rest_is_read()
    {
        var bomb = Write("bomb.yaml", File.ReadAllText(Fixture("alias-bomb.yaml")) + "---\n" + GoodPod);
        var other = Write("other.yaml", GoodPod.Replace("good", "other", StringComparison.Ordinal));
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var (set, log) = Read(bomb, other);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var error = Assert.Single(log.Errors);
        Assert.Equal("InvalidEvidenceDocument", error.ErrorId);
        Assert.Equal(bomb, error.Target);
        Assert.Contains("document 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("excessive aliasing", error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "good", "other" }, PodNames(set));
        Assert.True(allocated < 100L * 1024 * 1024, $"reading the bomb allocated {allocated / 1048576} MB");
    }

    [Fact]
    public void Anchors_reused_as_manifests_reuse_them_are_read()
    {
        var text = new StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: default}\ndata:\n  base: &base {a: \"1\", b: \"2\", c: \"3\"}\n");
        for (var i = 0; i < 200; i++)
        {
            text.Append(CultureInfoInvariant($"  copy{i}: {{<<: *base, d: \"{i}\"}}\n"));
        }

        var (set, log) = Read(Write("anchors.yaml", text.ToString()));
        Assert.Empty(log.Errors);
        Assert.Single(set.Objects);
    }

    [Fact]
    public void Alias_bombs_in_exemptions_and_admission_configuration_files_are_refused_with_their_own_IDs()
    {
        var exemptions = Assert.Throws<HostNetAuditException>(() => ExemptionSet.Load(new[] { Fixture("exemptions-alias-bomb.yaml") }, new RecordingLog(), DateTimeOffset.UtcNow));
        Assert.Equal("ExemptionFileInvalid", exemptions.ErrorId);
        Assert.Equal(Fixture("exemptions-alias-bomb.yaml"), exemptions.Target);
        Assert.Contains("excessive aliasing", exemptions.Message, StringComparison.Ordinal);

        var admission = Write("admission.yaml", File.ReadAllText(Fixture("alias-bomb.yaml")).Replace("kind: ConfigMap", "kind: PodSecurityConfiguration", StringComparison.Ordinal));
        var ex = Assert.Throws<HostNetAuditException>(() => PodSecurityConfiguration.Load(admission));
        Assert.Equal("AdmissionConfigurationInvalid", ex.ErrorId);
        Assert.Contains("excessive aliasing", ex.Message, StringComparison.Ordinal);
    }

    // ---- 2. Reader crashes ----

    [Fact]
    public void Nesting_deeper_than_64_levels_is_an_error_for_the_document_and_64_levels_are_read()
    {
        var deep = Write("deep.yaml", File.ReadAllText(Fixture("deep-nesting.yaml")) + "---\n" + GoodPod);
        var (set, log) = Read(deep);
        var error = Assert.Single(log.Errors);
        Assert.Equal(("InvalidEvidenceDocument", deep), (error.ErrorId, (string)error.Target!));
        Assert.Contains("nested deeper than 64 levels", error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "good" }, PodNames(set));

        // The pod itself and its spec are two levels: 62 more still fit, as in JSON.
        var fits = Write("fits.yaml", GoodPod.Replace("hostNetwork: true", "hostNetwork: true, x: " + new string('[', 62) + new string(']', 62), StringComparison.Ordinal));
        var (fitting, fitLog) = Read(fits);
        Assert.Empty(fitLog.Errors);
        Assert.Single(PodNames(fitting));
        var (_, overLog) = Read(Write("over.yaml", GoodPod.Replace("hostNetwork: true", "hostNetwork: true, x: " + new string('[', 63) + new string(']', 63), StringComparison.Ordinal)));
        Assert.Contains("nested deeper than 64 levels", Assert.Single(overLog.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_alias_that_would_nest_too_deeply_is_an_error()
    {
        var text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: default}\ndata:\n  a: &deep " + new string('[', 40) + new string(']', 40) + "\n  b: " + new string('[', 30) + "*deep" + new string(']', 30) + "\n";
        var (_, log) = Read(Write("alias-depth.yaml", text));
        Assert.Contains("nests it deeper than 64 levels", Assert.Single(log.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_bracket_that_throws_inside_the_YAML_library_is_an_error_naming_the_file()
    {
        var unclosed = Write("unclosed.yaml", File.ReadAllText(Fixture("unclosed-bracket.yaml")) + "---\n" + GoodPod);
        var (set, log) = Read(unclosed);
        var error = Assert.Single(log.Errors);
        Assert.Equal(("InvalidEvidenceDocument", unclosed), (error.ErrorId, (string)error.Target!));
        Assert.Contains("document 1", error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "good" }, PodNames(set));
    }

    [Fact]
    public void An_escape_the_YAML_library_cannot_decode_is_an_error_naming_the_file()
    {
        var (set, log) = Read(Fixture("reversed-surrogates.yaml"), Write("other.yaml", GoodPod));
        var error = Assert.Single(log.Errors);
        Assert.Equal(("InvalidEvidenceDocument", Fixture("reversed-surrogates.yaml")), (error.ErrorId, (string)error.Target!));
        Assert.Equal(new[] { "good" }, PodNames(set));
    }

    [Fact]
    public void Numbers_that_overflow_are_read_as_go_yaml_reads_them_without_a_crash()
    {
        var (set, log) = Read(Fixture("long-numbers.yaml"));
        Assert.Empty(log.Errors);
        var pod = Assert.Single(set.Objects).Object;
        Assert.Equal(System.Text.Json.JsonValueKind.Number, pod.GetProperty("spec").GetProperty("priority").ValueKind);
        Assert.Equal("0" + new string('7', 400), pod.GetProperty("spec").GetProperty("terminationGracePeriodSeconds").GetString());
        Assert.Equal("1e400", pod.GetProperty("spec").GetProperty("activeDeadlineSeconds").GetString());
        var record = Assert.Single(Pods(set));
        Assert.Empty(record.HostPorts);
    }

    [Fact]
    public void A_JSON_string_or_name_with_a_lone_surrogate_is_an_error_for_its_document()
    {
        var other = Write("other.yaml", GoodPod.Replace("good", "other", StringComparison.Ordinal));
        var (set, log) = Read(Fixture("lone-surrogate.json"), other);
        Assert.Equal(2, log.Errors.Count);
        Assert.All(log.Errors, e => Assert.Equal(("InvalidEvidenceDocument", Fixture("lone-surrogate.json")), (e.ErrorId, (string)e.Target!)));
        Assert.Contains("document 1", log.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("document 2", log.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("lone UTF-16 surrogate", log.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "other" }, PodNames(set));
    }

    // ---- 3. Tagged booleans and mistyped hostNetwork ----

    [Fact]
    public void Tagged_booleans_resolve_as_Kubernetes_resolves_them_and_a_mistyped_hostNetwork_is_reported()
    {
        var (set, log) = Read(Fixture("tagged-booleans.yaml"));
        Assert.Equal(new[] { "tagged-true", "tagged-yes" }, PodNames(set));
        Assert.Empty(set.GetHostNetworkWorkloadsAsync(new WorkloadQuery(), CancellationToken.None).ToBlockingEnumerable());
        Assert.All(log.Errors, e => Assert.Equal(("InvalidEvidenceDocument", Fixture("tagged-booleans.yaml")), (e.ErrorId, (string)e.Target!)));
        Assert.Equal(4, log.Errors.Count);
        Assert.Contains("cannot read the !!str 'maybe' as a !!bool", log.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("Pod default/quoted-true has spec.hostNetwork the string \"true\", not a boolean", log.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("Pod default/number-one has spec.hostNetwork the number 1", log.Errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("DaemonSet default/list-true has spec.template.spec.hostNetwork a list", log.Errors[3].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("!!int \"0x1F\"", "31")]
    [InlineData("!!float 1", "1")]
    [InlineData("!!str 8080", "\"8080\"")]
    [InlineData("!!null \"\"", "null")]
    [InlineData("! yes", "\"yes\"")]
    [InlineData("!custom yes", "\"yes\"")]
    [InlineData("!!binary aGVsbG8=", "\"hello\"")]
    [InlineData("-0b101", "-5")]
    [InlineData("0o17", "15")]
    [InlineData("1_000", "1000")]
    [InlineData("18446744073709551615", "18446744073709551615")]
    [InlineData("08", "8")]
    [InlineData(".5", "0.5")]
    [InlineData("2024-01-31", "\"2024-01-31\"")]
    public void Scalars_resolve_as_go_yaml_v2_resolves_them(string yaml, string json)
    {
        var document = Assert.Single(YamlDocuments.Read("v: " + yaml + "\n"));
        Assert.Null(document.Error);
        Assert.Equal(json, document.Node!["v"]?.ToJsonString() ?? "null");
    }

    [Theory]
    [InlineData("!!int yes")]
    [InlineData("!!bool 1")]
    [InlineData("!!null x")]
    [InlineData(".inf")]
    [InlineData("!!binary '%%%'")]
    public void Scalars_Kubernetes_cannot_read_are_errors(string yaml)
    {
        Assert.NotNull(Assert.Single(YamlDocuments.Read("v: " + yaml + "\n")).Error);
    }

    // ---- 6. Links and special files ----

    [Fact]
    public void A_folder_linked_into_itself_is_read_once_with_a_warning()
    {
        Write("tree/pods.yaml", GoodPod);
        Directory.CreateSymbolicLink(Path.Combine(folder, "tree", "self"), Path.Combine(folder, "tree"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "tree", "parent"), folder);
        File.CreateSymbolicLink(Path.Combine(folder, "tree", "again.yaml"), Path.Combine(folder, "tree", "pods.yaml"));
        var (set, log) = Read(Path.Combine(folder, "tree"));
        Assert.Equal(new[] { "good" }, PodNames(set));
        Assert.Equal(2, log.Warnings.Count(w => w.Contains("is read already", StringComparison.Ordinal)));
        Assert.Empty(log.Errors);
    }

    [Fact]
    public void A_link_that_loops_or_leads_nowhere_is_reported_and_the_rest_is_read()
    {
        Write("tree/pods.yaml", GoodPod);
        File.CreateSymbolicLink(Path.Combine(folder, "tree", "a.yaml"), Path.Combine(folder, "tree", "b.yaml"));
        File.CreateSymbolicLink(Path.Combine(folder, "tree", "b.yaml"), Path.Combine(folder, "tree", "a.yaml"));
        File.CreateSymbolicLink(Path.Combine(folder, "tree", "gone.yaml"), Path.Combine(folder, "missing.yaml"));
        var (set, log) = Read(Path.Combine(folder, "tree"));
        Assert.Equal(new[] { "good" }, PodNames(set));
        Assert.Equal(3, log.Errors.Count);
        Assert.All(log.Errors, e => Assert.Equal("EvidenceFileUnreadable", e.ErrorId));
        Assert.Contains(log.Errors, e => (string)e.Target! == Path.Combine(folder, "tree", "gone.yaml"));
    }

    [Fact]
    public async Task A_FIFO_and_a_link_to_a_device_are_skipped_with_a_warning_without_blocking()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // No FIFOs or /dev/zero.
        }

        Write("tree/pods.yaml", GoodPod);
        var fifo = Path.Combine(folder, "tree", "fifo.yaml");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", fifo) { UseShellExecute = false })!)
        {
            mkfifo.WaitForExit();
        }

        File.CreateSymbolicLink(Path.Combine(folder, "tree", "zero.yaml"), "/dev/zero");
        var (set, log) = await Task.Run(() => Read(Path.Combine(folder, "tree"))).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { "good" }, PodNames(set));
        Assert.Equal(2, log.Warnings.Count(w => w.Contains("not a regular file", StringComparison.Ordinal)));
        Assert.Empty(log.Errors);
    }

    [Fact]
    public void A_file_over_the_size_cap_is_refused_unread()
    {
        var big = Path.Combine(folder, "big.yaml");
        using (var stream = new FileStream(big, FileMode.CreateNew))
        {
            stream.SetLength(DocumentLimits.MaxFileBytes + 1); // sparse: no disk, no memory
        }

        var (set, log) = Read(big, Write("other.yaml", GoodPod));
        var error = Assert.Single(log.Errors);
        Assert.Equal(("EvidenceFileTooLarge", big), (error.ErrorId, (string)error.Target!));
        Assert.Contains("256 MiB", error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "good" }, PodNames(set));
    }

    // ---- 7. Stop ----

    [Fact]
    public void Reading_stops_when_cancelled()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            text.Append(GoodPod.Replace("good", "pod-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)).Append("---\n");
        }

        var path = Write("many.yaml", text.ToString());
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => EvidenceReader.Read(new[] { path }, new RecordingLog(), cancellation.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => YamlDocuments.Read(text.ToString(), cancellationToken: cancellation.Token).ToList());
    }

    private static string CultureInfoInvariant(FormattableString text) => FormattableString.Invariant(text);
}

using System.Globalization;
using System.Text;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace HostNetAudit.Tests.Engine;

/// <summary>Runs alone: it measures what each read allocates, which parallel tests would blur.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OfflineFuzzCollection
{
    public const string Name = "Offline fuzz";
}

/// <summary>
/// A seeded mutator over the corpus of published manifests, the example files and the hostile-input regression set
/// (issue 15): every mutation is read as evidence, exemptions and AdmissionConfiguration through the engine's public
/// entry, and queried as each offline cmdlet queries it. Nothing may end the read but a HostNetAuditException, and no
/// read may allocate without bound. The seed is in the test's name; HOSTNETAUDIT_FUZZ_SEED replays one. What it
/// finds joins the regression set (Fixtures/HostileInput).
/// </summary>
[Collection(OfflineFuzzCollection.Name)]
public sealed class OfflineFuzzTests : IDisposable
{
    // HOSTNETAUDIT_FUZZ_MUTATIONS runs more, for a longer hunt.
    private static readonly int Mutations = int.TryParse(Environment.GetEnvironmentVariable("HOSTNETAUDIT_FUZZ_MUTATIONS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 300;
    private const long MaxAllocatedPerInput = 512L * 1024 * 1024;

    // What broke readers before, and what YAML and JSON make of a stray character.
    private static readonly string[] Hostile =
    {
        "[", "]", "{", "}", ": ", "- ", "---\n", "...\n", "\"", "'", "\t", "\n  ", "#", "&a ", "*a", "<<: *a\n", "!!bool ", "!!int ",
        "!!str ", "!!binary ", "!custom ", "? ", "|\n", ">-\n", "%YAML 1.1\n", "0777777777777777777777777", "0x", "1e400", ".inf", "~",
        "\\ud800", "\\udc00\\ud800", "\"\\ud800\"", "\u0000", "\u00a0", "\ufeff", "{{ .Values.x }}", "hostNetwork: \"true\"",
        "hostNetwork: !!bool yes", "hostNetwork: [true]", "kind: Pod\n", "kind: List\nitems: {}\n", "ownerReferences: [{kind: ReplicaSet, name: x, controller: true}]",
        new string('[', 80), new string('{', 80) + "a: 1",
    };

    private readonly string folder = Directory.CreateTempSubdirectory("hna-fuzz-").FullName;
    private readonly ITestOutputHelper output;

    public OfflineFuzzTests(ITestOutputHelper output)
    {
        this.output = output;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>One seed per run, drawn at discovery so the test's name shows it (or HOSTNETAUDIT_FUZZ_SEED to replay).</summary>
    public static TheoryData<int> Seeds()
    {
        var fixedSeed = Environment.GetEnvironmentVariable("HOSTNETAUDIT_FUZZ_SEED");
        return new TheoryData<int> { int.TryParse(fixedSeed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : Random.Shared.Next() };
    }

    private static List<string> SeedFiles(out string? corpusMissing)
    {
        var files = new List<string>();
        corpusMissing = null;
        if (Corpus.Directory is { } corpus)
        {
            files.AddRange(Directory.EnumerateFiles(corpus).Where(IsEvidence).OrderBy(f => f, StringComparer.Ordinal));
        }
        else
        {
            corpusMissing = "The corpus of published manifests (../shared/corpus or $env:HOSTNETAUDIT_CORPUS) is absent: mutating the example files and the regression set only.";
        }

        files.AddRange(Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "examples")).Where(IsEvidence).OrderBy(f => f, StringComparer.Ordinal));
        files.AddRange(RegressionSet());
        return files;
    }

    private static IEnumerable<string> RegressionSet() =>
        Directory.EnumerateFiles(HostileInputTests.Fixture(string.Empty)).OrderBy(f => f, StringComparer.Ordinal);

    private static bool IsEvidence(string path) => Path.GetExtension(path) is ".yaml" or ".yml" or ".json";

    [Fact]
    public void The_regression_set_is_read_without_a_foreign_exception()
    {
        foreach (var file in RegressionSet())
        {
            Assert.Null(Exercise(Path.Combine(folder, Path.GetFileNameWithoutExtension(file)), File.ReadAllText(file), Path.GetExtension(file)));
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mutations_of_the_corpus_end_no_read_with_a_foreign_exception_or_unbounded_memory(int seed)
    {
        var seeds = SeedFiles(out var corpusMissing);
        output.WriteLine($"Fuzz seed {seed} (replay: HOSTNETAUDIT_FUZZ_SEED={seed}); {Mutations} mutations of {seeds.Count} files.");
        if (corpusMissing is not null)
        {
            output.WriteLine(corpusMissing);
        }

        var random = new Random(seed);
        var failures = new List<string>();
        for (var i = 0; i < Mutations && failures.Count < 5; i++)
        {
            var source = seeds[random.Next(seeds.Count)];
            var text = Mutate(File.ReadAllText(source), random);
            var problem = Exercise(Path.Combine(folder, $"m{i}"), text, Path.GetExtension(source));
            if (problem is not null)
            {
                var kept = Path.Combine(Path.GetTempPath(), $"hna-fuzz-{seed}-{i}{Path.GetExtension(source)}");
                File.WriteAllText(kept, text);
                failures.Add($"mutation {i} of {Path.GetFileName(source)} (kept as {kept}): {problem}");
            }
        }

        Assert.True(failures.Count == 0, $"Fuzz seed {seed} (HOSTNETAUDIT_FUZZ_SEED={seed} replays it):\n" + string.Join("\n", failures));
    }

    /// <summary>Writes one input to <paramref name="stem"/> (in the test's own folder) and reads it every way an offline
    /// cmdlet does; a description of what went wrong, or null.</summary>
    private string? Exercise(string stem, string text, string extension)
    {
        var evidence = stem + extension;
        File.WriteAllText(evidence, text);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            var log = new RecordingLog();
            using var set = new HostNetAuditEngine().OpenFiles(new[] { evidence }, log, CancellationToken.None);
            _ = set.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None).ToBlockingEnumerable().ToList();
            _ = set.GetHostNetworkWorkloadsAsync(new WorkloadQuery(), CancellationToken.None).ToBlockingEnumerable().ToList();
            _ = set.TestNamespacePoliciesAsync(new NamespacePolicyQuery(), CancellationToken.None).GetAwaiter().GetResult();
            _ = set.AuditAsync(new NamespacePolicyQuery(), CancellationToken.None).GetAwaiter().GetResult();

            // The same text as a configuration file: refused or read, never a crash.
            foreach (var query in new[] { new NamespacePolicyQuery { ExemptionPaths = new[] { evidence } }, new NamespacePolicyQuery { AdmissionConfigurationPath = evidence } })
            {
                try
                {
                    _ = set.AuditAsync(query, CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (HostNetAuditException ex) when (ex.ErrorId.StartsWith("ExemptionFile", StringComparison.Ordinal) || ex.ErrorId.StartsWith("AdmissionConfiguration", StringComparison.Ordinal))
                {
                    Assert.Equal(evidence, ex.Target);
                }
            }

            var foreign = log.Errors.FirstOrDefault(e => !Equals(e.Target, evidence));
            if (foreign is not null)
            {
                return $"an error ({foreign.ErrorId}) does not name the file: {foreign.Target}";
            }
        }
        catch (Exception ex) when (ex is not HostNetAuditException)
        {
            return $"{ex.GetType().FullName}: {ex.Message}\n{ex.StackTrace}";
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        return allocated > MaxAllocatedPerInput ? $"reading it allocated {allocated / (1024 * 1024)} MB" : null;
    }

    /// <summary>One to four edits: a hostile token inserted, a span deleted, duplicated or moved, lines swapped, a cut.</summary>
    private static string Mutate(string text, Random random)
    {
        var result = new StringBuilder(text);
        var edits = random.Next(1, 5);
        for (var e = 0; e < edits; e++)
        {
            var at = result.Length == 0 ? 0 : random.Next(result.Length);
            var span = Math.Min(result.Length - at, random.Next(1, 200));
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    result.Insert(at, Hostile[random.Next(Hostile.Length)]);
                    break;
                case 2:
                    result.Remove(at, span);
                    break;
                case 3:
                    var copy = result.ToString(at, span);
                    result.Insert(random.Next(result.Length + 1), copy);
                    break;
                case 4:
                    var lines = result.ToString().Split('\n');
                    if (lines.Length > 2)
                    {
                        var a = random.Next(lines.Length);
                        var b = random.Next(lines.Length);
                        (lines[a], lines[b]) = (lines[b], lines[a]);
                        result.Clear().Append(string.Join('\n', lines));
                    }

                    break;
                default:
                    result.Length = at;
                    break;
            }
        }

        return result.ToString();
    }
}

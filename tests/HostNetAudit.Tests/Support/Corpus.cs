using System.Text.Json;
using HostNetAudit.Engine.Offline;
using Xunit;

namespace HostNetAudit.Tests.Support;

/// <summary>
/// The corpus of real published manifests, read in place: $env:HOSTNETAUDIT_CORPUS, else shared/corpus in an
/// ancestor of the repository root (worktrees sit below the folder that holds it). Never copied.
/// </summary>
internal static class Corpus
{
    private static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The corpus folder, or null where it is absent.</summary>
    public static string? Directory => Root.Value;

    public static string Path(string file) =>
        System.IO.Path.Combine(Directory ?? throw new InvalidOperationException("The corpus is absent."), file);

    public static string Text(string file) => File.ReadAllText(Path(file));

    /// <summary>Every YAML document of a file, as JSON.</summary>
    public static List<JsonElement> Documents(string file) => TestObjects.YamlDocs(Text(file));

    public static JsonElement Document(string file) => Documents(file).Single();

    /// <summary>Every object of corpus files, as the offline reader reads them.</summary>
    public static List<EvidenceObject> Objects(params string[] files)
    {
        var objects = new List<EvidenceObject>();
        var log = new RecordingLog();
        foreach (var file in files)
        {
            EvidenceReader.ReadFile(Path(file), objects, log);
        }

        return objects;
    }

    /// <summary>Why a test needing these files must skip, or null when they are all present.</summary>
    public static string? MissingReason(IEnumerable<string> files)
    {
        if (Directory is null)
        {
            return "The corpus of published manifests (shared/corpus or $env:HOSTNETAUDIT_CORPUS) is absent: corpus tests skipped.";
        }

        var missing = files.Where(f => !File.Exists(Path(f))).ToList();
        return missing.Count == 0 ? null : $"Corpus file(s) absent: {string.Join(", ", missing)}.";
    }

    private static string? Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("HOSTNETAUDIT_CORPUS");
        if (!string.IsNullOrEmpty(fromEnvironment) && System.IO.Directory.Exists(fromEnvironment))
        {
            return System.IO.Path.GetFullPath(fromEnvironment);
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "HostNetAudit.slnx")))
        {
            dir = dir.Parent;
        }

        for (var ancestor = dir?.Parent; ancestor is not null; ancestor = ancestor.Parent)
        {
            var candidate = System.IO.Path.Combine(ancestor.FullName, "shared", "corpus");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that skips, with a message, where the corpus or one of the files it names is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute(params string[] files)
    {
        Skip = Corpus.MissingReason(files);
    }
}

/// <summary>A theory that skips, with a message, where the corpus or one of the files it names is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute(params string[] files)
    {
        Skip = Corpus.MissingReason(files);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>The corpus of real published manifests, read in place (HOSTNETAUDIT_CORPUS, else ../shared/corpus from the repository root).</summary>
internal static class Corpus
{
    private static readonly Lazy<string?> Location = new(Find);

    public static string? Path => Location.Value;

    public static string File(string name) => System.IO.Path.Combine(Path ?? throw new InvalidOperationException("corpus absent"), name);

    /// <summary>Every object of a corpus file, as the offline reader reads it.</summary>
    public static List<EvidenceObject> Read(params string[] names)
    {
        var objects = new List<EvidenceObject>();
        var log = new RecordingLog();
        foreach (var name in names)
        {
            EvidenceReader.ReadFile(File(name), objects, log);
        }

        return objects;
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("HOSTNETAUDIT_CORPUS");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "HostNetAudit.slnx")))
            {
                var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "corpus"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs the corpus: skipped, with a message, where it is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (Corpus.Path is null)
        {
            Skip = "The corpus of published manifests (../shared/corpus or $env:HOSTNETAUDIT_CORPUS) is absent.";
        }
    }
}

/// <summary>Builds evidence in memory and evaluates it with the same code path as -Path.</summary>
internal static class PolicyHarness
{
    public static JsonElement Namespace(string name, params (string Key, string Value)[] labels)
    {
        var labelObject = new JsonObject();
        foreach (var (key, value) in labels)
        {
            labelObject[key] = value;
        }

        return JsonSerializer.SerializeToElement(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labelObject },
        });
    }

    public static JsonElement Json(string text) => JsonSerializer.SerializeToElement(JsonNode.Parse(text));

    /// <summary>Returns the object with a change applied (a variation of a corpus object, in memory only).</summary>
    public static JsonElement With(JsonElement obj, Action<JsonObject> change)
    {
        var node = JsonNode.Parse(obj.GetRawText())!.AsObject();
        change(node);
        return JsonSerializer.SerializeToElement(node);
    }

    public static List<NamespacePolicyResult> Evaluate(IEnumerable<JsonElement> objects, PodSecurityConfiguration? psa = null, ExemptionSet? exemptions = null, RecordingLog? log = null) =>
        Evaluate(objects.Select((o, i) => new EvidenceObject(o, "memory", i + 1)), psa, exemptions, log);

    public static List<NamespacePolicyResult> Evaluate(IEnumerable<EvidenceObject> objects, PodSecurityConfiguration? psa = null, ExemptionSet? exemptions = null, RecordingLog? log = null)
    {
        log ??= new RecordingLog();
        var set = new EvidenceSet(objects.ToList(), log);
        var inputs = PolicyInputReader.FromEvidence(set, log);
        var evaluator = new NamespacePolicyEvaluator(inputs, psa, exemptions ?? ExemptionSet.Empty, NamespacePolicyService.CelJudge, log);
        return evaluator.Evaluate(null, CancellationToken.None);
    }

    public static NamespacePolicyResult One(IEnumerable<JsonElement> objects, PodSecurityConfiguration? psa = null) => Assert.Single(Evaluate(objects, psa));

    public static NamespacePolicyResult One(IEnumerable<EvidenceObject> objects, PodSecurityConfiguration? psa = null) => Assert.Single(Evaluate(objects, psa));
}

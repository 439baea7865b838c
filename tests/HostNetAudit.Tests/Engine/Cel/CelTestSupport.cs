using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Cel;
using Xunit;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>The reference pod and its twin (DESIGN.md "Semantics"), and corpus access for the CEL tests.</summary>
internal static class CelTestSupport
{
    public static JsonElement ReferencePod(string ns = "team-a", bool hostNetwork = true)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "hostnetaudit-reference", ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["serviceAccountName"] = "default",
                ["securityContext"] = new JsonObject
                {
                    ["runAsNonRoot"] = true,
                    ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
                },
                ["containers"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["name"] = "reference",
                        ["image"] = "registry.k8s.io/pause:3.10",
                        ["resources"] = new JsonObject
                        {
                            ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
                            ["limits"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
                        },
                        ["securityContext"] = new JsonObject
                        {
                            ["allowPrivilegeEscalation"] = false,
                            ["runAsNonRoot"] = true,
                            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
                        },
                    },
                },
            },
        };
        if (hostNetwork)
        {
            pod["spec"]!["hostNetwork"] = true;
        }

        return JsonSerializer.SerializeToElement(pod);
    }

    public static JsonElement TwinPod(string ns = "team-a") => ReferencePod(ns, hostNetwork: false);

    public static JsonElement Namespace(string name = "team-a", params (string Key, string Value)[] labels)
    {
        var labelObject = new JsonObject { ["kubernetes.io/metadata.name"] = name };
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

    public static CelAdmissionInput Input(JsonElement? namespaceObject = null) => new()
    {
        ReferencePod = ReferencePod(),
        TwinPod = TwinPod(),
        NamespaceObject = namespaceObject ?? Namespace(),
    };

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>A YAML document (the first of the text) as JSON.</summary>
    public static JsonElement Yaml(string yaml) => YamlDocs(yaml).Single();

    public static List<JsonElement> YamlDocs(string yaml) =>
        YamlDocuments.Read(yaml)
            .Select(d => d.Node ?? throw new InvalidDataException(d.Error))
            .Select(n => JsonSerializer.SerializeToElement(n))
            .ToList();

    /// <summary>A VAP-dialect policy from expressions.</summary>
    public static CelPolicy Policy(params string[] validations) => new()
    {
        Dialect = CelDialect.ValidatingAdmissionPolicy,
        Name = "ValidatingAdmissionPolicy/test",
        Validations = validations.Select(v => new CelValidation(v)).ToList(),
    };

    public static CelJudgement Judge(CelPolicy policy, CelAdmissionInput? input = null) =>
        CelJudge.JudgeValidations(policy, input ?? Input());
}

/// <summary>
/// Finds the corpus of real published manifests: $env:HOSTNETAUDIT_CORPUS, else shared/corpus next to the
/// repository root or one of its ancestors (worktrees sit below the shared folder).
/// </summary>
internal static class Corpus
{
    private static readonly Lazy<string?> Root = new(Locate);

    public static string? Directory => Root.Value;

    public static string Path(string file) =>
        System.IO.Path.Combine(Directory ?? throw new InvalidOperationException("The corpus is absent."), file);

    public static string Read(string file) => File.ReadAllText(Path(file));

    public static List<JsonElement> Documents(string file) => CelTestSupport.YamlDocs(Read(file));

    public static JsonElement Document(string file) => Documents(file).Single();

    /// <summary>Why a test needing these files must skip, or null when they are all present.</summary>
    public static string? MissingReason(IEnumerable<string> files)
    {
        if (Directory is null)
        {
            return "The corpus (shared/corpus or $env:HOSTNETAUDIT_CORPUS) is absent: corpus tests skipped.";
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

/// <summary>A fact that skips, with a message, where the corpus or one of its files is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute(params string[] files)
    {
        Skip = Corpus.MissingReason(files);
    }
}

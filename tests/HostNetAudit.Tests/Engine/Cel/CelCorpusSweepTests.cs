using System.Text.Json;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Cel;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Engine.Cel.CelTestSupport;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>Every CEL policy found anywhere in the corpus: readable, runnable, and judged with certainty.</summary>
public class CelCorpusSweepTests
{
    internal static List<(string File, CelPolicy Policy)> CorpusPolicies()
    {
        var found = new List<(string, CelPolicy)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Corpus.Directory!).Where(p => p.EndsWith(".yaml", StringComparison.Ordinal) || p.EndsWith(".yml", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(path);
            if (!text.Contains("expression", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var document in YamlDocuments.Read(text).Where(d => d.Node is not null))
            {
                var obj = JsonSerializer.SerializeToElement(document.Node);
                var file = System.IO.Path.GetFileName(path);
                switch (obj.Get("kind").AsString())
                {
                    case "ValidatingAdmissionPolicy":
                        found.Add((file, CelPolicySources.FromValidatingAdmissionPolicy(obj)));
                        break;
                    case "ValidatingPolicy" or "NamespacedValidatingPolicy":
                        found.Add((file, CelPolicySources.FromKyvernoValidatingPolicy(obj)));
                        break;
                    case "ClusterPolicy" or "Policy":
                        found.AddRange(obj.Get("spec", "rules").Items()
                            .Where(rule => rule.Get("validate", "cel", "expressions").ValueKind == JsonValueKind.Array)
                            .Select(rule => (file, CelPolicySources.FromKyvernoRule(rule, "ClusterPolicy/" + obj.Get("metadata", "name").AsString()))));
                        break;
                    case "ConstraintTemplate":
                        if (CelPolicySources.FromGatekeeperTemplate(obj, Json("""{"kind":"Constraint","metadata":{"name":"sweep"},"spec":{"parameters":{}}}""")) is { } template)
                        {
                            found.Add((file, template));
                        }

                        break;
                }
            }
        }

        return found;
    }

    [CorpusFact]
    public void Every_CEL_expression_in_the_corpus_parses_and_runs_in_the_evaluator()
    {
        var policies = CorpusPolicies();
        Assert.True(policies.Count >= 9, $"expected the corpus's CEL policies, found {policies.Count}");

        var runtime = new CelRuntime();
        var expressions = policies.SelectMany(p => p.Policy.Validations.Select(v => v.Expression)
                .Concat(p.Policy.Validations.Select(v => v.MessageExpression).OfType<string>())
                .Concat(p.Policy.Variables.Select(v => v.Expression))
                .Concat(p.Policy.MatchConditions.Select(m => m.Expression))
                .Select(e => (p.File, Expression: e)))
            .ToList();

        Assert.All(expressions, e =>
        {
            var program = runtime.Prepare(e.Expression);
            Assert.True(program.Compiled is not null, $"{e.File}: {e.Expression}: {program.CompileError}");
        });
    }

    [CorpusFact]
    public void Every_CEL_policy_in_the_corpus_is_judged_by_evaluation_with_certainty()
    {
        foreach (var (file, policy) in CorpusPolicies())
        {
            var judgement = Judge(policy);
            Assert.True(judgement.Verdict != CelVerdict.Unknown, $"{file}: {judgement}");
            Assert.True(judgement.JudgedBy == CelJudgedBy.Evaluated, $"{file}: {judgement}");
        }
    }

    [CorpusFact(
        "kubescape_cel-admission-library__controls__C-0041__policy.yaml",
        "kyverno_policies__pod-security-cel__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml",
        "kyverno_policies__pod-security-vpol__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml")]
    public void The_text_reader_alone_reads_the_published_hostNetwork_rules_as_the_evaluator_does()
    {
        var policies = new[]
        {
            CelPolicySources.FromValidatingAdmissionPolicy(Corpus.Document("kubescape_cel-admission-library__controls__C-0041__policy.yaml")),
            CelPolicySources.FromKyvernoRule(
                Corpus.Document("kyverno_policies__pod-security-cel__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml").Get("spec", "rules").Items().Single(),
                "ClusterPolicy/disallow-host-namespaces"),
            CelPolicySources.FromKyvernoValidatingPolicy(Corpus.Document("kyverno_policies__pod-security-vpol__baseline__disallow-host-namespaces__disallow-host-namespaces.yaml")),
        };

        foreach (var policy in policies)
        {
            var variables = policy.Variables.ToDictionary(v => v.Name, v => (CelNode?)CelParser.Parse(v.Expression));
            bool? ReadFirstValidation(JsonElement pod)
            {
                var bindings = new Dictionary<string, object?> { ["object"] = CelValues.FromJson(pod), ["oldObject"] = null, ["params"] = null };
                var value = new CelTextReader(bindings, variables, new Dictionary<string, object?>()).Read(CelParser.Parse(policy.Validations[0].Expression));
                return value.Known ? value.Value as bool? : null;
            }

            Assert.False(ReadFirstValidation(ReferencePod()));
            Assert.True(ReadFirstValidation(TwinPod()));
        }
    }
}

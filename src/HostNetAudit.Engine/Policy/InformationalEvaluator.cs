using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy;

/// <summary>
/// Evidence that is reported and never counted: PodSecurityPolicies (before 1.25 they protect only the pods whose
/// creators may use them), and policies that label new namespaces with a Pod Security level
/// (MutatingAdmissionPolicy, Kyverno mutate rules) — they change namespaces created later, not this one.
/// </summary>
internal sealed class InformationalEvaluator : IEngineEvaluator
{
    private readonly List<Finding> podSecurityPolicies = new();
    private readonly List<Finding> labellers = new();

    public InformationalEvaluator(PolicyInputs inputs)
    {
        var removed = inputs.ServerMinor is >= 25;
        foreach (var psp in inputs.Of("policy", "PodSecurityPolicy"))
        {
            var allows = psp.Spec.Get("hostNetwork").IsTrue();
            podSecurityPolicies.Add(new Finding
            {
                Engine = PolicyEngine.PodSecurityPolicy,
                Kind = "PodSecurityPolicy",
                Policy = psp.Name,
                Action = "None",
                Verdict = Verdict.Informational,
                JudgedBy = Policy.JudgedBy.Text,
                Detail = (allows ? "allows hostNetwork (spec.hostNetwork: true)" : "forbids hostNetwork (spec.hostNetwork false or unset)") +
                    "; a PodSecurityPolicy constrains only the pods whose creators may use it, so it is informational" +
                    (removed ? "; PodSecurityPolicy was removed in Kubernetes 1.25 and is not enforced" : string.Empty),
                Source = psp.Source,
            });
        }

        foreach (var map in inputs.Of("admissionregistration.k8s.io", "MutatingAdmissionPolicy"))
        {
            if (LabelsNamespaces(map.Spec.Get("matchConstraints"), map.Spec.Get("mutations").GetRawTextOrEmpty(), out var level))
            {
                labellers.Add(Labeller(PolicyEngine.MutatingAdmissionPolicy, "MutatingAdmissionPolicy", map, level));
            }
        }

        foreach (var policy in inputs.Of("kyverno.io", "ClusterPolicy"))
        {
            foreach (var rule in policy.Spec.Get("rules").Items())
            {
                var mutate = rule.Get("mutate");
                if (!mutate.Exists())
                {
                    continue;
                }

                var kinds = rule.GetRawText();
                var text = mutate.GetRawText();
                if (kinds.Contains("\"Namespace\"", StringComparison.Ordinal) && text.Contains("pod-security.kubernetes.io/enforce", StringComparison.Ordinal))
                {
                    labellers.Add(Labeller(PolicyEngine.Kyverno, "ClusterPolicy", policy, LevelIn(text)));
                }
            }
        }
    }

    public string Name => "Informational";

    public void Evaluate(NamespaceInfo ns, NamespaceFindings findings)
    {
        findings.Informational.AddRange(podSecurityPolicies.Select(Copy));
        if (!ns.Labels.ContainsKey("pod-security.kubernetes.io/enforce"))
        {
            findings.Informational.AddRange(labellers.Select(Copy));
        }
    }

    private static bool LabelsNamespaces(System.Text.Json.JsonElement matchConstraints, string mutations, out string? level)
    {
        level = null;
        var namespaces = matchConstraints.Get("resourceRules").Items().Any(r =>
            r.Get("resources").Items().Any(x => x.AsString() is "namespaces" or "*") &&
            r.Get("operations").Items().Any(o => o.AsString() is "CREATE" or "*"));
        if (!namespaces || !mutations.Contains("pod-security.kubernetes.io/enforce", StringComparison.Ordinal))
        {
            return false;
        }

        level = LevelIn(mutations);
        return true;
    }

    private static string? LevelIn(string text)
    {
        var at = text.IndexOf("pod-security.kubernetes.io/enforce", StringComparison.Ordinal);
        var rest = at < 0 ? string.Empty : text[at..Math.Min(text.Length, at + 80)];
        return new[] { "restricted", "baseline", "privileged" }.FirstOrDefault(l => rest.Contains(l, StringComparison.Ordinal));
    }

    private static Finding Labeller(PolicyEngine engine, string kind, PolicyObject policy, string? level) => new()
    {
        Engine = engine,
        Kind = kind,
        Policy = policy.Name,
        Action = "Mutate",
        Verdict = Verdict.Informational,
        JudgedBy = Policy.JudgedBy.Text,
        Detail = $"labels new namespaces pod-security.kubernetes.io/enforce={level ?? "(a level)"} when they are created; not counted: it changes namespaces created after it, and this namespace has no enforce label",
        Source = policy.Source,
    };

    private static Finding Copy(Finding f) => new()
    {
        Engine = f.Engine,
        Kind = f.Kind,
        Policy = f.Policy,
        Rule = f.Rule,
        Action = f.Action,
        Verdict = f.Verdict,
        JudgedBy = f.JudgedBy,
        Detail = f.Detail,
        FailOpen = f.FailOpen,
        Source = f.Source,
    };
}

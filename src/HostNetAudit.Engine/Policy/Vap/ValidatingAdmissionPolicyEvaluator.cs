using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;

namespace HostNetAudit.Engine.Policy.Vap;

/// <summary>
/// ValidatingAdmissionPolicy with its bindings: a policy whose matchConstraints cover pod CREATE and whose
/// validations (CEL) deny the reference pod and admit its twin, bound by a binding whose validationActions hold
/// Deny and whose matchResources select the namespace. An objectSelector, matchConditions or a paramRef (for a
/// policy with paramKind) make the refusal conditional; a policy without bindings enforces nothing.
/// </summary>
internal sealed class ValidatingAdmissionPolicyEvaluator : IEngineEvaluator
{
    private const string Group = "admissionregistration.k8s.io";
    private readonly List<Entry> entries = new();

    public ValidatingAdmissionPolicyEvaluator(PolicyInputs inputs, IEngineLog log)
    {
        var bindings = inputs.Of(Group, "ValidatingAdmissionPolicyBinding").ToLookup(b => b.Spec.Get("policyName").AsString() ?? string.Empty, StringComparer.Ordinal);
        foreach (var policy in inputs.Of(Group, "ValidatingAdmissionPolicy"))
        {
            var spec = policy.Spec;
            if (!MatchConstraints.CoversPodCreate(spec.Get("matchConstraints")))
            {
                continue;
            }

            var celPolicy = CelPolicySources.FromValidatingAdmissionPolicy(policy.Object);
            var verdict = CelVerdicts.Judge(celPolicy);
            log.Debug($"ValidatingAdmissionPolicy {policy.Name}: {verdict}.");
            if (verdict.Verdict == CelVerdict.DoesNotRefuse && !verdict.DependsOnNamespace)
            {
                continue;
            }

            entries.Add(new Entry(
                policy,
                verdict,
                verdict.DependsOnNamespace ? celPolicy : null,
                new CompiledMatchResources(spec.Get("matchConstraints"), "spec.matchConstraints"),
                bindings[policy.Name].Select(b => (b, new CompiledMatchResources(b.Spec.Get("matchResources"), "the binding's matchResources", rulesOptional: true))).ToList()));
        }
    }

    public string Engine => Engines.ValidatingAdmissionPolicy;

    public void Evaluate(NamespaceInfo ns, NamespaceFindings findings)
    {
        foreach (var entry in entries)
        {
            var spec = entry.Policy.Spec;
            if (!entry.Match.Targets(ns))
            {
                continue; // the policy targets other namespaces
            }

            var policyScope = entry.Match.Scope(ns);
            if (policyScope.State == Applies.No && !entry.Match.ExcludesPods)
            {
                continue;
            }

            var celJudgement = entry.PerNamespace is null ? entry.Cel : CelVerdicts.Judge(entry.PerNamespace, ns.Object);
            if (celJudgement.Verdict == CelVerdict.DoesNotRefuse)
            {
                continue;
            }

            var judgement = CelVerdicts.ToPod(celJudgement);
            policyScope = policyScope.And(CelVerdicts.MatchScope(celJudgement, "the policy"));

            var failOpen = string.Equals(spec.Get("failurePolicy").AsString(), "Ignore", StringComparison.OrdinalIgnoreCase);
            if (entry.Bindings.Count == 0)
            {
                findings.Classify(judgement, policyScope.And(Scope.No("no ValidatingAdmissionPolicyBinding binds it, so it enforces nothing")), true, new PolicyFinding
                {
                    Engine = Engine,
                    Kind = "ValidatingAdmissionPolicy",
                    Policy = entry.Policy.Name,
                    Action = "None",
                    FailOpen = failOpen,
                    Source = entry.Policy.Source,
                }, reportNotApplied: true);
                continue;
            }

            foreach (var (binding, bindingMatch) in entry.Bindings)
            {
                var bspec = binding.Spec;
                if (!bindingMatch.Targets(ns))
                {
                    continue; // the binding targets other namespaces
                }

                var scope = policyScope.And(bindingMatch.Scope(ns));
                if (spec.Get("paramKind").Exists())
                {
                    scope = scope.And(bspec.Get("paramRef").Exists()
                        ? Scope.Depends($"paramRef {Describe(bspec.Get("paramRef"))}: the param's values (and whether it exists) decide")
                        : Scope.Unknown("the policy has a paramKind but the binding no paramRef, so the apiserver treats the binding as misconfigured"));
                }

                var actions = bspec.Get("validationActions").Items().Select(a => a.AsString() ?? string.Empty).ToList();
                findings.Classify(judgement, scope, actions.Contains("Deny", StringComparer.Ordinal), new PolicyFinding
                {
                    Engine = Engine,
                    Kind = "ValidatingAdmissionPolicyBinding",
                    Policy = entry.Policy.Name,
                    Rule = binding.Name,
                    Action = actions.Count == 0 ? "None" : string.Join(",", actions),
                    FailOpen = failOpen,
                    Source = binding.Source ?? entry.Policy.Source,
                }, reportNotApplied: true);
            }
        }
    }

    private static string Describe(System.Text.Json.JsonElement paramRef)
    {
        var parts = new List<string>();
        if (paramRef.Get("name").AsString() is { } name)
        {
            parts.Add("name " + name);
        }

        if (paramRef.Get("selector").Exists())
        {
            parts.Add("selector " + LabelSelector.Describe(paramRef.Get("selector")));
        }

        if (paramRef.Get("parameterNotFoundAction").AsString() is { } action)
        {
            parts.Add("parameterNotFoundAction " + action);
        }

        return string.Join(", ", parts);
    }

    private sealed record Entry(PolicyObject Policy, CelJudgement Cel, CelPolicy? PerNamespace, CompiledMatchResources Match, List<(PolicyObject Binding, CompiledMatchResources Match)> Bindings);
}

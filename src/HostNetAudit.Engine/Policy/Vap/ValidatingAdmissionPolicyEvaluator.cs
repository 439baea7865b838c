using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;
using HostNetAudit.Engine.Policy.Targeted;

namespace HostNetAudit.Engine.Policy.Vap;

/// <summary>
/// ValidatingAdmissionPolicy with its bindings: a policy whose matchConstraints cover pod CREATE and whose
/// validations (CEL) deny the reference pod and admit its twin, bound by a binding whose validationActions hold
/// Deny and whose matchResources select the namespace. An objectSelector or matchConditions make the refusal
/// conditional; a policy without bindings enforces nothing. A policy with a paramKind is judged with the params
/// each binding's paramRef selects in the namespace (any denial denies); a binding the apiserver cannot configure
/// (no paramRef, a paramKind not served, no params under parameterNotFoundAction Deny) denies every request it
/// matches under failurePolicy Fail and does nothing under Ignore.
/// </summary>
internal sealed class ValidatingAdmissionPolicyEvaluator : IEngineEvaluator
{
    private const string Group = "admissionregistration.k8s.io";
    private readonly PolicyInputs inputs;
    private readonly List<Entry> entries = new();
    private readonly Dictionary<(string Policy, string Param), CelPolicy> withParams = new();

    public ValidatingAdmissionPolicyEvaluator(PolicyInputs inputs, Exemptions.ExemptionSet exemptions, IEngineLog log)
    {
        var now = DateTimeOffset.UtcNow;
        this.inputs = inputs;
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
            var paramKind = ParamKind.Of(spec);
            log.Debug($"ValidatingAdmissionPolicy {policy.Name}: {verdict}.");
            if (verdict.Verdict == CelVerdict.DoesNotRefuse && !verdict.DependsOnNamespace && paramKind is null)
            {
                continue;
            }

            entries.Add(new Entry(
                policy,
                verdict,
                verdict.DependsOnNamespace ? celPolicy : null,
                paramKind,
                OwnPolicyCheck.Of(policy, exemptions, inputs.Context, now),
                new CompiledMatchResources(spec.Get("matchConstraints"), "spec.matchConstraints"),
                bindings[policy.Name].Select(b => (b, new CompiledMatchResources(b.Spec.Get("matchResources"), "the binding's matchResources", rulesOptional: true))).ToList()));
        }
    }

    public string Name => "ValidatingAdmissionPolicy";

    private static PolicyEngine Engine => PolicyEngine.ValidatingAdmissionPolicy;

    public void Evaluate(NamespaceInfo ns, NamespaceFindings findings)
    {
        foreach (var entry in entries)
        {
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
            if (celJudgement.Verdict == CelVerdict.DoesNotRefuse && entry.ParamKind is null)
            {
                continue;
            }

            var failOpen = string.Equals(entry.Policy.Spec.Get("failurePolicy").AsString(), "Ignore", StringComparison.OrdinalIgnoreCase);
            if (entry.Bindings.Count == 0)
            {
                if (entry.ParamKind is null)
                {
                    findings.Classify(CelVerdicts.ToPod(celJudgement), policyScope.And(CelVerdicts.MatchScope(celJudgement, "the policy")).And(Scope.No("no ValidatingAdmissionPolicyBinding binds it, so it enforces nothing")), new Finding
                    {
                        Engine = Engine,
                        Kind = "ValidatingAdmissionPolicy",
                        Policy = entry.Policy.Name,
                        Action = "None",

                        // What it would do once bound with Deny: reported as NotApplied, never counted.
                        Effect = AdmissionEffect.Denies,
                        FailOpen = failOpen,
                        Source = entry.Policy.Source,
                    }, reportNotApplied: true);
                }

                continue;
            }

            foreach (var (binding, bindingMatch) in entry.Bindings)
            {
                if (!bindingMatch.Targets(ns))
                {
                    continue; // the binding targets other namespaces
                }

                var actions = binding.Spec.Get("validationActions").Items().Select(a => a.AsString() ?? string.Empty).ToList();
                var effect = AdmissionEffects.FromValidationActions(actions);
                var scope = policyScope.And(bindingMatch.Scope(ns));
                PodJudgement judgement;
                if (entry.ParamKind is { } kind)
                {
                    var withParams = JudgeWithParams(entry, kind, binding, ns, failOpen);
                    judgement = withParams.Judgement;
                    scope = scope.And(withParams.Scope);

                    // The apiserver denies a binding it cannot configure whatever its validationActions (failurePolicy Fail).
                    if (withParams.Misconfigured)
                    {
                        effect |= AdmissionEffect.Denies;
                    }
                }
                else
                {
                    judgement = CelVerdicts.ToPod(celJudgement);

                    // The escape the judge finds in the module's own policy is its exception chains: OwnPolicyCheck
                    // below decides whether they are the declared ones (Compliant) or not (Conditional, saying why).
                    scope = scope.And(CelVerdicts.MatchScope(celJudgement, "the policy", escapeVerified: entry.Own is not null));
                }

                // The module's own targeted policy is not taken on trust: verified, its exceptions here are listed;
                // otherwise (a hand-edited copy) nobody has checked who passes its chains, so it refuses only some pods.
                scope = OwnPolicyCheck.Apply(entry.Own, Engine, entry.Policy.Name, ns, findings, scope);

                findings.Classify(judgement, scope, new Finding
                {
                    Engine = Engine,
                    Kind = "ValidatingAdmissionPolicyBinding",
                    Policy = entry.Policy.Name,
                    Rule = binding.Name,
                    Action = actions.Count == 0 ? "None" : string.Join(",", actions),
                    Effect = effect,
                    FailOpen = failOpen,
                    Source = binding.Source ?? entry.Policy.Source,
                }, reportNotApplied: true);
            }
        }
    }

    /// <summary>
    /// The policy judged with the params the binding's paramRef selects in the namespace, as the apiserver collects
    /// them: every matching param is evaluated and any denial denies; none found is an admission under
    /// parameterNotFoundAction Allow and an error under Deny; a binding it cannot configure is an error. An error
    /// denies every request the binding matches under failurePolicy Fail (Misconfigured) and skips it under Ignore.
    /// </summary>
    private (PodJudgement Judgement, Scope Scope, bool Misconfigured) JudgeWithParams(Entry entry, ParamKind kind, PolicyObject binding, NamespaceInfo ns, bool failOpen)
    {
        (PodJudgement, Scope, bool) Error(string why) => failOpen
            ? (PodJudgement.DoesNotRefuse($"{why}, and failurePolicy Ignore skips the binding then", JudgedBy.Text), Scope.Yes(), false)
            : (new PodJudgement(PodOutcome.DeniesBoth, JudgedBy.Text, $"{why}, and failurePolicy {entry.Policy.Spec.Get("failurePolicy").AsString() ?? "Fail (the default)"} denies every request the binding matches then, whatever it is"), Scope.Yes(), true);

        var paramRef = binding.Spec.Get("paramRef");
        if (!paramRef.Exists())
        {
            return Error($"the policy has paramKind {kind} but binding {binding.Name} has no paramRef, so the apiserver cannot configure it");
        }

        if (!inputs.Params.TryGetValue(kind.Key, out var set) || set.State == ParamKindState.NotServed)
        {
            return Error($"its paramKind {kind} is not served by the API server, so the apiserver cannot configure binding {binding.Name}");
        }

        if (set.State == ParamKindState.Unreadable)
        {
            return (PodJudgement.Unknown(set.Problem ?? $"the params of kind {kind} could not be read"), Scope.Yes(), false);
        }

        var found = set.Select(paramRef, ns.Name);
        if (found.Count == 0)
        {
            var where = $"no {kind.Kind} {ParamSet.Describe(paramRef)} exists{(set.Namespaced && !paramRef.Get("namespace").Exists() ? " in " + ns.Name : string.Empty)}";
            return string.Equals(paramRef.Get("parameterNotFoundAction").AsString(), "Allow", StringComparison.Ordinal)
                ? (PodJudgement.DoesNotRefuse($"{where}, and parameterNotFoundAction Allow admits the request then", JudgedBy.Text), Scope.Yes(), false)
                : Error($"{where} for binding {binding.Name}, and parameterNotFoundAction Deny makes that an error");
        }

        var judgements = found.Select(param => (Param: param, Judgement: CelVerdicts.Judge(PolicyWith(entry, param), ns.Object))).ToList();
        var (decidingParam, deciding) = judgements.FirstOrDefault(j => j.Judgement.Verdict == CelVerdict.DeniesBoth);
        if (deciding is null)
        {
            (decidingParam, deciding) = judgements.FirstOrDefault(j => j.Judgement.Verdict == CelVerdict.Unknown);
        }

        if (deciding is null)
        {
            (decidingParam, deciding) = judgements.FirstOrDefault(j => j.Judgement.Verdict == CelVerdict.Refuses);
        }

        (decidingParam, deciding) = deciding is null ? judgements[0] : (decidingParam, deciding);
        var with = found.Count == 1 ? $"with param {kind.Kind} {decidingParam.QualifiedName}: " : $"with {found.Count} params of kind {kind.Kind} ({string.Join(", ", found.Select(p => p.QualifiedName))}), any denial denying; {decidingParam.QualifiedName} decides: ";
        return (CelVerdicts.ToPod(deciding, with), CelVerdicts.MatchScope(deciding, "the policy"), false);
    }

    /// <summary>The policy with one param bound (one instance per param, so the CEL judge remembers its judgements).</summary>
    private CelPolicy PolicyWith(Entry entry, PolicyObject param)
    {
        var key = (entry.Policy.Name, param.Group + "/" + param.Kind + "/" + param.QualifiedName);
        if (!withParams.TryGetValue(key, out var policy))
        {
            policy = CelPolicySources.FromValidatingAdmissionPolicy(entry.Policy.Object, param.Object);
            withParams[key] = policy;
        }

        return policy;
    }

    private sealed record Entry(PolicyObject Policy, CelJudgement Cel, CelPolicy? PerNamespace, ParamKind? ParamKind, OwnPolicyCheck? Own, CompiledMatchResources Match, List<(PolicyObject Binding, CompiledMatchResources Match)> Bindings);
}

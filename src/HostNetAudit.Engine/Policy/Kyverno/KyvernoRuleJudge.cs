using System.Text.Json;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>
/// Judges one Kyverno validate rule against the reference pod and its twin, independent of any namespace:
/// pattern, anyPattern, deny conditions, CEL expressions, the podSecurity subrule; preconditions that cannot be
/// evaluated make it apply to some pods only. Rules of other shapes (foreach, manifests, assert) are Unknown when
/// they read hostNetwork, else they cannot tell the two pods apart and do not refuse hostNetwork.
/// </summary>
internal static class KyvernoRuleJudge
{
    private static readonly JsonElement Reference = ReferencePod.Reference();
    private static readonly JsonElement Twin = ReferencePod.Twin();

    /// <summary>
    /// The judgement, the pod-level scope (Depends when preconditions cannot be evaluated or CEL preconditions
    /// decide per request), and the CEL policy to judge again per namespace when its CEL reads namespaceObject.
    /// </summary>
    /// <remarks>
    /// Without <paramref name="ns"/> the pods are created in "default"; a rule whose preconditions or validate
    /// read the namespace (<see cref="ReadsNamespace"/>) must be judged again with each namespace.
    /// </remarks>
    /// <param name="rule">The rule.</param>
    /// <param name="policyName">Its policy, for details.</param>
    /// <param name="ns">The namespace the pods are created in (default when null).</param>
    /// <param name="escapeVerified">The rule is the module's own verified targeted policy: its escapes are its listed exceptions.</param>
    public static (PodJudgement Judgement, Scope PodScope, CelPolicy? PerNamespace) Judge(JsonElement rule, string policyName, NamespaceInfo? ns = null, bool escapeVerified = false)
    {
        var nsName = ns?.Name ?? "default";
        var reference = ns is null ? Reference : ReferencePod.Reference(nsName);
        var twin = ns is null ? Twin : ReferencePod.Twin(nsName);
        var podScope = Scope.Yes();
        bool? twinMeetsPreconditions = true;
        var preconditions = rule.Get("preconditions");
        if (preconditions.Exists())
        {
            var holds = KyvernoConditions.Evaluate(preconditions, reference, nsName);
            if (holds == false)
            {
                return (PodJudgement.DoesNotRefuse(ns is null ? "its preconditions do not hold for a pod create" : $"its preconditions do not hold for a pod create in {nsName}"), podScope, null);
            }

            if (holds is null)
            {
                podScope = Scope.Depends("the rule's preconditions decide per request");
            }
            else if (KyvernoConditions.Evaluate(preconditions, reference, nsName, podFieldsFree: true) is null)
            {
                podScope = Scope.Depends("the rule's preconditions read fields the pod's creator sets (labels, annotations, containers...): pods that set them otherwise skip the rule");
            }

            twinMeetsPreconditions = KyvernoConditions.Evaluate(preconditions, twin, nsName);
        }

        var validate = rule.Get("validate");
        PodJudgement result;
        CelPolicy? perNamespace = null;
        if (validate.Get("cel").Exists())
        {
            (result, var scope, perNamespace) = JudgeCel(rule, policyName, ns?.Object, escapeVerified);
            podScope = podScope.And(scope);
        }
        else
        {
            (result, var scope) = JudgeValidate(validate, rule, reference, twin, nsName);
            podScope = podScope.And(scope);
        }

        // Kyverno skips a rule whose preconditions do not hold: a twin that does not meet them is admitted.
        if (twinMeetsPreconditions == false && result.Outcome == PodOutcome.DeniesBoth)
        {
            result = new PodJudgement(PodOutcome.Refuses, result.JudgedBy, "the twin (no hostNetwork) does not meet its preconditions, so Kyverno skips the rule for it, and its validation denies the reference pod");
        }

        return (result, podScope, perNamespace);
    }

    /// <summary>
    /// True when the rule's preconditions or validation (CEL included) read the namespace (request.namespace,
    /// metadata.namespace, a (namespace) anchor): its judgement can differ between namespaces.
    /// </summary>
    public static bool ReadsNamespace(JsonElement rule)
    {
        var validate = rule.Get("validate");
        // validate.cel too: request.namespace (the targeted policy's chains, for one) is not namespaceObject, which
        // alone makes the CEL judge ask for a judgement per namespace, and a chain open in one namespace only must be
        // judged there, or a copy that admits anyone there would read as refusing everyone.
        var parts = new[] { rule.Get("preconditions"), validate.Get("pattern"), validate.Get("anyPattern"), validate.Get("deny"), validate.Get("foreach"), validate.Get("cel"), rule.Get("celPreconditions") };
        return parts.Any(p => p.Exists() && p.GetRawText().Contains("namespace", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A validate.cel rule, judged by the CEL judge (celPreconditions act as match conditions).</summary>
    public static (PodJudgement Judgement, Scope Scope, CelPolicy? PerNamespace) JudgeCel(JsonElement rule, string policyName, JsonElement? namespaceObject = null, bool escapeVerified = false)
    {
        var celRule = rule.Get("validate", "cel");
        var policy = CelPolicySources.FromKyvernoRule(rule, policyName);
        var verdict = CelVerdicts.Judge(policy, namespaceObject);
        var judgement = CelVerdicts.ToPod(verdict, "validate.cel: ");
        if ((celRule.Get("paramKind").Exists() || celRule.Get("paramRef").Exists()) && judgement.Outcome == PodOutcome.Refuses)
        {
            judgement = new PodJudgement(PodOutcome.Unknown, CelVerdicts.ToJudgedBy(verdict.JudgedBy), "validate.cel reads params (paramKind/paramRef), whose values decide: " + verdict.Detail);
        }

        return (judgement, CelVerdicts.MatchScope(verdict, "the rule's celPreconditions", escapeVerified), verdict.DependsOnNamespace ? policy : null);
    }

    private static (PodJudgement Judgement, Scope Scope) JudgeValidate(JsonElement validate, JsonElement rule, JsonElement reference, JsonElement twin, string ns)
    {
        var all = Scope.Yes();
        if (validate.Get("podSecurity").Exists())
        {
            return (PodSecurity(validate.Get("podSecurity")), all);
        }

        if (validate.Get("pattern").Exists())
        {
            var r = KyvernoPattern.Match(reference, validate.Get("pattern"), out var path);
            var t = KyvernoPattern.Match(twin, validate.Get("pattern"), out var twinPath);
            return (FromResults(r, t, "validate.pattern", path, twinPath, rule), all);
        }

        if (validate.Get("anyPattern").ValueKind == JsonValueKind.Array)
        {
            var patterns = validate.Get("anyPattern").EnumerateArray().ToList();
            var r = AnyPattern(reference, patterns);
            var t = AnyPattern(twin, patterns);
            var judgement = FromResults(r, t, "validate.anyPattern", string.Empty, string.Empty, rule);
            if (judgement.Outcome == PodOutcome.Refuses)
            {
                // An alternative that both pods fail without reading hostNetwork admits the hostNetwork pods that meet it.
                var escape = patterns.FindIndex(p => !p.GetRawText().Contains("hostNetwork", StringComparison.Ordinal) &&
                    KyvernoPattern.Match(reference, p) == PatternResult.Fail && KyvernoPattern.Match(twin, p) == PatternResult.Fail);
                if (escape >= 0)
                {
                    all = Scope.Depends($"validate.anyPattern alternative {escape + 1} does not read hostNetwork, so a hostNetwork pod that meets it is admitted");
                }
            }

            return (judgement, all);
        }

        if (validate.Get("deny").ValueKind == JsonValueKind.Object)
        {
            var conditions = validate.Get("deny").Get("conditions");
            if (!conditions.Exists())
            {
                return (new PodJudgement(PodOutcome.DeniesBoth, JudgedBy.Evaluated, "validate.deny has no conditions: it denies every matching request"), all);
            }

            var r = KyvernoConditions.Evaluate(conditions, reference, ns);
            var t = KyvernoConditions.Evaluate(conditions, twin, ns);
            if (r is null || t is null)
            {
                return (Mentions(rule)
                    ? PodJudgement.Unknown("its deny conditions use variables or operators not evaluated here")
                    : PodJudgement.DoesNotRefuse("its deny conditions do not read hostNetwork", JudgedBy.Text), all);
            }

            if (r == true && t == false && KyvernoConditions.Evaluate(conditions, reference, ns, podFieldsFree: true) is null)
            {
                all = Scope.Depends("its deny conditions also read fields the pod's creator sets (labels, annotations, containers...), so a hostNetwork pod that sets them otherwise is admitted");
            }

            return ((r.Value, t.Value) switch
            {
                (true, false) => new PodJudgement(PodOutcome.Refuses, JudgedBy.Evaluated, "its deny conditions hold for the reference pod (hostNetwork: true) and not for the twin"),
                (true, true) => new PodJudgement(PodOutcome.DeniesBoth, JudgedBy.Evaluated, "its deny conditions hold for every pod create"),
                _ => PodJudgement.DoesNotRefuse("its deny conditions do not hold for the reference pod"),
            }, all);
        }

        return (Mentions(rule)
            ? PodJudgement.Unknown("its validate rule (foreach, manifests or assert) reads hostNetwork but is not evaluated here")
            : PodJudgement.DoesNotRefuse("its validate rule does not read hostNetwork, so it cannot tell the reference pod from its twin", JudgedBy.Text), all);
    }

    /// <summary>The podSecurity subrule: baseline and restricted include the Host Namespaces control unless it is excluded.</summary>
    private static PodJudgement PodSecurity(JsonElement podSecurity)
    {
        var level = podSecurity.Get("level").AsString() ?? "baseline";
        var version = podSecurity.Get("version").AsString() ?? "latest";
        if (level is not ("baseline" or "restricted"))
        {
            return PodJudgement.DoesNotRefuse($"validate.podSecurity level {level} allows host namespaces");
        }

        foreach (var exclude in podSecurity.Get("exclude").Items())
        {
            if (!string.Equals(exclude.Get("controlName").AsString(), "Host Namespaces", StringComparison.Ordinal))
            {
                continue;
            }

            var field = exclude.Get("restrictedField").AsString();
            if (string.IsNullOrEmpty(field))
            {
                return PodJudgement.DoesNotRefuse($"validate.podSecurity {level}:{version} excludes the Host Namespaces control");
            }

            if (field == "spec.hostNetwork" && exclude.Get("values").Items().Any(v => v.AsString() == "true"))
            {
                return PodJudgement.DoesNotRefuse($"validate.podSecurity {level}:{version} excludes spec.hostNetwork=true from the Host Namespaces control", JudgedBy.Text);
            }
        }

        return new PodJudgement(PodOutcome.Refuses, JudgedBy.Evaluated, $"validate.podSecurity {level}:{version}: its Host Namespaces control forbids hostNetwork and the reference pod meets every other {level} check");
    }

    private static PatternResult AnyPattern(JsonElement pod, List<JsonElement> patterns)
    {
        var results = patterns.Select(p => KyvernoPattern.Match(pod, p)).ToList();
        if (results.Contains(PatternResult.Pass))
        {
            return PatternResult.Pass;
        }

        if (results.Contains(PatternResult.Unknown))
        {
            return PatternResult.Unknown;
        }

        return results.All(r => r == PatternResult.Skip) ? PatternResult.Skip : PatternResult.Fail;
    }

    private static PodJudgement FromResults(PatternResult reference, PatternResult twin, string what, string path, string twinPath, JsonElement rule)
    {
        if (reference == PatternResult.Unknown || twin == PatternResult.Unknown)
        {
            return Mentions(rule)
                ? PodJudgement.Unknown($"its {what} uses variables or constructs not evaluated here")
                : PodJudgement.DoesNotRefuse($"its {what} does not read hostNetwork", JudgedBy.Text);
        }

        var at = path.Length > 0 ? $" at {path}" : string.Empty;
        return (reference == PatternResult.Fail, twin == PatternResult.Fail) switch
        {
            (true, false) => new PodJudgement(PodOutcome.Refuses, JudgedBy.Evaluated, $"the reference pod fails its {what}{at} and the twin passes"),
            (true, true) => new PodJudgement(PodOutcome.DeniesBoth, JudgedBy.Evaluated, $"both the reference pod and the twin fail its {what}" + (twinPath.Length > 0 ? $" (the twin at {twinPath}" + (twinPath.Contains("hostNetwork", StringComparison.Ordinal) ? ": a field without an =() anchor must be present, and the apiserver omits hostNetwork: false" : string.Empty) + ")" : string.Empty)),
            _ => PodJudgement.DoesNotRefuse($"the reference pod {(reference == PatternResult.Skip ? "is skipped by" : "passes")} its {what}"),
        };
    }

    private static bool Mentions(JsonElement rule) => rule.GetRawText().Contains("hostNetwork", StringComparison.Ordinal);
}

using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;
using HostNetAudit.Engine.Policy.Targeted;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>
/// Kyverno: ClusterPolicy and Policy validate rules, and policies.kyverno.io ValidatingPolicies. A rule counts
/// in a namespace when it refuses the reference pod (and admits the twin), its match selects the pod's create
/// there and its exclude does not, spec.admission is not false, no PolicyException exempts it, Kyverno processes
/// the request (the kyverno ConfigMap's resourceFilters and exclusions, the webhook's namespaceSelector), and its
/// effective failure action is Enforce (rule failureActionOverrides, rule failureAction, policy
/// validationFailureActionOverrides, policy validationFailureAction, else Audit; any case) or, for a
/// ValidatingPolicy, validationActions holds Deny.
/// </summary>
internal sealed class KyvernoEvaluator : IEngineEvaluator
{
    /// <summary>The webhook of kyverno.io policies ("-fail", "-ignore", "-fail-finegrained-&lt;policy&gt;" ...).</summary>
    private const string ResourceWebhook = "validate.kyverno.svc";
    private readonly PolicyInputs inputs;
    private readonly KyvernoConfig config;
    private readonly List<RuleEntry> rules = new();
    private readonly List<VpolEntry> validatingPolicies = new();
    private readonly List<PolicyObject> exceptions;
    private readonly List<PolicyObject> vpolExceptions;
    private readonly bool installed;
    private readonly Dictionary<string, (Func<NamespaceInfo, Scope> ScopeFor, bool FailOpen)> webhooks = new(StringComparer.Ordinal);

    public KyvernoEvaluator(PolicyInputs inputs, Exemptions.ExemptionSet exemptions, IEngineLog log)
    {
        var now = DateTimeOffset.UtcNow;
        this.inputs = inputs;
        config = KyvernoConfig.From(inputs);
        exceptions = inputs.Of("kyverno.io", "PolicyException").ToList();
        vpolExceptions = inputs.Of("policies.kyverno.io", "PolicyException").ToList();
        foreach (var policy in inputs.Of("kyverno.io", "ClusterPolicy").Concat(inputs.Of("kyverno.io", "Policy")))
        {
            // spec.applyRules One: validation stops at the first rule that applies, so earlier rules may hide later ones.
            var applyOne = string.Equals(policy.Spec.Get("applyRules").AsString(), "One", StringComparison.Ordinal);
            var before = new List<EarlierRule>();

            // The module's own targeted policy (-Engine Kyverno) is verified as the ValidatingAdmissionPolicy is.
            var own = OwnPolicyCheck.OfKyverno(policy, exemptions, inputs.Context, now);
            foreach (var rule in policy.Spec.Get("rules").Items())
            {
                if (!rule.Get("validate").Exists())
                {
                    continue;
                }

                var earlier = applyOne ? before.ToList() : null;
                if (applyOne)
                {
                    before.Add(new EarlierRule(rule, rule.Get("name").AsString() ?? "(unnamed)", KyvernoMatcher.Match(rule.Get("match")), KyvernoMatcher.Exclude(rule.Get("exclude"))));
                }

                var name = rule.Get("name").AsString() ?? "(unnamed)";
                var (judgement, podScope, perNamespace) = KyvernoRuleJudge.Judge(rule, $"{policy.Kind}/{policy.QualifiedName}", escapeVerified: own is not null);
                var readsNamespace = KyvernoRuleJudge.ReadsNamespace(rule);
                log.Debug($"Kyverno {policy.Kind} {policy.QualifiedName} rule {name}: {judgement.Outcome} ({judgement.Detail}){(readsNamespace ? "; it reads the namespace, so it is judged in each namespace" : string.Empty)}.");
                if (judgement.Outcome != PodOutcome.DoesNotRefuse || perNamespace is not null || readsNamespace)
                {
                    rules.Add(new RuleEntry(policy, rule, name, judgement, podScope, perNamespace, readsNamespace, WebhookMatchPolicy(policy), earlier, KyvernoMatcher.Match(rule.Get("match")), KyvernoMatcher.Exclude(rule.Get("exclude")), CompileExceptions(policy, name, rule.Get("validate").Get("podSecurity").Exists()), own));
                }
            }
        }

        foreach (var policy in inputs.Of("policies.kyverno.io", "ValidatingPolicy").Concat(inputs.Of("policies.kyverno.io", "NamespacedValidatingPolicy")))
        {
            if (!MatchConstraints.CoversPodCreate(policy.Spec.Get("matchConstraints")))
            {
                continue;
            }

            var celPolicy = CelPolicySources.FromKyvernoValidatingPolicy(policy.Object);
            var judgement = CelVerdicts.Judge(celPolicy);
            log.Debug($"Kyverno ValidatingPolicy {policy.Name}: {judgement}.");
            if (judgement.Verdict != CelVerdict.DoesNotRefuse || judgement.DependsOnNamespace)
            {
                validatingPolicies.Add(new VpolEntry(policy, judgement, judgement.DependsOnNamespace ? celPolicy : null, new CompiledMatchResources(policy.Spec.Get("matchConstraints"), "spec.matchConstraints"), CompileVpolExceptions(policy)));
            }
        }

        installed = rules.Count > 0 || validatingPolicies.Count > 0;
    }

    public string Name => "Kyverno";

    private static PolicyEngine Engine => PolicyEngine.Kyverno;

    public void Evaluate(NamespaceInfo ns, NamespaceFindings findings)
    {
        if (!installed)
        {
            return;
        }

        var processes = config.Processes(ns);
        foreach (var entry in rules)
        {
            EvaluateRule(entry, ns, processes, findings);
        }

        foreach (var entry in validatingPolicies)
        {
            EvaluateValidatingPolicy(entry, ns, processes, findings);
        }
    }

    private void EvaluateRule(RuleEntry entry, NamespaceInfo ns, Scope processes, NamespaceFindings findings)
    {
        var policy = entry.Policy;
        if (policy.Kind == "Policy" && !string.Equals(policy.Namespace ?? "default", ns.Name, StringComparison.Ordinal))
        {
            return;
        }

        var match = entry.Match.Evaluate(ns);
        if (match.State == Applies.No)
        {
            return;
        }

        var judgement = entry.Judgement;
        var podScope = entry.PodScope;
        var scope = match;
        if (entry.ReadsNamespace)
        {
            // Its preconditions or validation read the namespace: judge the pods created in this one.
            (judgement, podScope, _) = KyvernoRuleJudge.Judge(entry.Rule, $"{policy.Kind}/{policy.QualifiedName}", ns, escapeVerified: entry.Own is not null);
            if (judgement.Outcome == PodOutcome.DoesNotRefuse)
            {
                return;
            }
        }
        else if (entry.PerNamespace is not null)
        {
            var verdict = CelVerdicts.Judge(entry.PerNamespace, ns.Object);
            judgement = CelVerdicts.ToPod(verdict, "validate.cel: ");
            if (judgement.Outcome == PodOutcome.DoesNotRefuse)
            {
                return;
            }
        }

        var excluded = entry.Exclude.Evaluate(ns);
        scope = scope.And(excluded.State switch
        {
            Applies.Yes => Scope.No(excluded.Why.Length > 0 ? "the rule's exclude matches it: " + excluded.Why : $"the rule's exclude selects pod creation in {ns.Name}"),
            Applies.No => Scope.Yes(),
            _ => excluded,
        });
        foreach (var earlier in entry.Earlier ?? Enumerable.Empty<EarlierRule>())
        {
            scope = scope.And(Reached(earlier, ns));
        }

        if (policy.Spec.Get("admission").IsFalse())
        {
            scope = scope.And(Scope.No("spec.admission is false: the policy runs in background scans only"));
        }

        if (entry.WebhookMatch is not null)
        {
            // spec.webhookConfiguration.matchConditions go on the policy's own (fine-grained) webhook.
            var (webhookMatch, why) = CelVerdicts.Match(entry.WebhookMatch, ns.Object);
            scope = scope.And(webhookMatch == CelMatch.DoesNotMatch
                ? Scope.No($"its spec.webhookConfiguration.matchConditions skip the reference pod ({why})")
                : Scope.Depends($"its spec.webhookConfiguration.matchConditions ({string.Join(", ", entry.WebhookMatch.MatchConditions.Select(c => c.Name))}) decide per request"));
        }

        var failurePolicyIgnore = FailurePolicyIgnore(policy.Spec);
        var webhook = Webhook(ResourceWebhook, failurePolicyIgnore, policy.Name);
        scope = scope
            .And(podScope)
            .And(processes)
            .And(webhook.ScopeFor(ns))
            .And(Exceptions(entry.Exceptions, ns));
        scope = OwnPolicyCheck.Apply(entry.Own, Engine, policy.QualifiedName, ns, findings, scope);

        var action = ResolveAction(entry.Rule.Get("validate"), policy.Spec, ns);
        if (string.Equals(action, "Enforce", StringComparison.OrdinalIgnoreCase) &&
            !string.Equals(ResolveAction(entry.Rule.Get("validate"), policy.Spec, ns, unscopedOverridesMatch: false), "Enforce", StringComparison.OrdinalIgnoreCase))
        {
            scope = scope.And(Scope.Unknown("its Enforce comes from a failure-action override with neither namespaces nor namespaceSelector, which current Kyverno applies to every namespace and older releases ignore; give the override namespaces, or set the action itself"));
        }
        else if (string.Equals(action, "Enforce", StringComparison.OrdinalIgnoreCase) && PolicyWideAction(policy.Spec, ns) is { } collapsed &&
            !string.Equals(collapsed, "Enforce", StringComparison.OrdinalIgnoreCase))
        {
            scope = scope.And(Scope.Unknown($"Kyverno releases before the fix of kyverno/kyverno#16557 apply one action to the whole policy, that of its first validate rule with an action of its own ({collapsed}), so this rule's Enforce blocks only on fixed releases; move the rule into a policy of its own"));
        }

        var finding = new Finding
        {
            Engine = Engine,
            Kind = policy.Kind,
            Policy = policy.QualifiedName,
            Rule = entry.RuleName,
            Action = action,
            Effect = EffectOf(action),
            FailOpen = failurePolicyIgnore || webhook.FailOpen,
            Source = policy.Source,
        };
        findings.Classify(judgement, scope, finding, reportNotApplied: true);
    }

    private void EvaluateValidatingPolicy(VpolEntry entry, NamespaceInfo ns, Scope processes, NamespaceFindings findings)
    {
        var spec = entry.Policy.Spec;
        var namespaced = entry.Policy.Kind == "NamespacedValidatingPolicy";
        if (!entry.Match.Targets(ns) || (namespaced && !string.Equals(entry.Policy.Namespace ?? "default", ns.Name, StringComparison.Ordinal)))
        {
            return; // a NamespacedValidatingPolicy judges requests in its own namespace only
        }

        var scope = entry.Match.Scope(ns);
        if (scope.State == Applies.No && !entry.Match.ExcludesPods)
        {
            return;
        }

        var verdict = entry.PerNamespace is null ? entry.Cel : CelVerdicts.Judge(entry.PerNamespace, ns.Object);
        if (verdict.Verdict == CelVerdict.DoesNotRefuse)
        {
            return;
        }

        scope = scope.And(CelVerdicts.MatchScope(verdict, "the policy"));

        if (spec.Get("evaluation", "admission", "enabled").IsFalse() || spec.Get("admission").IsFalse())
        {
            scope = scope.And(Scope.No("admission evaluation is disabled (background scans only)"));
        }

        if (string.Equals(spec.Get("evaluation", "mode").AsString(), "JSON", StringComparison.Ordinal))
        {
            scope = scope.And(Scope.No("spec.evaluation.mode is JSON: it judges JSON payloads, not admission requests"));
        }

        // Each kind has its own webhook (vpol.validate.kyverno.svc-fail, nvpol.validate.kyverno.svc-fail, ...).
        var failurePolicyIgnore = string.Equals(spec.Get("failurePolicy").AsString(), "Ignore", StringComparison.OrdinalIgnoreCase);
        var webhook = Webhook(namespaced ? "nvpol.validate.kyverno.svc" : "vpol.validate.kyverno.svc", failurePolicyIgnore, entry.Policy.Name);
        scope = scope.And(processes).And(webhook.ScopeFor(ns)).And(VpolExceptions(entry.Exceptions, ns));

        var actions = spec.Get("validationActions").Items().Select(a => a.AsString() ?? string.Empty).ToList();
        if (actions.Count == 0)
        {
            actions.Add("Deny");
        }

        var finding = new Finding
        {
            Engine = Engine,
            Kind = entry.Policy.Kind,
            Policy = entry.Policy.QualifiedName,
            Action = string.Join(",", actions),
            Effect = AdmissionEffects.FromValidationActions(actions),
            FailOpen = failurePolicyIgnore || webhook.FailOpen,
            Source = entry.Policy.Source,
        };
        findings.Classify(CelVerdicts.ToPod(verdict), scope, finding, reportNotApplied: true);
    }

    /// <summary>What a rule's failure action does at admission: Enforce denies, Audit records a report (any case).</summary>
    private static AdmissionEffect EffectOf(string action) =>
        string.Equals(action, "Enforce", StringComparison.OrdinalIgnoreCase) ? AdmissionEffect.Denies
        : string.Equals(action, "Audit", StringComparison.OrdinalIgnoreCase) ? AdmissionEffect.Audits
        : AdmissionEffect.None;

    /// <summary>The policy's failure policy as Kyverno reads it: spec.webhookConfiguration.failurePolicy, else spec.failurePolicy, else Fail.</summary>
    private static bool FailurePolicyIgnore(JsonElement spec)
    {
        var failurePolicy = spec.Get("webhookConfiguration", "failurePolicy").AsString() ?? spec.Get("failurePolicy").AsString();
        return string.Equals(failurePolicy, "Ignore", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A ClusterPolicy's spec.webhookConfiguration.matchConditions, as a policy the CEL judge can match.</summary>
    private static CelPolicy? WebhookMatchPolicy(PolicyObject policy) =>
        CelVerdicts.MatchPolicy(CelDialect.ValidatingAdmissionPolicy, $"{policy.Kind}/{policy.QualifiedName} webhookConfiguration", CelVerdicts.Named(policy.Spec.Get("webhookConfiguration", "matchConditions")));

    /// <summary>The effective validation failure action in a namespace, as Kyverno resolves it.</summary>
    /// <remarks>
    /// An override with neither namespaces nor namespaceSelector applies to every namespace in current Kyverno;
    /// older releases ignore it (<paramref name="unscopedOverridesMatch"/> false reads it their way).
    /// </remarks>
    public static string ResolveAction(JsonElement validate, JsonElement spec, NamespaceInfo ns, bool unscopedOverridesMatch = true)
    {
        foreach (var o in validate.Get("failureActionOverrides").Items())
        {
            if (OverrideMatches(o, ns, unscopedOverridesMatch))
            {
                return o.Get("action").AsString()!;
            }
        }

        if (validate.Get("failureAction").AsString() is { } ruleAction)
        {
            return ruleAction;
        }

        foreach (var o in spec.Get("validationFailureActionOverrides").Items())
        {
            if (OverrideMatches(o, ns, unscopedOverridesMatch))
            {
                return o.Get("action").AsString()!;
            }
        }

        return spec.Get("validationFailureAction").AsString() ?? "Audit";
    }

    /// <summary>
    /// The single action Kyverno releases before the fix of kyverno/kyverno#16557 use for a whole policy: the first
    /// validate rule with a matching failureActionOverride or a failureAction of its own, else the policy's.
    /// </summary>
    private static string PolicyWideAction(JsonElement spec, NamespaceInfo ns)
    {
        foreach (var rule in spec.Get("rules").Items())
        {
            var validate = rule.Get("validate");
            if (!validate.Exists())
            {
                continue;
            }

            foreach (var o in validate.Get("failureActionOverrides").Items())
            {
                if (OverrideMatches(o, ns, unscopedMatch: false))
                {
                    return o.Get("action").AsString()!;
                }
            }

            if (validate.Get("failureAction").AsString() is { } ruleAction)
            {
                return ruleAction;
            }
        }

        return ResolveAction(default, spec, ns, unscopedOverridesMatch: false);
    }

    private static bool OverrideMatches(JsonElement o, NamespaceInfo ns, bool unscopedMatch)
    {
        if (o.Get("action").AsString() is not { } action || !(action.Equals("Enforce", StringComparison.OrdinalIgnoreCase) || action.Equals("Audit", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        var selector = o.Get("namespaceSelector");
        var namespaces = o.Get("namespaces");
        if (!namespaces.Exists())
        {
            return selector.Exists() ? LabelSelector.Matches(selector, ns.Labels) == true : unscopedMatch;
        }

        return namespaces.Items().Any(n => Wildcard.Match(n.AsString() ?? string.Empty, ns.Name)) &&
            (!selector.Exists() || LabelSelector.Matches(selector, ns.Labels) == true);
    }

    /// <summary>The PolicyExceptions naming a rule, compiled.</summary>
    private List<(PolicyObject Exception, KyvernoMatcher Match, bool Conditional)> CompileExceptions(PolicyObject policy, string ruleName, bool podSecurityRule)
    {
        var policyName = policy.Kind == "Policy" ? policy.QualifiedName : policy.Name;
        var result = new List<(PolicyObject, KyvernoMatcher, bool)>();
        foreach (var exception in exceptions)
        {
            var spec = exception.Spec;
            var covers = spec.Get("exceptions").Items().Any(e =>
                Wildcard.Match(e.Get("policyName").AsString() ?? string.Empty, policyName) &&
                e.Get("ruleNames").Items().Any(r => Wildcard.Match(r.AsString() ?? string.Empty, ruleName)));
            if (!covers)
            {
                continue;
            }

            if (podSecurityRule && spec.Get("podSecurity").Exists() &&
                !spec.Get("podSecurity").Items().Any(c => string.Equals(c.Get("controlName").AsString(), "Host Namespaces", StringComparison.Ordinal)))
            {
                continue; // it exempts other Pod Security controls only
            }

            result.Add((exception, KyvernoMatcher.Match(spec.Get("match")), spec.Get("conditions").Exists()));
        }

        return result;
    }

    /// <summary>Whether PolicyExceptions leave the rule applying (No when one exempts the reference pod).</summary>
    private static Scope Exceptions(List<(PolicyObject Exception, KyvernoMatcher Match, bool Conditional)> compiled, NamespaceInfo ns)
    {
        var scope = Scope.Yes();
        foreach (var (exception, match, conditional) in compiled)
        {
            var excepted = match.Evaluate(ns);
            if (excepted.State == Applies.No)
            {
                continue;
            }

            if (conditional)
            {
                excepted = excepted.And(Scope.Depends("its conditions decide per request"));
            }

            scope = scope.And(excepted.State == Applies.Yes
                ? Scope.No($"PolicyException {exception.QualifiedName} exempts it here")
                : Scope.Depends($"PolicyException {exception.QualifiedName} exempts some pods ({excepted.Why})"));
        }

        return scope;
    }

    /// <summary>policies.kyverno.io PolicyExceptions that reference the ValidatingPolicy, with their match conditions.</summary>
    private List<(PolicyObject Exception, CelPolicy? Match)> CompileVpolExceptions(PolicyObject policy) =>
        vpolExceptions
            .Where(e => e.Spec.Get("policyRefs").Items().Any(r => r.Get("name").AsString() == policy.Name && (r.Get("kind").AsString() ?? "ValidatingPolicy") == policy.Kind))
            .Select(e => (e, CelVerdicts.MatchPolicy(CelDialect.KyvernoValidatingPolicy, "PolicyException/" + e.QualifiedName, CelVerdicts.Named(e.Spec.Get("matchConditions")))))
            .ToList();

    private Scope VpolExceptions(List<(PolicyObject Exception, CelPolicy? Match)> compiled, NamespaceInfo ns)
    {
        var scope = Scope.Yes();
        foreach (var (exception, matchPolicy) in compiled)
        {
            if (matchPolicy is null)
            {
                scope = scope.And(Scope.No($"PolicyException {exception.QualifiedName} exempts every request"));
                continue;
            }

            var (match, _) = CelVerdicts.Match(matchPolicy, ns.Object);
            scope = scope.And(match switch
            {
                CelMatch.Matches => Scope.No($"PolicyException {exception.QualifiedName} exempts the reference pod here"),
                CelMatch.DoesNotMatch => Scope.Yes(),
                _ => Scope.Depends($"PolicyException {exception.QualifiedName} exempts requests its matchConditions select"),
            });
        }

        return scope;
    }

    /// <summary>The Kyverno webhook that sees the policy's requests, and what it means for a namespace.</summary>
    private (Func<NamespaceInfo, Scope> ScopeFor, bool FailOpen) Webhook(string prefix, bool ignore, string policyName)
    {
        var key = prefix + "\0" + ignore + "\0" + policyName;
        if (webhooks.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var mode = ignore ? "ignore" : "fail";
        var wiring = WebhookWiring.Find(inputs, n => n == $"{prefix}-{mode}-finegrained-{policyName}")
            ?? WebhookWiring.Find(inputs, n => n == $"{prefix}-{mode}")
            ?? WebhookWiring.Find(inputs, n => n.StartsWith(prefix, StringComparison.Ordinal) && !n.Contains("-finegrained-", StringComparison.Ordinal));
        (Func<NamespaceInfo, Scope>, bool) result;
        if (wiring is not null)
        {
            result = (ns => wiring.Scope(ns), wiring.FailOpen);
        }
        else if ((inputs.Live && inputs.WebhooksKnown) || inputs.Of("admissionregistration.k8s.io", "ValidatingWebhookConfiguration").Any(w => w.Name.StartsWith("kyverno-resource-validating-webhook-cfg", StringComparison.Ordinal)))
        {
            result = (_ => Scope.No($"no Kyverno validating webhook ({prefix}-{mode}) is registered, so Kyverno does not see pod creation"), false);
        }
        else
        {
            // Kyverno copies the ConfigMap's matchConditions onto the webhooks of kyverno.io policies, not of ValidatingPolicies.
            var conditions = prefix == ResourceWebhook ? config.MatchConditions : Array.Empty<CelNamedExpression>();
            var assumed = WebhookWiring.AssumeDefault(
                $"{prefix}-{mode}",
                AssumedNamespaceSelector(config.WebhookNamespaceSelector),
                ignore,
                config.WebhookNamespaceSelector.Exists() || config.WebhookObjectSelector.Exists()
                    ? $"Kyverno's webhook as {config.Origin} configures it (its \"webhooks\" entry), assumed because its ValidatingWebhookConfiguration is not in the evidence"
                    : "Kyverno's default webhook, assumed because its ValidatingWebhookConfiguration is not in the evidence",
                config.WebhookObjectSelector,
                conditions,
                config.Origin);
            result = (ns => assumed.Scope(ns), ignore);
        }

        webhooks[key] = result;
        return result;
    }

    /// <summary>The namespaceSelector Kyverno puts on its webhooks: the ConfigMap's, and never its own namespace.</summary>
    private static JsonElement AssumedNamespaceSelector(JsonElement configured)
    {
        var selector = configured.ValueKind == JsonValueKind.Object
            ? System.Text.Json.Nodes.JsonNode.Parse(configured.GetRawText())!.AsObject()
            : new System.Text.Json.Nodes.JsonObject();
        if (selector["matchExpressions"] is not System.Text.Json.Nodes.JsonArray expressions)
        {
            expressions = new System.Text.Json.Nodes.JsonArray();
            selector["matchExpressions"] = expressions;
        }

        expressions.Add(new System.Text.Json.Nodes.JsonObject
        {
            ["key"] = "kubernetes.io/metadata.name",
            ["operator"] = "NotIn",
            ["values"] = new System.Text.Json.Nodes.JsonArray("kyverno"),
        });
        return JsonSerializer.SerializeToElement(selector);
    }

    /// <summary>
    /// With spec.applyRules One, Kyverno stops at the first validate rule that applied (passed or failed): a later
    /// rule is reached only when an earlier one does not apply to the reference pod here — its match, exclude,
    /// preconditions and the pattern's conditional anchors, read in rule order.
    /// </summary>
    private static Scope Reached(EarlierRule earlier, NamespaceInfo ns)
    {
        var applies = earlier.Match.Evaluate(ns).And(earlier.Exclude.Evaluate(ns).Not(string.Empty));
        if (applies.State != Applies.No)
        {
            var reference = ReferencePod.Reference(ns.Name);
            var preconditions = earlier.Rule.Get("preconditions");
            var holds = KyvernoConditions.Evaluate(preconditions, reference, ns.Name);
            applies = applies.And(holds switch
            {
                false => Scope.No("its preconditions do not hold"),
                null => Scope.Unknown("its preconditions cannot be evaluated"),
                _ when KyvernoConditions.Evaluate(preconditions, reference, ns.Name, podFieldsFree: true) is null => Scope.Depends("its preconditions read fields the pod's creator sets"),
                _ => Scope.Yes(),
            });
            if (earlier.Rule.Get("celPreconditions").Exists())
            {
                applies = applies.And(Scope.Unknown("its celPreconditions are not read here"));
            }

            var validate = earlier.Rule.Get("validate");
            var patterns = validate.Get("pattern").Exists() ? new[] { validate.Get("pattern") } : validate.Get("anyPattern").Items().ToArray();
            var results = patterns.Select(p => KyvernoPattern.Match(reference, p)).ToList();
            if (results.Count > 0 && results.All(r => r == PatternResult.Skip))
            {
                applies = applies.And(Scope.No("its pattern's conditional anchors skip the pod"));
            }
            else if (results.Contains(PatternResult.Unknown))
            {
                applies = applies.And(Scope.Unknown("its pattern is not evaluated here"));
            }
        }

        const string one = "spec.applyRules is One and Kyverno stops at the first validate rule that applies";
        return applies.State switch
        {
            Applies.No => Scope.Yes(),
            Applies.Yes => Scope.No($"{one}: rule {earlier.Name} before it applies to the pod, so this rule is never reached"),
            Applies.Depends => Scope.Depends($"{one}: rule {earlier.Name} before it applies to some pods ({applies.Why}), so this rule is not reached for them"),
            _ => Scope.Unknown($"{one}, and whether rule {earlier.Name} before it applies to the pod is unknown ({applies.Why})"),
        };
    }

    private sealed record EarlierRule(JsonElement Rule, string Name, KyvernoMatcher Match, KyvernoMatcher Exclude);

    private sealed record RuleEntry(PolicyObject Policy, JsonElement Rule, string RuleName, PodJudgement Judgement, Scope PodScope, CelPolicy? PerNamespace, bool ReadsNamespace, CelPolicy? WebhookMatch, List<EarlierRule>? Earlier, KyvernoMatcher Match, KyvernoMatcher Exclude, List<(PolicyObject Exception, KyvernoMatcher Match, bool Conditional)> Exceptions, OwnPolicyCheck? Own);

    private sealed record VpolEntry(PolicyObject Policy, CelJudgement Cel, CelPolicy? PerNamespace, CompiledMatchResources Match, List<(PolicyObject Exception, CelPolicy? Match)> Exceptions);
}

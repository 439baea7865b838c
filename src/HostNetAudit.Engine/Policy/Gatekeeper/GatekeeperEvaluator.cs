using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;
using HostNetAudit.Engine.Policy.Targeted;

namespace HostNetAudit.Engine.Policy.Gatekeeper;

/// <summary>
/// Gatekeeper (and Azure Policy for AKS, GKE Policy Controller): constraints whose template refuses hostNetwork.
/// K8sPSPHostNetworkingPorts refuses when parameters.hostNetwork is false or absent; Azure's
/// K8sAzure*HostNetworkingPorts when allowHostNetwork is false or absent; K8sPSPHostNamespace covers hostPID and
/// hostIPC only. Other templates count only when their K8sNativeValidation CEL is evaluated (or Rego recognised)
/// to refuse the reference pod and admit its twin; otherwise they are Unknown, never counted by kind name.
/// enforcementAction deny (or absent) enforces, scoped enforces when a scoped action for validation.gatekeeper.sh
/// is deny, dryrun and warn do not. match.kinds must include Pod; match.namespaces, excludedNamespaces,
/// namespaceSelector, labelSelector and name are honoured, as are the Gatekeeper Config's exclusions and the
/// webhook's namespaceSelector (admission.gatekeeper.sh/ignore by default) and failurePolicy.
/// </summary>
internal sealed partial class GatekeeperEvaluator : IEngineEvaluator
{
    private const string WebhookName = "validation.gatekeeper.sh";
    private readonly PolicyInputs inputs;
    private readonly List<(PolicyObject Constraint, PodJudgement Judgement, GatekeeperMatch Match, string Action, AdmissionEffect Effect, Scope Ingested, OwnPolicyCheck? Own)> constraints = new();
    private readonly List<(string Pattern, string Source)> configExclusions = new();
    private readonly Func<NamespaceInfo, Scope> webhookScope;
    private readonly bool failOpen;

    public GatekeeperEvaluator(PolicyInputs inputs, Exemptions.ExemptionSet exemptions, IEngineLog log)
    {
        var now = DateTimeOffset.UtcNow;
        this.inputs = inputs;
        var templates = inputs.Of("templates.gatekeeper.sh", "ConstraintTemplate")
            .GroupBy(t => t.Spec.Get("crd", "spec", "names", "kind").AsString() ?? string.Empty, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var cache = new Dictionary<string, (PodJudgement Judgement, Scope MatchScope)>(StringComparer.Ordinal);
        foreach (var constraint in inputs.OfGroup(PolicyKinds.ConstraintsGroup))
        {
            templates.TryGetValue(constraint.Kind, out var template);
            var key = constraint.Kind + "\0" + constraint.Spec.Get("parameters").GetRawTextOrEmpty();

            // The module's own targeted policy (-Engine Gatekeeper), regenerated identically with its template, is
            // read as the module wrote it: its Rego refuses every hostNetwork pod but the exceptions, which the check
            // lists. Any other copy is judged generically, and unverified where it carries the annotation.
            var own = OwnPolicyCheck.OfGatekeeper(constraint, template, exemptions, inputs.Context, now);
            (PodJudgement Judgement, Scope MatchScope) cached;
            if (own is { Identical: true })
            {
                cached = (new PodJudgement(PodOutcome.Refuses, JudgedBy.Text, $"its ConstraintTemplate {template!.Name} and parameters are the HostNetAudit targeted policy as the module generates it from the constraint's exceptions annotation: it denies hostNetwork pods on create except through the listed exceptions' chains"), Scope.Yes());
            }
            else if (!cache.TryGetValue(key, out cached))
            {
                var judged = Judge(constraint, template, out var matchScope);
                cached = (judged, matchScope);
                cache[key] = cached;
            }

            var judgement = cached.Judgement;

            log.Debug($"Gatekeeper {constraint.Kind} {constraint.Name}: {judgement.Outcome} ({judgement.Detail}).");
            if (judgement.Outcome != PodOutcome.DoesNotRefuse)
            {
                var (action, effect) = Action(constraint.Spec);
                var ingested = template is null ? Ingested(constraint) : Compiled(template).And(Ingested(constraint));
                constraints.Add((constraint, judgement, new GatekeeperMatch(constraint.Spec.Get("match"), cached.MatchScope), action, effect, ingested, own));
            }
        }

        // Gatekeeper reads one Config: the one named "config" in its own namespace (where its webhook service runs).
        var gatekeeperNamespace = inputs.Of("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")
            .SelectMany(w => w.Object.Get("webhooks").Items())
            .Where(h => h.Get("name").AsString() == WebhookName)
            .Select(h => h.Get("clientConfig", "service", "namespace").AsString())
            .FirstOrDefault(n => n is not null) ?? "gatekeeper-system";
        foreach (var config in inputs.Of("config.gatekeeper.sh", "Config"))
        {
            if (config.Name != "config" || (config.Namespace is { } ns && ns != gatekeeperNamespace))
            {
                log.Debug($"Gatekeeper Config {config.QualifiedName} is ignored: Gatekeeper reads only the Config named config in {gatekeeperNamespace}.");
                continue;
            }

            foreach (var match in config.Spec.Get("match").Items())
            {
                var processes = match.Get("processes").Items().Select(p => p.AsString()).ToList();
                if (processes.Count == 0 || processes.Any(p => p is "*" or "webhook"))
                {
                    configExclusions.AddRange(match.Get("excludedNamespaces").Items().Select(n => (n.AsString() ?? string.Empty, config.QualifiedName)));
                }
            }
        }

        var wiring = WebhookWiring.Find(inputs, n => n == WebhookName);
        if (wiring is not null)
        {
            webhookScope = ns => wiring.Scope(ns);
            failOpen = wiring.FailOpen;
        }
        else if ((inputs.Live && inputs.WebhooksKnown) || inputs.Of("admissionregistration.k8s.io", "ValidatingWebhookConfiguration").Any(w => w.Name.StartsWith("gatekeeper-validating-webhook-configuration", StringComparison.Ordinal)))
        {
            webhookScope = _ => Scope.No($"Gatekeeper's validating webhook ({WebhookName}) is not registered, so its constraints are not enforced at admission");
        }
        else
        {
            var assumed = WebhookWiring.AssumeDefault(
                WebhookName,
                JsonSerializer.SerializeToElement(new
                {
                    matchExpressions = new object[]
                    {
                        new { key = "admission.gatekeeper.sh/ignore", @operator = "DoesNotExist" },
                        new { key = "kubernetes.io/metadata.name", @operator = "NotIn", values = new[] { "gatekeeper-system" } },
                    },
                }),
                failOpen: true,
                "Gatekeeper's default webhook, assumed because its ValidatingWebhookConfiguration is not in the evidence");
            webhookScope = ns => assumed.Scope(ns);
            failOpen = true;
        }
    }

    public string Name => "Gatekeeper";

    public void Evaluate(NamespaceInfo ns, NamespaceFindings findings)
    {
        if (constraints.Count == 0)
        {
            return;
        }

        Scope? wiring = null;
        foreach (var (constraint, judgement, match, action, effect, ingested, own) in constraints)
        {
            var scope = match.Evaluate(ns, out var excludedHere);
            if (scope.State == Applies.No && !excludedHere)
            {
                continue;
            }

            wiring ??= Wiring(ns);
            scope = OwnPolicyCheck.Apply(own, PolicyEngine.Gatekeeper, constraint.Name, ns, findings, scope.And(wiring.Value).And(ingested));
            findings.Classify(judgement, scope, new Finding
            {
                Engine = PolicyEngine.Gatekeeper,
                Kind = constraint.Kind,
                Policy = constraint.Name,
                Action = action,
                Effect = effect,
                FailOpen = failOpen,
                Source = constraint.Source,
            }, reportNotApplied: true);
        }
    }

    private Scope Wiring(NamespaceInfo ns)
    {
        var excluded = configExclusions.FirstOrDefault(e => Wildcard.MatchGlob(e.Pattern, ns.Name));
        if (excluded.Pattern is not null)
        {
            return Scope.No($"the Gatekeeper Config {excluded.Source} excludes {excluded.Pattern} from the webhook");
        }

        return webhookScope(ns);
    }

    /// <summary>
    /// Whether the template compiled on Gatekeeper's webhook pods (live evidence: status.byPod[].errors). A template
    /// whose code does not compile creates no working constraint: on every pod that reports errors it enforces
    /// nothing; errors on some pods only leave it Unknown.
    /// </summary>
    private static Scope Compiled(PolicyObject template)
    {
        var webhookPods = WebhookPods(template);
        var failing = webhookPods.Where(p => p.Get("errors").Items().Any()).ToList();
        if (failing.Count == 0)
        {
            return Scope.Yes();
        }

        var message = failing.SelectMany(p => p.Get("errors").Items()).Select(e => e.Get("message").AsString()).FirstOrDefault(m => !string.IsNullOrWhiteSpace(m)) ?? "no message";
        return failing.Count == webhookPods.Count
            ? Scope.No($"its ConstraintTemplate {template.Name} does not compile ({message}), so Gatekeeper enforces nothing of it")
            : Scope.Unknown($"its ConstraintTemplate {template.Name} does not compile on Gatekeeper pod {failing[0].Get("id").AsString()} ({message}), so that pod enforces nothing of it");
    }

    /// <summary>The status.byPod entries of Gatekeeper's webhook pods (entries without operations are older webhook pods).</summary>
    private static List<JsonElement> WebhookPods(PolicyObject obj) =>
        obj.Object.Get("status", "byPod").Items()
            .Where(p => !p.Get("operations").Items().Any() || p.Get("operations").Items().Any(o => o.AsString() == "webhook"))
            .ToList();

    /// <summary>
    /// Whether the constraint's status (live evidence) shows Gatekeeper's webhook pods enforcing it: a webhook pod
    /// that reports errors, or webhook pods none of which reports enforced: true, make it Unknown.
    /// </summary>
    private static Scope Ingested(PolicyObject constraint)
    {
        var webhookPods = WebhookPods(constraint);
        if (webhookPods.Count == 0)
        {
            return Scope.Yes();
        }

        var failing = webhookPods.FirstOrDefault(p => p.Get("errors").Items().Any());
        if (failing.ValueKind != JsonValueKind.Undefined)
        {
            var message = failing.Get("errors").Items().Select(e => e.Get("message").AsString()).FirstOrDefault(m => m is not null);
            return Scope.Unknown($"Gatekeeper pod {failing.Get("id").AsString()} reports errors for this constraint ({message}), so its webhook may not enforce it");
        }

        return webhookPods.Any(p => p.Get("enforced").IsTrue())
            ? Scope.Yes()
            : Scope.Unknown("no Gatekeeper webhook pod reports this constraint as enforced (status.byPod)");
    }

    /// <summary>Marks an enforcementAction Gatekeeper does not recognise (it compares them case-sensitively).</summary>
    private const string Unrecognised = "not recognised by Gatekeeper";

    /// <summary>
    /// The enforcement action at the validation webhook, as Gatekeeper compares it: case-sensitively. Only deny
    /// (or absent) denies; scoped denies when a scoped action "deny" names validation.gatekeeper.sh or "*";
    /// anything else ("Deny", "DENY", "Scoped") is an unrecognised action that Gatekeeper skips.
    /// </summary>
    private static (string Action, AdmissionEffect Effect) Action(JsonElement spec)
    {
        var action = spec.Get("enforcementAction").AsString();
        if (string.IsNullOrEmpty(action))
        {
            return ("deny", AdmissionEffect.Denies);
        }

        switch (action)
        {
            case "deny":
                return (action, AdmissionEffect.Denies);
            case "dryrun":
                return (action, AdmissionEffect.Audits);
            case "warn":
                return (action, AdmissionEffect.Warns);
            case "scoped":
                var atWebhook = spec.Get("scopedEnforcementActions").Items()
                    .Where(s => s.Get("enforcementPoints").Items().Any(p => p.Get("name").AsString() is WebhookName or "*"))
                    .Select(s => s.Get("action").AsString() ?? string.Empty)
                    .ToList();
                if (atWebhook.Contains("deny", StringComparer.Ordinal))
                {
                    return ("scoped (deny at validation.gatekeeper.sh)", AdmissionEffect.Denies);
                }

                var unknown = atWebhook.Where(a => a is not ("dryrun" or "warn")).ToList();
                if (unknown.Count > 0)
                {
                    return ($"scoped ({string.Join(", ", unknown)}: {Unrecognised})", AdmissionEffect.Unrecognised);
                }

                var effect = (atWebhook.Contains("warn", StringComparer.Ordinal) ? AdmissionEffect.Warns : AdmissionEffect.None) |
                    (atWebhook.Contains("dryrun", StringComparer.Ordinal) ? AdmissionEffect.Audits : AdmissionEffect.None);
                return (atWebhook.Count > 0 ? $"scoped ({string.Join(", ", atWebhook.Distinct(StringComparer.Ordinal))} at validation.gatekeeper.sh)"
                    : "scoped (no action at validation.gatekeeper.sh)", effect);
            default:
                return ($"{action} ({Unrecognised})", AdmissionEffect.Unrecognised);
        }
    }

    private PodJudgement Judge(PolicyObject constraint, PolicyObject? template, out Scope matchScope)
    {
        matchScope = Scope.Yes();
        var parameters = constraint.Spec.Get("parameters");
        var celPolicy = template is null ? null : CelPolicySources.FromGatekeeperTemplate(template.Object, constraint.Object);
        var evaluated = celPolicy is null ? null : CelVerdicts.Judge(celPolicy);
        if (evaluated is not null)
        {
            matchScope = CelVerdicts.MatchScope(evaluated, "its template's CEL matchCondition");
        }

        if (evaluated is { JudgedBy: CelJudgedBy.Evaluated, Verdict: not CelVerdict.Unknown })
        {
            return CelVerdicts.ToPod(evaluated, "its template's K8sNativeValidation CEL, evaluated with the constraint's parameters: ");
        }

        if (template is null)
        {
            // Without its template the constraint's kind does not exist: Gatekeeper enforces nothing under that
            // name, whatever the name suggests (a partial export, or a template that failed to deploy).
            return PodJudgement.Unknown($"its ConstraintTemplate {constraint.Kind.ToLowerInvariant()} is not in the evidence, and without it the constraint's kind does not exist and nothing is enforced; add the template to the evidence, or check that it is deployed");
        }

        // The Rego read to its last construct decides when it can; the library's and Azure's kinds, as documented,
        // only when it cannot (and never without the template).
        var (rego, escape) = JudgeRego(template, parameters);
        if (rego is { Outcome: not PodOutcome.Unknown })
        {
            if (rego.Outcome == PodOutcome.DoesNotRefuse && evaluated is { Verdict: CelVerdict.Unknown } && CelMentionsHostNetwork(template))
            {
                // The Rego does not read hostNetwork but the CEL code does: the engine may run either; stay unknown.
                return CelVerdicts.ToPod(evaluated);
            }

            if (escape is not null)
            {
                matchScope = matchScope.And(Scope.Depends(escape));
            }

            return rego;
        }

        if (constraint.Kind == "K8sPSPHostNetworkingPorts")
        {
            return parameters.Get("hostNetwork").IsTrue()
                ? PodJudgement.DoesNotRefuse("parameters.hostNetwork is true: the template allows hostNetwork", JudgedBy.Text)
                : new PodJudgement(PodOutcome.Refuses, JudgedBy.Text, $"K8sPSPHostNetworkingPorts with parameters.hostNetwork {(parameters.Get("hostNetwork").Exists() ? "false" : "absent")}: the library template denies hostNetwork pods on create");
        }

        if (AzureHostNetwork().IsMatch(constraint.Kind))
        {
            return parameters.Get("allowHostNetwork").IsTrue()
                ? PodJudgement.DoesNotRefuse("parameters.allowHostNetwork is true: the Azure Policy template allows hostNetwork", JudgedBy.Text)
                : new PodJudgement(PodOutcome.Refuses, JudgedBy.Text, $"{constraint.Kind} with allowHostNetwork {(parameters.Get("allowHostNetwork").Exists() ? "false" : "absent")}: Azure Policy's template denies hostNetwork pods");
        }

        if (constraint.Kind == "K8sPSPHostNamespace")
        {
            return PodJudgement.DoesNotRefuse("K8sPSPHostNamespace covers hostPID and hostIPC only", JudgedBy.Text);
        }

        if (evaluated is not null && evaluated.Verdict != CelVerdict.Unknown)
        {
            return CelVerdicts.ToPod(evaluated, "its template's K8sNativeValidation CEL: ");
        }

        return rego
            ?? (evaluated is not null ? CelVerdicts.ToPod(evaluated) : PodJudgement.Unknown("its template has neither CEL nor Rego that HostNetAudit can read"));
    }

    /// <summary>The template's Rego (with its libs) judged for a constraint's parameters; null when it has none.</summary>
    private static (PodJudgement? Judgement, string? Escape) JudgeRego(PolicyObject template, JsonElement parameters)
    {
        var rego = template.Spec.Get("targets").Items()
            .Select(t => (Rego: t.Get("rego").AsString() ?? t.Get("code").Items().Where(c => c.Get("engine").AsString() == "Rego").Select(c => c.Get("source", "rego").AsString()).FirstOrDefault(), Target: t))
            .FirstOrDefault(t => t.Rego is not null);
        if (rego.Rego is null)
        {
            return (null, null);
        }

        var libs = rego.Target.Get("libs").Items().Select(l => l.AsString() ?? string.Empty)
            .Concat(rego.Target.Get("code").Items().SelectMany(c => c.Get("source", "libs").Items().Select(l => l.AsString() ?? string.Empty)));
        return RegoRecognizer.Judge(rego.Rego, libs, parameters);
    }

    private static bool CelMentionsHostNetwork(PolicyObject template) =>
        template.Spec.Get("targets").Items().SelectMany(t => t.Get("code").Items())
            .Where(c => c.Get("engine").AsString() == "K8sNativeValidation")
            .Any(c => c.GetRawText().Contains("hostNetwork", StringComparison.Ordinal));

    [GeneratedRegex(@"^K8sAzure.*HostNetworkingPorts$")]
    private static partial Regex AzureHostNetwork();
}

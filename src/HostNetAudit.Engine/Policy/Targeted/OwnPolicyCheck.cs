using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Exemptions;

namespace HostNetAudit.Engine.Policy.Targeted;

/// <summary>
/// The audit does not take the module's own targeted policy on trust (issue 10, point 10), in whichever engine's form
/// it is written: the ValidatingAdmissionPolicy, the Kyverno ClusterPolicy, or the Gatekeeper constraint with its
/// ConstraintTemplate (New-HostNetworkPolicyManifest -Engine). An object that carries the module's exceptions
/// annotation is regenerated from that annotation (TargetedPolicyObjects.Build, TargetedPolicyEngines); it is the
/// module's policy only when the regenerated spec is identical to the served one (whatever the object's name), no
/// exception names a namespace or object by wildcard, none has expired, and every exception matches a workload entry
/// of the exemptions the audit was given (-ExemptionPath). Then its exceptions are listed on the namespaces they apply
/// to. Anything else that carries the annotation, a hand-edited copy included, cannot be read by the generic judges
/// for who may pass its chains, so its refusal is Conditional, saying why (Unknown where the generic judge cannot read
/// it at all, as Gatekeeper's Rego reader the generated Rego).
/// </summary>
internal sealed class OwnPolicyCheck
{
    private readonly string? problem;
    private readonly Dictionary<string, string> problemsByNamespace;

    private OwnPolicyCheck(string? problem, IReadOnlyList<PolicyException> exceptions, Dictionary<string, string>? problemsByNamespace = null)
    {
        this.problem = problem;
        Exceptions = exceptions;
        this.problemsByNamespace = problemsByNamespace ?? new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public IReadOnlyList<PolicyException> Exceptions { get; }

    /// <summary>
    /// Whether the whole object is the module's policy (some namespaces may still be unverified, <see cref="ProblemIn"/>):
    /// only then is its text known to be the module's, which the generic judges may then read as such.
    /// </summary>
    public bool Identical => problem is null;

    /// <summary>
    /// The check of a ValidatingAdmissionPolicy, or null when it does not carry the module's exceptions annotation
    /// (judged as any other). Its binding is a separate object, read generically.
    /// </summary>
    public static OwnPolicyCheck? Of(PolicyObject policy, ExemptionSet exemptions, string context, DateTimeOffset now) =>
        Check(policy.Object, "ValidatingAdmissionPolicy", exemptions, context, now, (exceptions, identity) =>
        {
            var (regenerated, _) = TargetedPolicyObjects.Build(exceptions, Array.Empty<string>(), PolicyValidationAction.Deny, identity);
            return JsonNode.DeepEquals(NormalizeValidatingAdmissionPolicy(regenerated["spec"]), NormalizeValidatingAdmissionPolicy(JsonNode.Parse(policy.Spec.GetRawText())))
                ? null
                : "its spec differs from the policy the module generates from its own exceptions annotation (hand-edited?)";
        });

    /// <summary>
    /// The check of a Kyverno ClusterPolicy (New-HostNetworkPolicyManifest -Engine Kyverno), or null when it does not
    /// carry the annotation. Its spec is regenerated with the namespaces its rules leave out and its failure action,
    /// which are read from it and then compared with the rest; autogen must stay off (the annotation Kyverno reads).
    /// </summary>
    public static OwnPolicyCheck? OfKyverno(PolicyObject policy, ExemptionSet exemptions, string context, DateTimeOffset now) =>
        Check(policy.Object, "Kyverno ClusterPolicy", exemptions, context, now, (exceptions, identity) =>
        {
            if (policy.Kind != "ClusterPolicy")
            {
                return $"it is a namespaced Kyverno {policy.Kind}, and the module writes a ClusterPolicy";
            }

            if (Annotation(policy.Object, TargetedPolicyEngines.KyvernoAutogenAnnotation) != "none")
            {
                return $"its {TargetedPolicyEngines.KyvernoAutogenAnnotation} annotation is not none, so Kyverno adds rules the module does not write";
            }

            var spec = policy.Spec;
            var action = (spec.Get("validationFailureAction").AsString(), spec.Get("emitWarning").IsTrue()) switch
            {
                ("Enforce", false) => PolicyValidationAction.Deny,
                ("Audit", true) => PolicyValidationAction.Warn,
                _ => PolicyValidationAction.Audit,
            };
            var excluded = spec.Get("rules").Items().FirstOrDefault().Get("match", "any").Items().FirstOrDefault()
                .Get("resources", "namespaceSelector", "matchExpressions").Items().FirstOrDefault().Get("values").Items()
                .Select(v => v.AsString() ?? string.Empty).ToList();
            var regenerated = TargetedPolicyEngines.Kyverno(Plan(exceptions, excluded, action, identity));
            return JsonNode.DeepEquals(NormalizeKyverno(regenerated["spec"]), NormalizeKyverno(JsonNode.Parse(spec.GetRawText())))
                ? null
                : "its spec differs from the ClusterPolicy the module generates from its own exceptions annotation (hand-edited?)";
        });

    /// <summary>
    /// The check of a Gatekeeper constraint (New-HostNetworkPolicyManifest -Engine Gatekeeper) with its
    /// ConstraintTemplate, or null when the constraint does not carry the annotation. Both specs are regenerated: the
    /// constraint with the namespaces its match leaves out and its enforcementAction, read from it; the template
    /// (its Rego) must be the module's exactly.
    /// </summary>
    public static OwnPolicyCheck? OfGatekeeper(PolicyObject constraint, PolicyObject? template, ExemptionSet exemptions, string context, DateTimeOffset now) =>
        Check(constraint.Object, "Gatekeeper constraint", exemptions, context, now, (exceptions, identity) =>
        {
            if (template is null)
            {
                return "its ConstraintTemplate is not in the evidence";
            }

            var spec = constraint.Spec;
            var action = spec.Get("enforcementAction").AsString() switch
            {
                "deny" => PolicyValidationAction.Deny,
                "warn" => PolicyValidationAction.Warn,
                _ => PolicyValidationAction.Audit,
            };
            var excluded = spec.Get("match", "namespaceSelector", "matchExpressions").Items().FirstOrDefault().Get("values").Items()
                .Select(v => v.AsString() ?? string.Empty).ToList();
            var (regeneratedTemplate, regeneratedConstraint) = TargetedPolicyEngines.Gatekeeper(Plan(exceptions, excluded, action, identity));
            if (constraint.Kind != regeneratedConstraint["kind"]!.GetValue<string>())
            {
                return $"its kind is {constraint.Kind}, not the module's {regeneratedConstraint["kind"]}";
            }

            if (!JsonNode.DeepEquals(regeneratedTemplate["spec"], NormalizeGatekeeperTemplate(JsonNode.Parse(template.Spec.GetRawText()), template.Version)))
            {
                return $"its ConstraintTemplate {template.Name} differs from the one the module generates (its Rego hand-edited?)";
            }

            return JsonNode.DeepEquals(regeneratedConstraint["spec"], JsonNode.Parse(spec.GetRawText()))
                ? null
                : "its spec differs from the constraint the module generates from its own exceptions annotation (hand-edited?)";
        });

    /// <summary>
    /// The common part: the annotation read, no wildcard, the object as regenerated (<paramref name="differs"/> says
    /// why not, or null when identical), and each exception declared and unexpired.
    /// </summary>
    private static OwnPolicyCheck? Check(JsonElement annotated, string what, ExemptionSet exemptions, string context, DateTimeOffset now, Func<IReadOnlyList<PolicyException>, ControllerIdentityMode, string?> differs)
    {
        if (Annotation(annotated, TargetedPolicyObjects.ExceptionsAnnotation) is null)
        {
            return null;
        }

        var exceptions = TargetedPolicyObjects.ReadExceptions(annotated);
        if (exceptions is null)
        {
            return new OwnPolicyCheck(Unverified(what, $"its {TargetedPolicyObjects.ExceptionsAnnotation} annotation cannot be read"), Array.Empty<PolicyException>());
        }

        var wildcard = exceptions.FirstOrDefault(e => Wildcard.HasWildcard(e.Namespace) || Wildcard.HasWildcard(e.Name));
        if (wildcard is not null)
        {
            return new OwnPolicyCheck(Unverified(what, $"its exception {wildcard.Describe()} names a namespace or object by wildcard, which the module never generates"), exceptions);
        }

        if (differs(exceptions, TargetedPolicyObjects.ReadControllerIdentity(annotated)) is { } difference)
        {
            return new OwnPolicyCheck(Unverified(what, difference), exceptions);
        }

        var entries = exemptions.InContext(context).Where(e => !e.IsNamespace).ToList();
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in exceptions)
        {
            var why = e.Expires is { } at && at < now
                ? $"its exception {e.Describe()} expired on {at:yyyy-MM-dd} (run Set-HostNetworkPolicy or New-HostNetworkPolicyManifest again to drop it)"
                : entries.Any(entry => Declares(entry, e) && SameIdentities(entry, e))
                    ? null
                    : entries.Count == 0
                        ? $"its exception {e.Describe()} is declared by no exemptions file (give the audit -ExemptionPath)"
                        : entries.FirstOrDefault(entry => Declares(entry, e)) is { } named
                            ? $"its exception {e.Describe()} admits other requesters, debuggers or creators than entry {named.Index} of the exemptions file declares"
                            : $"its exception {e.Describe()} matches no workload entry of the exemptions file";
            if (why is not null)
            {
                problems.TryAdd(e.Namespace, Unverified(what, why));
            }
        }

        return new OwnPolicyCheck(null, exceptions, problems);
    }

    /// <summary>A plan carrying only what the engine forms are built from (exceptions, excluded namespaces, action, identity).</summary>
    private static TargetedPolicyPlan Plan(IReadOnlyList<PolicyException> exceptions, IReadOnlyList<string> excluded, PolicyValidationAction action, ControllerIdentityMode identity)
    {
        var ordered = TargetedPolicyObjects.Order(exceptions);
        var (policy, binding) = TargetedPolicyObjects.Build(ordered, excluded, action, identity);
        return new TargetedPolicyPlan(policy, binding, Array.Empty<string>(), Array.Empty<LeftOutNamespace>(), ordered, Array.Empty<PolicyWarning>(), identity, ObservedControllerIdentity.Unknown, action);
    }

    /// <summary>Why the policy is not verified for a namespace, or null when it is the module's own there.</summary>
    public string? ProblemIn(string ns) => problem ?? (problemsByNamespace.TryGetValue(ns, out var why) ? why : null);

    /// <summary>
    /// What the check makes of a refusal by the policy in a namespace, for every engine alike: verified, its exceptions
    /// here are listed on the result (under the engine and the policy's name); otherwise (a hand-edited copy) nobody has
    /// checked who passes its chains, so it refuses only some pods (Depends, saying why). No check: nothing changes.
    /// </summary>
    public static Scope Apply(OwnPolicyCheck? own, PolicyEngine engine, string policy, NamespaceInfo ns, NamespaceFindings findings, Scope scope)
    {
        if (own is null || scope.State == Applies.No)
        {
            return scope; // not the module's, or it does not apply here: nothing to list
        }

        if (own.ProblemIn(ns.Name) is { } problem)
        {
            return Scope.Depends(problem).And(scope); // this reason first: it is why the refusal is not verified
        }

        findings.OwnPolicyExceptions[NamespaceFindings.OwnPolicyKey(engine, policy)] = own.In(ns.Name);
        return scope;
    }

    /// <summary>The exceptions that admit hostNetwork pods in a namespace.</summary>
    public IReadOnlyList<PolicyException> In(string ns) => Exceptions.Where(e => e.Namespace == ns).ToList();

    private static string Unverified(string what, string why) =>
        $"the {what} carries the HostNetAudit exceptions annotation but is not the module's policy as generated from declared exemptions: {why}; who can pass its exception chains is not verified";

    private static string? Annotation(JsonElement obj, string name) =>
        obj.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("annotations", out var annotations) &&
        annotations.ValueKind == JsonValueKind.Object && annotations.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;

    /// <summary>Does a workload entry of the file declare the exception (as the generator matches entries)?</summary>
    private static bool Declares(Exemption entry, PolicyException e)
    {
        if (!Wildcard.MatchIgnoreCase(entry.Namespace, e.Namespace))
        {
            return false;
        }

        var kind = entry.Kind ?? "*";
        var name = entry.Name ?? "*";
        if (e.Shape == ExceptionShape.MirrorPod)
        {
            // Mirror pods are named <declared>-<node>: the entry names them by pod name (kind Pod) or by node (kind Node).
            return Wildcard.MatchIgnoreCase(kind, "Node") ||
                   (Wildcard.MatchIgnoreCase(kind, "Pod") && (Wildcard.MatchIgnoreCase(name, e.Name + "-node") || name.StartsWith(e.Name + "-", StringComparison.OrdinalIgnoreCase)));
        }

        return Wildcard.MatchIgnoreCase(kind, e.Kind) && Wildcard.MatchIgnoreCase(name, e.Name);
    }

    /// <summary>
    /// Does the exception admit exactly who the entry declares (as the generator carries them): its requesters (none
    /// for a mirror pod, whose requester is the node), its debuggers, and for an owner kind outside the built-ins the
    /// creator? An exception that names the entry's workload but drops or adds an identity is not declared.
    /// </summary>
    private static bool SameIdentities(Exemption entry, PolicyException e)
    {
        static bool Same(IReadOnlyList<string> a, IReadOnlyList<string> b) => new HashSet<string>(a, StringComparer.Ordinal).SetEquals(b);

        var requesters = e.Shape == ExceptionShape.MirrorPod ? e.Requesters.Count == 0 : Same(e.Requesters, entry.Requesters);
        var creator = TargetedPolicyGenerator.IsBuiltIn(e.Kind) ? e.CreatedBy is null : string.Equals(e.CreatedBy, entry.CreatedBy, StringComparison.Ordinal);
        return requesters && Same(e.Debuggers, entry.Debuggers) && creator;
    }

    /// <summary>A spec without what the apiserver defaults (matchPolicy Equivalent, empty selectors, rule scope "*").</summary>
    private static JsonNode? NormalizeValidatingAdmissionPolicy(JsonNode? spec)
    {
        if (spec?.DeepClone() is not JsonObject copy)
        {
            return spec;
        }

        if (copy["matchConstraints"] is JsonObject constraints)
        {
            if (constraints["matchPolicy"]?.ToString() == "Equivalent")
            {
                constraints.Remove("matchPolicy");
            }

            foreach (var selector in new[] { "namespaceSelector", "objectSelector" })
            {
                if (constraints[selector] is JsonObject { Count: 0 })
                {
                    constraints.Remove(selector);
                }
            }

            foreach (var rule in (constraints["resourceRules"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                if (rule["scope"]?.ToString() == "*")
                {
                    rule.Remove("scope");
                }
            }
        }

        if (copy["failurePolicy"] is null)
        {
            copy["failurePolicy"] = "Fail";
        }

        return copy;
    }

    /// <summary>
    /// A ClusterPolicy spec without what Kyverno's webhook defaults when it stores one (admission true, emitWarning
    /// false, each rule's skipBackgroundRequests true and allowExistingViolations true): those change nothing here.
    /// </summary>
    /// <summary>
    /// A ConstraintTemplate spec without what Gatekeeper's CRD defaults: crd.spec.validation.legacySchema, false in v1
    /// (the structural schema the module writes) and true in v1beta1 and v1alpha1, where it only relaxes how the
    /// parameters' schema is checked, not what the Rego decides.
    /// </summary>
    private static JsonNode? NormalizeGatekeeperTemplate(JsonNode? spec, string version)
    {
        if (spec?.DeepClone() is not JsonObject copy || copy["crd"]?["spec"]?["validation"] is not JsonObject validation)
        {
            return spec;
        }

        RemoveIf(validation, "legacySchema", "false");
        if (version is "v1beta1" or "v1alpha1")
        {
            RemoveIf(validation, "legacySchema", "true");
        }

        return copy;
    }

    private static JsonNode? NormalizeKyverno(JsonNode? spec)
    {
        if (spec?.DeepClone() is not JsonObject copy)
        {
            return spec;
        }

        RemoveIf(copy, "admission", "true");
        RemoveIf(copy, "emitWarning", "false");
        foreach (var rule in (copy["rules"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
        {
            RemoveIf(rule, "skipBackgroundRequests", "true");
            if (rule["validate"] is JsonObject validate)
            {
                RemoveIf(validate, "allowExistingViolations", "true");
            }
        }

        return copy;
    }

    private static void RemoveIf(JsonObject o, string field, string value)
    {
        if (o[field] is JsonValue v && string.Equals(v.ToJsonString(), value, StringComparison.Ordinal))
        {
            o.Remove(field);
        }
    }
}

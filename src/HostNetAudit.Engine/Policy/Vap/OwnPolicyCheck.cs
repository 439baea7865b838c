using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;

namespace HostNetAudit.Engine.Policy.Vap;

/// <summary>
/// The audit does not take the module's own targeted policy on trust (issue 10, point 10). A ValidatingAdmissionPolicy
/// that carries the module's exceptions annotation is regenerated from that annotation (TargetedPolicyObjects.Build);
/// it is the module's policy only when the regenerated spec is identical to the served one (whatever the object's
/// name), no exception names a namespace or object by wildcard, none has expired, and every exception matches a
/// workload entry of the exemptions the audit was given (-ExemptionPath). Then its exceptions are listed on the
/// namespaces they apply to. Anything else that carries the annotation, a hand-edited copy included, cannot be read
/// by the generic CEL judge for who may pass its chains, so its refusal is Conditional, saying why.
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
    /// The check of a policy, or null when it does not carry the module's exceptions annotation (judged as any other).
    /// A policy whose spec is not exactly the regenerated one is unverified everywhere; one whose spec is, but with an
    /// exception that is expired or declared by no entry, is unverified in that exception's namespace only, since the
    /// chains admit nothing elsewhere.
    /// </summary>
    public static OwnPolicyCheck? Of(PolicyObject policy, ExemptionSet exemptions, string context, DateTimeOffset now)
    {
        if (!HasAnnotation(policy.Object))
        {
            return null;
        }

        var exceptions = TargetedPolicyObjects.ReadExceptions(policy.Object);
        if (exceptions is null)
        {
            return new OwnPolicyCheck(Unverified($"its {TargetedPolicyObjects.ExceptionsAnnotation} annotation cannot be read"), Array.Empty<PolicyException>());
        }

        var wildcard = exceptions.FirstOrDefault(e => HasWildcard(e.Namespace) || HasWildcard(e.Name));
        if (wildcard is not null)
        {
            return new OwnPolicyCheck(Unverified($"its exception {wildcard.Describe()} names a namespace or object by wildcard, which the module never generates"), exceptions);
        }

        var (regenerated, _) = TargetedPolicyObjects.Build(exceptions, Array.Empty<string>(), PolicyValidationAction.Deny, TargetedPolicyObjects.ReadControllerIdentity(policy.Object));
        var served = JsonNode.Parse(policy.Spec.GetRawText());
        if (!JsonNode.DeepEquals(Normalize(regenerated["spec"]), Normalize(served)))
        {
            return new OwnPolicyCheck(Unverified("its spec differs from the policy the module generates from its own exceptions annotation (hand-edited?)"), exceptions);
        }

        var entries = exemptions.InContext(context).Where(e => !e.IsNamespace).ToList();
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in exceptions)
        {
            var why = e.Expires is { } at && at < now
                ? $"its exception {e.Describe()} expired on {at:yyyy-MM-dd} (run Set-HostNetworkPolicy again to drop it)"
                : entries.Any(entry => Declares(entry, e))
                    ? null
                    : entries.Count == 0
                        ? $"its exception {e.Describe()} is declared by no exemptions file (give the audit -ExemptionPath)"
                        : $"its exception {e.Describe()} matches no workload entry of the exemptions file";
            if (why is not null)
            {
                problems.TryAdd(e.Namespace, Unverified(why));
            }
        }

        return new OwnPolicyCheck(null, exceptions, problems);
    }

    /// <summary>Why the policy is not verified for a namespace, or null when it is the module's own there.</summary>
    public string? ProblemIn(string ns) => problem ?? (problemsByNamespace.TryGetValue(ns, out var why) ? why : null);

    /// <summary>The exceptions that admit hostNetwork pods in a namespace.</summary>
    public IReadOnlyList<PolicyException> In(string ns) => Exceptions.Where(e => e.Namespace == ns).ToList();

    private static string Unverified(string why) =>
        $"the ValidatingAdmissionPolicy carries the HostNetAudit exceptions annotation but is not the module's policy as generated from declared exemptions: {why}; who can pass its exception chains is not verified";

    private static bool HasAnnotation(JsonElement policy) =>
        policy.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("annotations", out var annotations) &&
        annotations.ValueKind == JsonValueKind.Object && annotations.TryGetProperty(TargetedPolicyObjects.ExceptionsAnnotation, out _);

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

    private static bool HasWildcard(string text) => text.Contains('*', StringComparison.Ordinal) || text.Contains('?', StringComparison.Ordinal);

    /// <summary>A spec without what the apiserver defaults (matchPolicy Equivalent, empty selectors, rule scope "*").</summary>
    private static JsonNode? Normalize(JsonNode? spec)
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
}

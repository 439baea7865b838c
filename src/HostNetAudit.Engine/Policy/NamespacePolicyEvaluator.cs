using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine.Policy;

/// <summary>One admission engine's view of a namespace.</summary>
internal interface IEngineEvaluator
{
    string Engine { get; }

    void Evaluate(NamespaceInfo ns, NamespaceFindings findings);
}

/// <summary>
/// Decides every namespace's verdict from what the engine evaluators found: Compliant when at least one enforcing
/// mechanism refuses the reference pod (and admits its twin); otherwise Exempt when the user declared it, Unknown
/// when a mechanism could not be judged, Conditional when a refusal covers some pods only, else NonCompliant.
/// One code path for live and offline evidence.
/// </summary>
internal sealed class NamespacePolicyEvaluator
{
    private readonly PolicyInputs inputs;
    private readonly PodSecurityConfiguration? psa;
    private readonly ExemptionSet exemptions;
    private readonly IReadOnlyList<IEngineEvaluator> engines;
    private readonly long[] engineTicks;

    public NamespacePolicyEvaluator(PolicyInputs inputs, PodSecurityConfiguration? psa, ExemptionSet exemptions, IEngineLog log)
    {
        this.inputs = inputs;
        this.psa = psa;
        this.exemptions = exemptions;
        engines = EvaluatorCatalog.Create(inputs, psa, log);
        engineTicks = new long[engines.Count];
    }

    /// <summary>Time spent per engine evaluator (for Debug output and benchmarks).</summary>
    public string Timings => string.Join(", ", engines.Select((e, i) => $"{e.Engine} {engineTicks[i] * 1000 / System.Diagnostics.Stopwatch.Frequency} ms"));

    public List<NamespacePolicyResult> Evaluate(Func<string, bool>? filter, CancellationToken cancellationToken)
    {
        var results = new List<NamespacePolicyResult>();
        foreach (var ns in inputs.Namespaces.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (filter is not null && !filter(ns.Name))
            {
                continue;
            }

            results.Add(EvaluateOne(ns));
        }

        return results;
    }

    public NamespacePolicyResult EvaluateOne(NamespaceInfo ns)
    {
        var findings = new NamespaceFindings(ns);
        for (var i = 0; i < engines.Count; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            engines[i].Evaluate(ns, findings);
            engineTicks[i] += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        }

        foreach (var unreadable in inputs.Unreadable)
        {
            findings.Unknown.Add(new PolicyFinding
            {
                Engine = unreadable.Engine,
                Kind = unreadable.Kind,
                Policy = "*",
                Action = "Unknown",
                Verdict = Verdicts.Unknown,
                JudgedBy = "None",
                Detail = unreadable.Message,
            });
        }

        var result = new NamespacePolicyResult
        {
            Context = inputs.Context,
            Namespace = ns.Name,
            EnforcedBy = findings.EnforcedBy.ToArray(),
            AuditOnly = findings.AuditOnly.ToArray(),
            Conditional = findings.Conditional.ToArray(),
            Unknown = findings.Unknown.ToArray(),
            Informational = findings.Informational.ToArray(),
            PodSecurity = findings.PodSecurity,
            PodSecuritySource = findings.PodSecuritySource,
            PodSecurityWarn = findings.PodSecurityWarn,
            PodSecurityAudit = findings.PodSecurityAudit,
            SourcePath = ns.Source,
        };

        if (inputs.HostNetworkPods is { } pods)
        {
            var here = pods.TryGetValue(ns.Name, out var list) ? list : new List<PodRecord>();
            result.HostNetworkPodCount = here.Count;
            result.ExemptHostNetworkPodCount = here.Count(p => exemptions.ForPod(inputs.Context, p.Namespace, p.Name, p.OwnerKind, p.OwnerName) is not null);
        }

        var exemption = exemptions.ForNamespace(inputs.Context, ns.Name);
        if (exemption is not null)
        {
            result.Exemption = exemption.Justification;
            result.ExemptionSource = exemption.Source;
        }

        Decide(result, exemption);
        return result;
    }

    /// <summary>Sets Status, Compliant and Reason from the findings (also used after a probe).</summary>
    public static void Decide(NamespacePolicyResult result, Exemption? exemption)
    {
        string status;
        if (result.EnforcedBy.Length > 0)
        {
            status = PolicyStatus.Compliant;
        }
        else if (exemption is not null)
        {
            status = PolicyStatus.Exempt;
        }
        else if (result.Unknown.Length > 0)
        {
            status = PolicyStatus.Unknown;
        }
        else if (result.Conditional.Length > 0)
        {
            status = PolicyStatus.Conditional;
        }
        else
        {
            status = PolicyStatus.NonCompliant;
        }

        result.Status = status;
        result.StaticStatus = status;
        result.Compliant = status == PolicyStatus.Compliant;
        result.Reason = Reason(result, exemption);
    }

    public static string Reason(NamespacePolicyResult r, Exemption? exemption)
    {
        switch (r.Status)
        {
            case PolicyStatus.Compliant:
                var first = r.EnforcedBy[0];
                var more = r.EnforcedBy.Length > 1 ? $" (and {r.EnforcedBy.Length - 1} more)" : string.Empty;
                var unused = exemption is not null ? "; the declared exemption is not needed" : string.Empty;
                var open = r.EnforcedBy.All(f => f.FailOpen) ? "; its webhook fails open (failurePolicy Ignore)" : string.Empty;
                return $"Refused by {Describe(first)}{more}{open}{unused}.";
            case PolicyStatus.Exempt:
                return $"Exempt by declaration ({exemption!.Describe()}): {exemption.Justification}";
            case PolicyStatus.Unknown:
                var u = r.Unknown[0];
                return $"Could not tell whether {Describe(u)} refuses hostNetwork pods here ({Trim(u.Detail)}); check it, or run with -Probe.";
            case PolicyStatus.Conditional:
                var c = r.Conditional[0];
                return $"{Describe(c)} refuses hostNetwork pods only for some ({ConditionalWhy(c.Detail)}); make it cover every pod, or Set-NamespacePodSecurity -Level Baseline.";
            default:
                return NonCompliantReason(r);
        }
    }

    private static string NonCompliantReason(NamespacePolicyResult r)
    {
        const string fix = "fix: Set-NamespacePodSecurity -Level Baseline, or enforce a policy that refuses hostNetwork";
        if (r.Probe is { Outcome: "Admitted" })
        {
            return $"The dry-run probe's hostNetwork pod was admitted (as {r.Probe.Identity}); {fix}.";
        }

        var audit = r.AuditOnly.FirstOrDefault();
        if (audit is not null && audit.Action.Contains(Gatekeeper.GatekeeperEvaluator.Unrecognised, StringComparison.Ordinal))
        {
            return $"{Describe(audit)} would refuse hostNetwork pods, but its action is not an enforcement action Gatekeeper recognises ({audit.Action}; Gatekeeper knows deny, dryrun, warn and scoped, lowercase), so it denies nothing: set enforcementAction: deny; or {fix}.";
        }

        if (audit is not null)
        {
            var warns = audit.Action.Contains("warn", StringComparison.OrdinalIgnoreCase);
            var audits = audit.Action.Contains("audit", StringComparison.OrdinalIgnoreCase) || audit.Action.Contains("dryrun", StringComparison.OrdinalIgnoreCase);
            if (!warns && !audits)
            {
                return $"{Describe(audit)} would refuse hostNetwork pods, but it has no action at admission ({audit.Action}), so it neither denies nor warns: {EnforceHint(audit)}; or {fix}.";
            }

            var verb = warns && audits ? "warns about and audits" : warns ? "warns about" : "audits";
            return $"{Describe(audit)} only {verb} hostNetwork pods ({audit.Action}): {EnforceHint(audit)}; or {fix}.";
        }

        var skipped = r.Informational.FirstOrDefault(f => f.Verdict == Verdicts.NotApplied);
        if (skipped is not null)
        {
            var at = skipped.Detail.IndexOf(NamespaceFindings.NotAppliedMarker, StringComparison.Ordinal);
            var why = at < 0 ? skipped.Detail : skipped.Detail[(at + NamespaceFindings.NotAppliedMarker.Length)..];
            return $"{Describe(skipped)} would refuse hostNetwork pods but does not apply here: {Trim(why)}; {fix}.";
        }

        var both = r.Informational.FirstOrDefault(f => f.Verdict == Verdicts.DeniesBoth);
        if (both is not null)
        {
            return $"{Describe(both)} denies the reference pod's twin (no hostNetwork) as well, so its denial is not about hostNetwork and does not count: {Trim(both.Detail)}; make it test hostNetwork alone (an =(hostNetwork) anchor, has(object.spec.hostNetwork) or object.spec.?hostNetwork.orValue(false)), or {fix}.";
        }

        return r.PodSecuritySource switch
        {
            PodSecuritySources.Label => $"Pod Security enforce is {r.PodSecurity} (label) and no policy refuses hostNetwork pods; {fix}.",
            PodSecuritySources.AssumedBuiltInDefault => $"No policy refuses hostNetwork pods and no Pod Security enforce label is set (built-in default privileged assumed; see -AdmissionConfiguration); {fix}.",
            PodSecuritySources.ConfigurationExemption => $"The PodSecurity configuration exempts this namespace and no other policy refuses hostNetwork pods; {fix}.",
            _ => $"The configured Pod Security default is {r.PodSecurity} and no policy refuses hostNetwork pods; {fix}.",
        };
    }

    /// <summary>How to make a warn- or audit-only mechanism enforce, in its engine's terms.</summary>
    private static string EnforceHint(PolicyFinding f) => (f.Engine, f.Kind) switch
    {
        (Engines.PodSecurityAdmission, _) => "set the enforce level instead",
        (Engines.Gatekeeper, _) => "set its enforcementAction to deny",
        (Engines.Kyverno, "ValidatingPolicy" or "NamespacedValidatingPolicy") => "add Deny to its validationActions",
        (Engines.Kyverno, _) => "set its failureAction (or validationFailureAction) to Enforce",
        (Engines.ValidatingAdmissionPolicy, _) => "add Deny to the binding's validationActions",
        _ => "set it to enforce",
    };

    private static string Describe(PolicyFinding f)
    {
        switch (f.Engine)
        {
            case Engines.PodSecurityAdmission when f.Rule is null:
                return $"Pod Security Admission ({f.Kind} {f.Policy})";
            case Engines.PodSecurityAdmission:
                var parts = f.Rule.Split("-version=");
                var origin = f.Kind == "Namespace" ? "namespace label" : f.Kind;
                return $"Pod Security Admission {parts[0]}={f.Policy}:{(parts.Length > 1 ? parts[1] : "latest")} ({origin})";
            case Engines.ValidatingAdmissionPolicy:
                return f.Rule is null ? $"ValidatingAdmissionPolicy {f.Policy}" : $"ValidatingAdmissionPolicy {f.Policy} (binding {f.Rule})";
            case Engines.Probe:
                return $"the dry-run probe ({f.Policy})";
            default:
                if (f.Policy == "*")
                {
                    return $"{f.Engine} {f.Kind} (unreadable)";
                }

                return $"{f.Engine} {f.Kind} {f.Policy}" + (f.Rule is null ? string.Empty : $" (rule {f.Rule})");
        }
    }

    /// <summary>The "applies only to some pods" part of a Conditional finding's detail.</summary>
    private static string ConditionalWhy(string detail)
    {
        const string marker = "applies only to some pods: ";
        var at = detail.IndexOf(marker, StringComparison.Ordinal);
        return Trim(at < 0 ? detail : detail[(at + marker.Length)..]);
    }

    /// <summary>A detail inside a reason sentence: whole (the key fact comes first; the table view may cut the rest).</summary>
    private static string Trim(string text) => text.TrimEnd('.');
}

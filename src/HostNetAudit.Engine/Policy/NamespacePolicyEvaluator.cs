using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine.Policy;

/// <summary>One admission engine's view of a namespace.</summary>
internal interface IEngineEvaluator
{
    /// <summary>The evaluator's name (timings).</summary>
    string Name { get; }

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
        engines = EvaluatorCatalog.Create(inputs, psa, exemptions, log);
        engineTicks = new long[engines.Count];
    }

    /// <summary>Time spent per engine evaluator (for Debug output and benchmarks).</summary>
    public string Timings => string.Join(", ", engines.Select((e, i) => $"{e.Name} {engineTicks[i] * 1000 / System.Diagnostics.Stopwatch.Frequency} ms"));

    public List<NamespaceFindings> Evaluate(Func<string, bool>? filter, CancellationToken cancellationToken)
    {
        var results = new List<NamespaceFindings>();
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

    public NamespaceFindings EvaluateOne(NamespaceInfo ns)
    {
        var findings = new NamespaceFindings(ns, inputs.Context);
        for (var i = 0; i < engines.Count; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            engines[i].Evaluate(ns, findings);
            engineTicks[i] += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        }

        foreach (var unreadable in inputs.Unreadable)
        {
            findings.Unknown.Add(new Finding
            {
                Engine = unreadable.Engine,
                Kind = unreadable.Kind,
                Policy = "*",
                Action = "Unknown",
                Verdict = Verdict.Unknown,
                JudgedBy = JudgedBy.None,
                Detail = unreadable.Message,
            });
        }

        if (inputs.HostNetworkPods is { } pods)
        {
            var here = pods.TryGetValue(ns.Name, out var list) ? list : new List<PodRecord>();
            findings.HostNetworkPodCount = here.Count;
            findings.ExemptHostNetworkPodCount = here.Count(p => exemptions.ForPod(inputs.Context, p.Namespace, p.Name, p.OwnerKind, p.OwnerName) is not null);
        }

        findings.Exemption = exemptions.ForNamespace(inputs.Context, ns.Name);
        Decide(findings);
        return findings;
    }

    /// <summary>Sets Status, StaticStatus and Reason from the findings.</summary>
    public static void Decide(NamespaceFindings result)
    {
        var status = result.EnforcedBy.Count > 0 ? NamespaceStatus.Compliant
            : result.Exemption is not null ? NamespaceStatus.Exempt
            : result.Unknown.Count > 0 ? NamespaceStatus.Unknown
            : result.Conditional.Count > 0 ? NamespaceStatus.Conditional
            : NamespaceStatus.NonCompliant;
        result.Status = status;
        result.StaticStatus = status;
        result.Reason = Reason(result, result.Exemption);
    }

    public static string Reason(NamespaceFindings r, Exemption? exemption)
    {
        switch (r.Status)
        {
            case NamespaceStatus.Compliant:
                var first = r.EnforcedBy[0];
                var more = r.EnforcedBy.Count > 1 ? $" (and {r.EnforcedBy.Count - 1} more)" : string.Empty;
                var unused = exemption is not null ? "; the declared exemption is not needed" : string.Empty;
                var open = r.EnforcedBy.All(f => f.FailOpen) ? "; its webhook fails open (failurePolicy Ignore)" : string.Empty;
                return $"Refused by {first.Name}{more}{open}{unused}.";
            case NamespaceStatus.Exempt:
                return $"Exempt by declaration ({exemption!.Describe()}): {exemption.Justification}";
            case NamespaceStatus.Unknown:
                var u = r.Unknown[0];
                return $"Could not tell whether {u.Name} refuses hostNetwork pods here ({Trim(u.Sentence)}); check it, or run with -Probe.";
            case NamespaceStatus.Conditional:
                var c = r.Conditional[0];
                return $"{c.Name} refuses hostNetwork pods only for some ({Trim(c.WhichPods ?? c.Sentence)}); make it cover every pod, or enforce a policy that refuses hostNetwork pods for all.";
            default:
                return NonCompliantReason(r);
        }
    }

    private static string NonCompliantReason(NamespaceFindings r)
    {
        // No command here: which fix works (a Pod Security label, or the targeted policy where a label would refuse
        // running workloads) is decided once, by the audit (Audit/FixAdvisor), and named in its Remediation.
        const string fix = "fix: a Pod Security label at baseline where nothing running breaks, else the targeted hostNetwork policy (Invoke-HostNetworkAudit's Remediation names which)";
        if (r.ProbeOutcome == ProbeOutcome.Admitted)
        {
            return $"The dry-run probe's hostNetwork pod was admitted (as {r.Probe!.Identity}); {fix}.";
        }

        var audit = r.AuditOnly.FirstOrDefault();
        if (audit is not null && audit.Effect.HasFlag(AdmissionEffect.Unrecognised))
        {
            return $"{audit.Name} would refuse hostNetwork pods, but its action is not an enforcement action Gatekeeper recognises ({audit.Action}; Gatekeeper knows deny, dryrun, warn and scoped, lowercase), so it denies nothing: set enforcementAction: deny; or {fix}.";
        }

        if (audit is not null)
        {
            var warns = audit.Effect.HasFlag(AdmissionEffect.Warns);
            var audits = audit.Effect.HasFlag(AdmissionEffect.Audits);
            if (!warns && !audits)
            {
                return $"{audit.Name} would refuse hostNetwork pods, but it has no action at admission ({audit.Action}), so it neither denies nor warns: {EnforceHint(audit)}; or {fix}.";
            }

            var verb = warns && audits ? "warns about and audits" : warns ? "warns about" : "audits";
            return $"{audit.Name} only {verb} hostNetwork pods ({audit.Action}): {EnforceHint(audit)}; or {fix}.";
        }

        var skipped = r.Informational.FirstOrDefault(f => f.Verdict == Verdict.NotApplied);
        if (skipped is not null)
        {
            return $"{skipped.Name} would refuse hostNetwork pods but does not apply here: {Trim(skipped.WhyNotApplied ?? skipped.Sentence)}; {fix}.";
        }

        var both = r.Informational.FirstOrDefault(f => f.Verdict == Verdict.DeniesBoth);
        if (both is not null)
        {
            return $"{both.Name} denies the reference pod's twin (no hostNetwork) as well, so its denial is not about hostNetwork and does not count: {Trim(both.Sentence)}; make it test hostNetwork alone (an =(hostNetwork) anchor, has(object.spec.hostNetwork) or object.spec.?hostNetwork.orValue(false)), or {fix}.";
        }

        return r.PodSecuritySource switch
        {
            PodSecuritySource.Label => $"Pod Security enforce is {r.PodSecurity} (label) and no policy refuses hostNetwork pods; {fix}.",
            PodSecuritySource.AssumedBuiltInDefault => $"No policy refuses hostNetwork pods and no Pod Security enforce label is set (built-in default privileged assumed; see -AdmissionConfiguration); {fix}.",
            PodSecuritySource.ConfigurationExemption => $"The PodSecurity configuration exempts this namespace and no other policy refuses hostNetwork pods; {fix}.",
            _ => $"The configured Pod Security default is {r.PodSecurity} and no policy refuses hostNetwork pods; {fix}.",
        };
    }

    /// <summary>How to make a warn- or audit-only mechanism enforce, in its engine's terms.</summary>
    private static string EnforceHint(Finding f) => (f.Engine, f.Kind) switch
    {
        (PolicyEngine.PodSecurityAdmission, _) => "set the enforce level instead",
        (PolicyEngine.Gatekeeper, _) => "set its enforcementAction to deny",
        (PolicyEngine.Kyverno, "ValidatingPolicy" or "NamespacedValidatingPolicy") => "add Deny to its validationActions",
        (PolicyEngine.Kyverno, _) => "set its failureAction (or validationFailureAction) to Enforce",
        (PolicyEngine.ValidatingAdmissionPolicy, _) => "add Deny to the binding's validationActions",
        _ => "set it to enforce",
    };

    /// <summary>A detail inside a reason sentence: whole (the key fact comes first; the table view may cut the rest).</summary>
    private static string Trim(string text) => text.TrimEnd('.');
}

using HostNetAudit.Engine.Policy.Exemptions;

namespace HostNetAudit.Engine.Policy;

/// <summary>What an action does at admission, whatever the engine calls it.</summary>
[Flags]
internal enum AdmissionEffect
{
    /// <summary>Nothing at admission (no action at the webhook, a mutation, an unbound policy).</summary>
    None = 0,
    Denies = 1,
    Warns = 2,
    Audits = 4,

    /// <summary>An action the engine does not recognise, so it denies nothing (Gatekeeper's "Deny").</summary>
    Unrecognised = 8,
}

/// <summary>How the engines' action words map to <see cref="AdmissionEffect"/>.</summary>
internal static class AdmissionEffects
{
    /// <summary>A binding's or a ValidatingPolicy's validationActions (Deny, Warn, Audit; case-sensitive).</summary>
    public static AdmissionEffect FromValidationActions(IEnumerable<string> actions)
    {
        var effect = AdmissionEffect.None;
        foreach (var action in actions)
        {
            effect |= action switch
            {
                "Deny" => AdmissionEffect.Denies,
                "Warn" => AdmissionEffect.Warns,
                "Audit" => AdmissionEffect.Audits,
                _ => AdmissionEffect.None,
            };
        }

        return effect;
    }
}

/// <summary>A namespace's verdict (the record's Status).</summary>
internal enum NamespaceStatus
{
    Compliant,
    NonCompliant,
    Conditional,
    Exempt,
    Unknown,
}

/// <summary>Where the effective Pod Security enforce level comes from (the record's PodSecuritySource).</summary>
internal enum PodSecuritySource
{
    Label,
    ConfigurationDefault,
    ConfigurationExemption,
    AssumedBuiltInDefault,
}

/// <summary>What a dry-run probe showed (the record's Probe.Outcome).</summary>
internal enum ProbeOutcome
{
    Verified,
    Admitted,
    Unknown,
}

/// <summary>
/// One admission mechanism as it bears on hostNetwork pods in one namespace, typed: its engine, its action and what
/// that action does, the verdict, how it was reached, the judgement's own detail, and — as fields, not spliced into
/// text — which pods a refusal covers and why it does not apply here. <see cref="ToRecord"/> writes the public
/// <see cref="PolicyFinding"/> once.
/// </summary>
internal sealed class Finding
{
    public required PolicyEngine Engine { get; init; }

    /// <summary>The object's kind (Namespace for a PSA label, ClusterPolicy, a constraint kind...).</summary>
    public required string Kind { get; init; }

    public required string Policy { get; init; }

    /// <summary>The rule, binding or mode inside the policy that decides, if any.</summary>
    public string? Rule { get; init; }

    /// <summary>The action in the engine's own words (Enforce, Warn,Audit, dryrun, scoped (...), None...).</summary>
    public required string Action { get; init; }

    /// <summary>What that action does at admission.</summary>
    public AdmissionEffect Effect { get; init; }

    public bool FailOpen { get; init; }

    public string? Source { get; init; }

    /// <summary>For a PSA finding: the mode (enforce, warn, audit) and version of its level, which reasons name.</summary>
    public (string Mode, string Version)? PodSecurityLevel { get; init; }

    public Verdict Verdict { get; set; }

    /// <summary>How the verdict was reached; null when nothing judged it (the record leaves it empty).</summary>
    public JudgedBy? JudgedBy { get; set; }

    /// <summary>What judging the mechanism found, in its own words.</summary>
    public string Detail { get; set; } = string.Empty;

    /// <summary>Where it applies: Yes (with context), Depends (which pods), No (why not), Unknown (why); null when the finding was not classified (its Detail is its whole sentence).</summary>
    public Scope? Scope { get; set; }

    /// <summary>What the judgement said before the scope was applied (an Unknown may come from either).</summary>
    public PodOutcome Outcome { get; set; } = PodOutcome.Refuses;

    /// <summary>For DeniesBoth: the field whose absence it denies (an unguarded read under failurePolicy Fail).</summary>
    public string? Lacking { get; set; }

    /// <summary>For a refusal of some pods only: which pods it covers (why the others escape).</summary>
    public string? WhichPods => Scope is { State: Applies.Depends } scope ? scope.Why : null;

    /// <summary>For NotApplied: why the engine or the policy skips this namespace.</summary>
    public string? WhyNotApplied => Verdict == Verdict.NotApplied && Scope is { } scope ? scope.Why : null;

    public bool Denies => Effect.HasFlag(AdmissionEffect.Denies);

    /// <summary>How reasons name the mechanism.</summary>
    public string Name => Engine switch
    {
        PolicyEngine.PodSecurityAdmission when PodSecurityLevel is var (mode, version) => $"Pod Security Admission {mode}={Policy}:{version} ({(Kind == "Namespace" ? "namespace label" : Kind)})",
        PolicyEngine.PodSecurityAdmission => $"Pod Security Admission ({Kind} {Policy})",
        PolicyEngine.ValidatingAdmissionPolicy => Rule is null ? $"ValidatingAdmissionPolicy {Policy}" : $"ValidatingAdmissionPolicy {Policy} (binding {Rule})",
        PolicyEngine.Probe => $"the dry-run probe ({Policy})",
        _ when Policy == "*" => $"{Engine} {Kind} (unreadable)",
        _ => $"{Engine} {Kind} {Policy}" + (Rule is null ? string.Empty : $" (rule {Rule})"),
    };

    /// <summary>The record's Detail: the judgement's words, with which pods, why not here, or what is unknown.</summary>
    public string Sentence => Scope is not { } scope ? Detail : Verdict switch
    {
        Verdict.DeniesBoth => Lacking is { } lacking ? $"it denies every pod that lacks {lacking}, not hostNetwork pods alone ({Detail.TrimEnd('.')})" : Detail,
        Verdict.Unknown when Outcome == PodOutcome.Unknown => Join(Detail, WhichPods ?? string.Empty),
        Verdict.Unknown => Join(scope.Why, Detail),
        Verdict.Conditional => Join(Detail, "applies only to some pods: " + scope.Why),
        Verdict.NotApplied => Join(Detail, "it does not apply here: " + scope.Why),
        Verdict.Refuses => Join(Detail, scope.Why),
        _ => Detail,
    };

    public PolicyFinding ToRecord() => new()
    {
        Engine = Engine.ToString(),
        Kind = Kind,
        Policy = Policy,
        Rule = Rule,
        Action = Action,
        Verdict = Verdict.ToString(),
        JudgedBy = JudgedBy?.ToString() ?? string.Empty,
        Detail = Sentence,
        FailOpen = FailOpen,
        Source = Source,
    };

    public static string Join(string? a, string? b) =>
        string.IsNullOrEmpty(a) ? b ?? string.Empty : string.IsNullOrEmpty(b) ? a : a.TrimEnd('.') + "; " + b;
}

/// <summary>
/// One namespace as the evaluators see it and the verdict decided from it: the typed findings, the Pod Security
/// levels, the pod counts, the declared exemption and, after -Probe, what the probe showed. <see cref="ToRecord"/>
/// writes the public <see cref="NamespacePolicyResult"/> once.
/// </summary>
internal sealed class NamespaceFindings
{
    public NamespaceFindings(NamespaceInfo ns, string context)
    {
        Namespace = ns;
        Context = context;
    }

    public NamespaceInfo Namespace { get; }

    public string Context { get; }

    public List<Finding> EnforcedBy { get; } = new();

    public List<Finding> AuditOnly { get; } = new();

    public List<Finding> Conditional { get; } = new();

    public List<Finding> Unknown { get; } = new();

    public List<Finding> Informational { get; } = new();

    public string PodSecurity { get; set; } = "privileged:latest";

    public PodSecuritySource PodSecuritySource { get; set; } = PodSecuritySource.AssumedBuiltInDefault;

    public string PodSecurityWarn { get; set; } = "privileged:latest";

    public string PodSecurityAudit { get; set; } = "privileged:latest";

    public int? HostNetworkPodCount { get; set; }

    public int ExemptHostNetworkPodCount { get; set; }

    /// <summary>The declared exemption of the namespace, if any.</summary>
    public Exemption? Exemption { get; set; }

    /// <summary>
    /// Per verified copy of the module's own targeted policy (by engine and name, <see cref="OwnPolicyKey"/>: a renamed
    /// identical copy is one too), its exceptions that apply here (OwnPolicyCheck). Listed on the result, and read by the
    /// permission analysis, which turns them into the ways past that policy's refusal.
    /// </summary>
    public Dictionary<string, IReadOnlyList<Targeted.PolicyException>> OwnPolicyExceptions { get; } = new(StringComparer.Ordinal);

    /// <summary>The key of <see cref="OwnPolicyExceptions"/>: the same name may be the module's policy in several engines.</summary>
    public static string OwnPolicyKey(PolicyEngine engine, string policy) => engine + "/" + policy;

    public NamespaceStatus Status { get; set; } = NamespaceStatus.Unknown;

    /// <summary>The status the policies alone give (Status may follow the probe).</summary>
    public NamespaceStatus StaticStatus { get; set; } = NamespaceStatus.Unknown;

    public string Reason { get; set; } = string.Empty;

    public ProbeOutcome? ProbeOutcome { get; set; }

    public PolicyProbeResult? Probe { get; set; }

    /// <summary>
    /// Files a mechanism into the right list: what it does to the reference pod (judgement), whether it applies
    /// in this namespace (scope), whether its action here denies. Mechanisms that admit the reference pod are not
    /// listed. <paramref name="reportNotApplied"/> lists a refusing mechanism the engine or policy skips here
    /// (engine exemptions, excluded namespaces) as Informational, so the admin sees why it does not count.
    /// </summary>
    public void Classify(PodJudgement judgement, Scope scope, Finding finding, bool reportNotApplied = false)
    {
        finding.JudgedBy = judgement.JudgedBy;
        finding.Detail = judgement.Detail;
        finding.Scope = scope;
        finding.Outcome = judgement.Outcome;
        finding.Lacking = judgement.Lacking;
        var enforcing = finding.Denies;
        switch (judgement.Outcome)
        {
            case PodOutcome.DoesNotRefuse:
                return;
            case PodOutcome.DeniesBoth:
                if (scope.State != Applies.No && enforcing)
                {
                    finding.Verdict = Verdict.DeniesBoth;
                    Informational.Add(finding);
                }

                return;
            case PodOutcome.Unknown:
                if (scope.State == Applies.No)
                {
                    return;
                }

                finding.Verdict = Verdict.Unknown;
                (enforcing ? Unknown : Informational).Add(finding);
                return;
        }

        switch (scope.State)
        {
            case Applies.Yes:
                finding.Verdict = Verdict.Refuses;
                (enforcing ? EnforcedBy : AuditOnly).Add(finding);
                break;
            case Applies.Depends:
                finding.Verdict = Verdict.Conditional;
                (enforcing ? Conditional : AuditOnly).Add(finding);
                break;
            case Applies.Unknown:
                // It would refuse; what is unknown is whether it applies here: the sentence says that first.
                finding.Verdict = Verdict.Unknown;
                (enforcing ? Unknown : Informational).Add(finding);
                break;
            default:
                if (reportNotApplied && enforcing)
                {
                    finding.Verdict = Verdict.NotApplied;
                    Informational.Add(finding);
                }

                break;
        }
    }

    public NamespacePolicyResult ToRecord() => new()
    {
        Context = Context,
        Namespace = Namespace.Name,
        Compliant = Status == NamespaceStatus.Compliant,
        Status = Status.ToString(),
        StaticStatus = StaticStatus.ToString(),
        EnforcedBy = EnforcedBy.Select(f => f.ToRecord()).ToArray(),
        AuditOnly = AuditOnly.Select(f => f.ToRecord()).ToArray(),
        Conditional = Conditional.Select(f => f.ToRecord()).ToArray(),
        Unknown = Unknown.Select(f => f.ToRecord()).ToArray(),
        Informational = Informational.Select(f => f.ToRecord()).ToArray(),
        PodSecurity = PodSecurity,
        PodSecuritySource = PodSecuritySource.ToString(),
        PodSecurityWarn = PodSecurityWarn,
        PodSecurityAudit = PodSecurityAudit,
        HostNetworkPodCount = HostNetworkPodCount,
        ExemptHostNetworkPodCount = ExemptHostNetworkPodCount,
        Probe = Probe,
        Reason = Reason,
        Exemption = Exemption?.Justification,
        ExemptionSource = Exemption?.Source,
        PolicyExceptions = OwnPolicyExceptions.Values.SelectMany(e => e).Select(e => e.Label()).Distinct(StringComparer.Ordinal).ToArray(),
        SourcePath = Namespace.Source,
    };
}

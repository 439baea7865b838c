namespace HostNetAudit.Engine.Policy;

/// <summary>The findings of one namespace as the evaluators add them.</summary>
internal sealed class NamespaceFindings
{
    public NamespaceFindings(NamespaceInfo ns)
    {
        Namespace = ns;
    }

    public NamespaceInfo Namespace { get; }

    public List<PolicyFinding> EnforcedBy { get; } = new();

    public List<PolicyFinding> AuditOnly { get; } = new();

    public List<PolicyFinding> Conditional { get; } = new();

    public List<PolicyFinding> Unknown { get; } = new();

    public List<PolicyFinding> Informational { get; } = new();

    public string PodSecurity { get; set; } = "privileged:latest";

    public string PodSecuritySource { get; set; } = PodSecuritySources.AssumedBuiltInDefault;

    public string PodSecurityWarn { get; set; } = "privileged:latest";

    public string PodSecurityAudit { get; set; } = "privileged:latest";

    /// <summary>
    /// Files a mechanism into the right list: what it does to the reference pod (judgement), whether it applies
    /// in this namespace (scope), whether its action here enforces. Mechanisms that admit the reference pod are
    /// not listed. <paramref name="reportNotApplied"/> lists a refusing mechanism the engine or policy skips here
    /// (engine exemptions, excluded namespaces) as Informational, so the admin sees why it does not count.
    /// </summary>
    public void Classify(PodJudgement judgement, Scope scope, bool enforcing, PolicyFinding finding, bool reportNotApplied = false)
    {
        finding.JudgedBy = judgement.JudgedBy;
        switch (judgement.Outcome)
        {
            case PodOutcome.DoesNotRefuse:
                return;
            case PodOutcome.DeniesBoth:
                if (scope.State != Applies.No && enforcing)
                {
                    finding.Verdict = Verdicts.DeniesBoth;
                    finding.Detail = judgement.Lacking is { } lacking
                        ? $"it denies every pod that lacks {lacking}, not hostNetwork pods alone ({judgement.Detail.TrimEnd('.')})"
                        : judgement.Detail;
                    Informational.Add(finding);
                }

                return;
            case PodOutcome.Unknown:
                if (scope.State == Applies.No)
                {
                    return;
                }

                finding.Verdict = Verdicts.Unknown;
                finding.Detail = Join(judgement.Detail, scope.State == Applies.Depends ? scope.Why : string.Empty);
                (enforcing ? Unknown : Informational).Add(finding);
                return;
        }

        switch (scope.State)
        {
            case Applies.Yes:
                finding.Verdict = Verdicts.Refuses;
                finding.Detail = Join(judgement.Detail, scope.Why);
                (enforcing ? EnforcedBy : AuditOnly).Add(finding);
                break;
            case Applies.Depends:
                finding.Verdict = Verdicts.Conditional;
                finding.Detail = Join(judgement.Detail, "applies only to some pods: " + scope.Why);
                (enforcing ? Conditional : AuditOnly).Add(finding);
                break;
            case Applies.Unknown:
                // It would refuse; what is unknown is whether it applies here: say that first.
                finding.Verdict = Verdicts.Unknown;
                finding.Detail = Join(scope.Why, judgement.Detail);
                (enforcing ? Unknown : Informational).Add(finding);
                break;
            default:
                if (reportNotApplied && enforcing)
                {
                    finding.Verdict = Verdicts.NotApplied;
                    finding.Detail = Join(judgement.Detail, NotAppliedMarker + scope.Why);
                    Informational.Add(finding);
                }

                break;
        }
    }

    /// <summary>Separates a NotApplied finding's judgement from why it does not apply.</summary>
    public const string NotAppliedMarker = "it does not apply here: ";

    public static string Join(string a, string b) =>
        string.IsNullOrEmpty(a) ? b : string.IsNullOrEmpty(b) ? a : a.TrimEnd('.') + "; " + b;
}

using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Psa;

/// <summary>
/// Pod Security Admission as the apiserver resolves it per namespace: the pod-security.kubernetes.io labels over
/// the configured (or built-in privileged) defaults; an invalid enforce level fails closed (restricted), invalid
/// warn/audit levels fail open (privileged), an invalid version means latest; exempt namespaces are not checked;
/// exempt usernames and runtime classes make the refusal conditional. Every version of baseline forbids
/// host namespaces (hostNetwork).
/// </summary>
internal sealed class PodSecurityEvaluator : IEngineEvaluator
{
    public const string Prefix = "pod-security.kubernetes.io/";
    private readonly PolicyInputs inputs;
    private readonly PodSecurityConfiguration? config;
    private readonly bool pluginMissing;
    private readonly bool pluginAlpha;

    public PodSecurityEvaluator(PolicyInputs inputs, PodSecurityConfiguration? config)
    {
        this.inputs = inputs;
        this.config = config;
        var webhook = inputs.Of("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")
            .Any(w => w.Object.Get("webhooks").Items().Any(h => (h.Get("name").AsString() ?? string.Empty).StartsWith("pod-security-webhook.kubernetes.io", StringComparison.Ordinal)));
        pluginMissing = inputs.ServerMinor is < 22 && !webhook;
        pluginAlpha = inputs.ServerMinor is 22 && !webhook;
    }

    public string Name => "PodSecurityAdmission";

    private static PolicyEngine Engine => PolicyEngine.PodSecurityAdmission;

    public void Evaluate(NamespaceInfo ns, NamespaceFindings findings)
    {
        var labels = ns.Labels;
        if (config is not null && config.ExemptNamespaces.Contains(ns.Name, StringComparer.Ordinal))
        {
            findings.PodSecurity = "privileged:latest";
            findings.PodSecuritySource = PodSecuritySource.ConfigurationExemption;
            findings.PodSecurityWarn = findings.PodSecurityAudit = "privileged:latest";
            var labelled = labels.TryGetValue(Prefix + "enforce", out var level) ? $" (its enforce label '{level}' is ignored)" : string.Empty;
            findings.Informational.Add(new Finding
            {
                Engine = Engine,
                Kind = "PodSecurityConfiguration",
                Policy = "exemptions.namespaces",
                Action = "None",
                Verdict = Verdict.Informational,
                JudgedBy = JudgedBy.Text,
                Detail = $"exemptions.namespaces in '{System.IO.Path.GetFileName(config.Source)}' lists this namespace: PSA checks no pod here{labelled}.",
                Source = config.Source,
            });
            return;
        }

        var enforce = Resolve(labels, "enforce", config?.Enforce, failClosed: true, out var enforceFromLabel, out var enforceNote);
        var warn = Resolve(labels, "warn", config?.Warn, failClosed: false, out _, out var warnNote);
        var audit = Resolve(labels, "audit", config?.Audit, failClosed: false, out _, out var auditNote);
        findings.PodSecurity = enforce.ToString();
        findings.PodSecurityWarn = warn.ToString();
        findings.PodSecurityAudit = audit.ToString();
        findings.PodSecuritySource = enforceFromLabel ? PodSecuritySource.Label
            : config is not null ? PodSecuritySource.ConfigurationDefault
            : PodSecuritySource.AssumedBuiltInDefault;

        var judgedBy = enforceFromLabel ? JudgedBy.Label : JudgedBy.Text;
        if (enforce.Refuses)
        {
            var origin = enforceFromLabel
                ? $"label {Prefix}enforce={labels[Prefix + "enforce"]}"
                : $"the default enforce level of '{System.IO.Path.GetFileName(config!.Source)}'";
            var detail = $"{origin}: the {enforce.Level} profile ({enforce}) forbids host namespaces, so hostNetwork pods are refused";
            if (enforceNote is not null)
            {
                detail = enforceNote + "; " + detail;
            }

            findings.Classify(
                new PodJudgement(PodOutcome.Refuses, judgedBy, detail),
                Availability().And(ExemptionScope()),
                LevelFinding(enforceFromLabel ? "Namespace" : "PodSecurityConfiguration", enforce, "enforce", "Enforce", enforceFromLabel ? ns.Source : config?.Source),
                reportNotApplied: true);
            return;
        }

        foreach (var (mode, level, note) in new[] { ("warn", warn, warnNote), ("audit", audit, auditNote) })
        {
            if (!level.Refuses)
            {
                continue;
            }

            var fromLabel = labels.ContainsKey(Prefix + mode);
            var finding = LevelFinding(fromLabel ? "Namespace" : "PodSecurityConfiguration", level, mode, mode == "warn" ? "Warn" : "Audit", fromLabel ? ns.Source : config?.Source);
            finding.Verdict = Verdict.Refuses;
            finding.JudgedBy = fromLabel ? JudgedBy.Label : JudgedBy.Text;
            finding.Detail = $"{mode} level {level} would flag hostNetwork pods, but the enforce level is {enforce}: hostNetwork pods are admitted" + (note is null ? string.Empty : "; " + note);
            findings.AuditOnly.Add(finding);
        }

        if (enforceNote is not null)
        {
            findings.Informational.Add(new Finding { Engine = Engine, Kind = "Namespace", Policy = enforce.Level, Rule = "enforce", Action = "Enforce", Effect = AdmissionEffect.Denies, PodSecurityLevel = ("enforce", "latest"), Verdict = Verdict.Informational, JudgedBy = JudgedBy.Label, Detail = enforceNote, Source = ns.Source });
        }
    }

    /// <summary>The level and version of a mode: the label when present (invalid values as the apiserver treats them), else the default.</summary>
    private static LevelVersion Resolve(IReadOnlyDictionary<string, string> labels, string mode, LevelVersion? configured, bool failClosed, out bool fromLabel, out string? note)
    {
        var result = configured ?? LevelVersion.PrivilegedLatest;
        note = null;
        fromLabel = false;
        if (labels.TryGetValue(Prefix + mode, out var level))
        {
            fromLabel = true;
            if (PodSecurityConfiguration.Levels.Contains(level, StringComparer.Ordinal))
            {
                result = result with { Level = level };
            }
            else
            {
                var effective = failClosed ? "restricted" : "privileged";
                result = result with { Level = effective };
                note = $"label {Prefix}{mode}='{level}' is not a valid level (privileged, baseline, restricted; case-sensitive): the apiserver evaluates {effective} ({(failClosed ? "fails closed" : "fails open")})";
            }
        }

        if (labels.TryGetValue(Prefix + mode + "-version", out var version))
        {
            if (PodSecurityConfiguration.IsValidVersion(version))
            {
                result = result with { Version = version };
            }
            else
            {
                result = result with { Version = "latest" };
                note = (note is null ? string.Empty : note + "; ") + $"label {Prefix}{mode}-version='{version}' is not valid (\"latest\" or \"v1.x\"): the apiserver uses latest";
            }
        }

        return result;
    }

    private Scope Availability()
    {
        if (pluginMissing)
        {
            return Scope.No($"the API server (1.{inputs.ServerMinor}) predates the PodSecurity admission plugin (1.22 alpha, 1.23 beta) and no pod-security webhook is registered, so the labels are not enforced");
        }

        if (pluginAlpha)
        {
            return Scope.Unknown("on Kubernetes 1.22 the PodSecurity admission plugin is alpha and enforces only when the PodSecurity feature gate is on");
        }

        return Scope.Yes();
    }

    /// <summary>
    /// The configuration's exemptions as they bear on the reference pod, which the ReplicaSet controller creates:
    /// exempting that controller exempts it (not applied); exempting another controller exempts only the pods that
    /// controller creates (Conditional, naming which); other users and runtime classes likewise.
    /// </summary>
    private Scope ExemptionScope()
    {
        if (config is null)
        {
            return Scope.Yes();
        }

        var source = System.IO.Path.GetFileName(config.Source);
        if (config.ExemptUsernames.Contains(ReferencePod.ControllerUser, StringComparer.Ordinal))
        {
            return Scope.No($"exemptions.usernames in '{source}' exempts {ReferencePod.ControllerUser}, the ReplicaSet controller that creates the pods of Deployments, so PSA checks none of them");
        }

        var why = new List<string>();
        foreach (var user in config.ExemptUsernames)
        {
            why.Add(ControllerPods(user) is { } pods
                ? $"{pods} escape: exemptions.usernames in '{source}' exempts {user}"
                : $"pods that {user} creates escape: exemptions.usernames in '{source}' exempts that user");
        }

        if (config.ExemptRuntimeClasses.Count > 0)
        {
            why.Add($"pods with runtimeClassName {string.Join(", ", config.ExemptRuntimeClasses)} escape: exemptions.runtimeClasses in '{source}'");
        }

        return why.Count == 0 ? Scope.Yes() : Scope.Depends(string.Join("; ", why));
    }

    /// <summary>Which pods a controller identity creates, for the controllers that create pods.</summary>
    private static string? ControllerPods(string user) => user switch
    {
        ReferencePod.DaemonSetControllerUser => "DaemonSet pods (created by the daemon-set-controller)",
        "system:serviceaccount:kube-system:job-controller" => "Job pods (created by the job-controller)",
        "system:serviceaccount:kube-system:statefulset-controller" => "StatefulSet pods (created by the statefulset-controller)",
        "system:serviceaccount:kube-system:replication-controller" => "ReplicationController pods (created by the replication-controller)",
        ReferencePod.ControllerManagerUser => "pods of every controller when kube-controller-manager runs without --use-service-account-credentials",
        _ => null,
    };

    private static Finding LevelFinding(string kind, LevelVersion level, string mode, string action, string? source) => new()
    {
        Engine = Engine,
        Kind = kind,
        Policy = level.Level,
        Rule = mode + "-version=" + level.Version,
        Action = action,
        Effect = mode switch { "enforce" => AdmissionEffect.Denies, "warn" => AdmissionEffect.Warns, _ => AdmissionEffect.Audits },
        PodSecurityLevel = (mode, level.Version),
        Source = source,
    };
}

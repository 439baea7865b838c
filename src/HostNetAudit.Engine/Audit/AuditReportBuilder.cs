using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Permissions;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Remediation;

namespace HostNetAudit.Engine.Audit;

/// <summary>
/// Turns what one cluster (or one set of evidence) showed into the control's verdict: namespaces as flat
/// records, the hostNetwork pods and workloads with the exemptions that cover them, the exemptions that
/// matched, the summary and the result (Pass when every namespace is Compliant or Exempt).
/// </summary>
internal static class AuditReportBuilder
{
    public sealed record Evidence(
        string Context,
        string? Source,
        string? ServerVersion,
        bool Live,
        IReadOnlyList<NamespacePolicyResult> Results,
        IReadOnlyList<HostNetworkPod> Pods,
        IReadOnlyList<HostNetworkWorkload> Workloads,
        ExemptionSet Exemptions)
    {
        /// <summary>Per namespace that admits hostNetwork pods, who can get one admitted; null when RBAC could not be read.</summary>
        public IReadOnlyDictionary<string, NamespaceIdentities>? Identities { get; init; }

        /// <summary>Per failing namespace without hostNetwork workloads, whether a Pod Security label is the fix (<see cref="FixAdvisor"/>).</summary>
        public IReadOnlyDictionary<string, LabelFix>? LabelFixes { get; init; }
    }

    public static AuditReport Build(Evidence evidence, NamespacePolicyQuery query)
    {
        var context = evidence.Context;
        bool Selected(string ns) => query.NamespaceFilter is null || query.NamespaceFilter(ns);
        var pods = evidence.Pods.Where(p => Selected(p.Namespace)).OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ToArray();
        var workloads = evidence.Workloads.Where(w => Selected(w.Namespace)).ToArray();
        var results = evidence.Results.ToArray();

        // Which declared exemption covers what: a workload entry covers its workloads and their pods, a
        // namespace entry everything in the namespace.
        var matches = new Dictionary<Exemption, List<string>>();
        void Match(Exemption? exemption, string item)
        {
            if (exemption is null)
            {
                return;
            }

            if (!matches.TryGetValue(exemption, out var list))
            {
                list = new List<string>();
                matches[exemption] = list;
            }

            if (!list.Contains(item, StringComparer.Ordinal))
            {
                list.Add(item);
            }
        }

        foreach (var result in results)
        {
            Match(evidence.Exemptions.ForNamespace(context, result.Namespace), "Namespace/" + result.Namespace);
        }

        foreach (var workload in workloads)
        {
            var exemption = evidence.Exemptions.ForWorkload(context, workload.Namespace, workload.Kind, workload.Name)
                ?? evidence.Exemptions.ForNamespace(context, workload.Namespace);
            workload.Exemption = exemption?.Justification;
            Match(exemption, $"{workload.Kind}/{workload.Namespace}/{workload.Name}");
        }

        foreach (var pod in pods)
        {
            var exemption = evidence.Exemptions.ForPod(context, pod.Namespace, pod.Name, pod.OwnerKind, pod.OwnerName)
                ?? evidence.Exemptions.ForNamespace(context, pod.Namespace);
            pod.Exemption = exemption?.Justification;
            Match(exemption, $"Pod/{pod.Namespace}/{pod.Name}");
        }

        var notes = new List<string>();
        // Per namespace, the hostNetwork workloads nobody declared ("DaemonSet/agent (3 pods)"): what the fix must name.
        var undeclared = pods.Where(p => p.Exemption is null).Select(p => new RefusedItem("Pod", p.Name, p.OwnerKind is null ? null : p.OwnerKind + "/" + p.OwnerName, Array.Empty<string>()) { Namespace = p.Namespace })
            .Concat(workloads.Where(w => w.Exemption is null).Select(w => new RefusedItem(w.Kind, w.Name, null, Array.Empty<string>()) { Namespace = w.Namespace }))
            .GroupBy(i => i.Namespace, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)WorkloadGroups.Group(g).Select(w => w.ToString()).ToList(), StringComparer.Ordinal);
        var exemptionPath = query.ExemptionPaths.Count > 0 ? Quote(query.ExemptionPaths[0]) : "<exemptions file>";
        var namespaces = results.Select(r => Flatten(r, evidence.Live, evidence.Identities, undeclared.GetValueOrDefault(r.Namespace), exemptionPath, evidence.LabelFixes?.GetValueOrDefault(r.Namespace))).ToList();
        var labelled = namespaces.Count(n => n.Fix == AuditFix.PodSecurityLabel);
        var targeted = namespaces.Count(n => n.Fix == AuditFix.TargetedPolicy);
        if (labelled + targeted > 0)
        {
            notes.Add($"Fix: a Pod Security label for {labelled} failing namespace(s) (nothing running or templated there violates baseline), the targeted hostNetwork policy for {targeted}.");
        }
        if (evidence.Identities is null)
        {
            notes.Add("Roles, bindings and service accounts could not be read, so the report does not say who can get hostNetwork pods admitted (Get-HostNetworkPermission needs 'list' on them).");
        }
        else
        {
            notes.Add("Identities are a lower bound: they come from RBAC objects (and system:masters and nodes by rule); webhook authorizers (AKS Azure RBAC, EKS access entries, GKE IAM) and ABAC are not evaluated.");
        }

        // Offline evidence may hold workloads whose Namespace object is not in the files: their namespace's
        // policies cannot be judged, so the control cannot pass for them.
        if (!evidence.Live)
        {
            var known = new HashSet<string>(results.Select(r => r.Namespace), StringComparer.Ordinal);
            var missing = pods.Where(p => p.Exemption is null).Select(p => p.Namespace)
                .Concat(workloads.Where(w => w.Exemption is null).Select(w => w.Namespace))
                .Where(ns => !known.Contains(ns))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(ns => ns, StringComparer.Ordinal)
                .ToList();
            foreach (var ns in missing)
            {
                namespaces.Add(new AuditNamespace
                {
                    Context = context,
                    Namespace = ns,
                    Status = PolicyStatus.Unknown,
                    HostNetworkPodCount = pods.Count(p => p.Namespace == ns),
                    Reason = "The evidence holds hostNetwork workloads in this namespace but not its Namespace object, so its admission policies cannot be judged; add the Namespace manifest (with its Pod Security labels) or declare an exemption.",
                });
            }

            if (missing.Count > 0)
            {
                notes.Add($"{missing.Count} namespace(s) with hostNetwork workloads have no Namespace object in the evidence: {string.Join(", ", missing)}.");
            }
        }

        var summary = new AuditSummary
        {
            Namespaces = namespaces.Count,
            Compliant = namespaces.Count(n => n.Status == PolicyStatus.Compliant),
            NonCompliant = namespaces.Count(n => n.Status == PolicyStatus.NonCompliant),
            Conditional = namespaces.Count(n => n.Status == PolicyStatus.Conditional),
            Unknown = namespaces.Count(n => n.Status == PolicyStatus.Unknown),
            Exempt = namespaces.Count(n => n.Status == PolicyStatus.Exempt),
            HostNetworkPods = pods.Length,
            ExemptHostNetworkPods = pods.Count(p => p.Exemption is not null),
            HostNetworkWorkloads = workloads.Length,
        };

        var passed = namespaces.Count > 0 && namespaces.All(n => n.Status is PolicyStatus.Compliant or PolicyStatus.Exempt);
        if (namespaces.Count == 0)
        {
            notes.Add("No namespace was evaluated, so the control cannot pass: the evidence holds no Namespace objects (offline) or the namespace filter left none.");
        }

        var assumed = query.AdmissionConfigurationPath is null && results.Any(r => r.PodSecuritySource == PodSecuritySources.AssumedBuiltInDefault);
        var failing = namespaces.Where(n => n.Status is not (PolicyStatus.Compliant or PolicyStatus.Exempt)).ToList();
        var decided = assumed && failing.Count > 0 && failing.All(n => n.Status == PolicyStatus.NonCompliant && n.PodSecuritySource == PodSecuritySources.AssumedBuiltInDefault);
        if (assumed)
        {
            notes.Add("No AdmissionConfiguration was given: namespaces without Pod Security labels were judged with the built-in default (privileged), which the API cannot show." +
                (decided ? " That assumption decided the result: with a cluster default of baseline or restricted it would pass." : string.Empty));
        }

        var unmatched = evidence.Exemptions.InContext(context).Count(e => !matches.ContainsKey(e));
        if (unmatched > 0)
        {
            notes.Add($"{unmatched} declared exemption(s) matched nothing here.");
        }

        return new AuditReport
        {
            Context = context,
            Source = evidence.Source,
            Result = passed ? "Pass" : "Fail",
            PodSecurityDefaultAssumed = assumed,
            AssumedDefaultDecidedResult = decided,
            Summary = summary,
            Namespaces = namespaces.ToArray(),
            HostNetworkPods = pods,
            HostNetworkWorkloads = workloads,
            PolicyResults = results,
            Exemptions = matches
                .OrderBy(m => m.Key.Source, StringComparer.Ordinal).ThenBy(m => m.Key.Index)
                .Select(m => new AuditExemption
                {
                    Scope = m.Key.IsNamespace ? "Namespace" : "Workload",
                    Namespace = m.Key.Namespace,
                    Kind = m.Key.IsNamespace ? null : m.Key.Kind ?? "*",
                    Name = m.Key.IsNamespace ? null : m.Key.Name ?? "*",
                    Justification = m.Key.Justification,
                    Matched = m.Value.ToArray(),
                })
                .ToArray(),
            Notes = notes.ToArray(),
            AuthorizersNotEvaluated = evidence.Identities is null ? Array.Empty<string>() : new[] { "Webhook", "ABAC" },
            KubernetesVersion = evidence.ServerVersion,
            ModuleVersion = typeof(AuditReport).Assembly.GetName().Version?.ToString(3) ?? string.Empty,
            GeneratedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>A namespace's verdict as one flat record, with who can get a hostNetwork pod admitted there.</summary>
    /// <remarks>
    /// The fix is never a command that would be refused, and the least invasive one that works now: a Pod Security
    /// label where Set-NamespacePodSecurity would apply it without -Force (<paramref name="label"/>, decided by
    /// <see cref="FixAdvisor"/>); else the targeted policy, which refuses hostNetwork and nothing else, after the
    /// undeclared hostNetwork workloads running there are declared with a justification or changed.
    /// </remarks>
    internal static AuditNamespace Flatten(NamespacePolicyResult result, bool live, IReadOnlyDictionary<string, NamespaceIdentities>? identities, IReadOnlyList<string>? undeclared = null, string exemptionPath = "<exemptions file>", LabelFix? label = null)
    {
        static string? Join(PolicyFinding[] findings) => findings.Length == 0 ? null : string.Join("; ", findings.Select(f => f.ShortName).Distinct(StringComparer.Ordinal));

        string? remediation = null;
        string? fix = null;
        if (result.Status == PolicyStatus.NonCompliant && label is { Applies: true })
        {
            fix = AuditFix.PodSecurityLabel;
            remediation = FixAdvisor.LabelCommand(result.Context, result.Namespace, live, label);
        }
        else if (result.Status == PolicyStatus.NonCompliant)
        {
            fix = AuditFix.TargetedPolicy;
            var command = live
                ? $"Set-HostNetworkPolicy -Context {Quote(result.Context)} -ExemptionPath {exemptionPath} -WhatIf"
                : $"New-HostNetworkPolicyManifest -Path hostnetwork-policy.yaml -ExemptionPath {exemptionPath}, then apply the manifest";
            remediation = undeclared is { Count: > 0 }
                ? $"Declare with a justification in the exemptions file, or change to run without hostNetwork: {string.Join(", ", undeclared)}; then {command}"
                : label?.WhyNot is { } why ? $"{command} (not a Pod Security label: {why})" : command;
        }

        var reason = result.Reason;
        var who = identities?.GetValueOrDefault(result.Namespace);
        if (who is { Undeclared.Count: > 0 })
        {
            var named = string.Join(", ", who.Undeclared.Take(5)) + (who.Undeclared.Count > 5 ? $" and {who.Undeclared.Count - 5} more" : string.Empty);
            reason += $" {who.Undeclared.Count} identit{(who.Undeclared.Count == 1 ? "y" : "ies")} not declared in an identities section can get a hostNetwork pod admitted here: {named}.";
        }

        return new AuditNamespace
        {
            Context = result.Context,
            Namespace = result.Namespace,
            Status = result.Status,
            Compliant = result.Status == PolicyStatus.Compliant,
            EnforcedBy = Join(result.EnforcedBy),
            AuditOnly = Join(result.AuditOnly),
            PodSecurity = result.PodSecurity,
            PodSecuritySource = result.PodSecuritySource,
            HostNetworkPodCount = result.HostNetworkPodCount ?? 0,
            Justification = result.Exemption,
            Reason = reason,
            Remediation = remediation,
            Fix = fix,
            IdentityCount = who?.All.Count,
            Identities = who?.All.ToArray() ?? Array.Empty<string>(),
            UndeclaredIdentities = who?.Undeclared.ToArray() ?? Array.Empty<string>(),
        };
    }

    private static string Quote(string value) => FixAdvisor.Quote(value);
}

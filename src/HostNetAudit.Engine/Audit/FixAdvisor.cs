using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Engine.PodSecurity;

namespace HostNetAudit.Engine.Audit;

/// <summary>
/// Whether a failing namespace's fix is a Pod Security label: <see cref="Applies"/> when Set-NamespacePodSecurity
/// -Level Baseline would apply it without -Force (<see cref="Labels"/> then holds the labels it sets, as
/// "enforce,warn,audit=baseline"); otherwise <see cref="WhyNot"/> says why the targeted policy is the fix.
/// </summary>
internal sealed record LabelFix(bool Applies, string? Labels, string? WhyNot, IReadOnlyDictionary<string, string>? DesiredPsa = null)
{
    public static LabelFix No(string why) => new(false, null, why);
}

/// <summary>
/// The one place that decides a failing namespace's fix: a Pod Security label where Set-NamespacePodSecurity would
/// apply it without -Force, else the targeted policy. It asks the same questions as that command's preview, with
/// the same code (<see cref="RemediationRules"/> for the labels, <see cref="ViolationInventory"/> and
/// <see cref="PodSecurityChecks"/> for what baseline would refuse), so the recommendation and the command agree by
/// construction. Only namespaces that run no hostNetwork pods or templates are candidates: baseline refuses those.
/// </summary>
internal static class FixAdvisor
{
    /// <summary>The Set-NamespacePodSecurity request the audit recommends for <paramref name="ns"/> (named literally).</summary>
    public static PodSecurityRequest LabelRequest(string ns) => new()
    {
        Namespace = ns,
        Operation = PodSecurityOperation.Set,
        Level = PodSecurityLevel.Baseline,
        Modes = PodSecurityRequest.DefaultModes,
        SystemNamespaceNamed = true,
    };

    /// <summary>
    /// Per failing namespace without hostNetwork pods or templates, whether the label applies; <paramref name="inventory"/>
    /// lists what the new enforce levels would refuse (a cluster: the read-only lists; files: the evidence). A namespace
    /// whose inventory cannot be read gets the targeted policy, with the reason.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, LabelFix>> DecideAsync(
        PolicyInputs inputs,
        PodSecurityConfiguration? psa,
        IReadOnlyList<NamespaceFindings> results,
        IEnumerable<HostNetworkWorkload> workloads,
        Func<IReadOnlyDictionary<string, EnforceTarget>, CancellationToken, Task<Dictionary<string, NamespaceViolations>>> inventory,
        IEngineLog log,
        CancellationToken cancellationToken)
    {
        var fixes = new Dictionary<string, LabelFix>(StringComparer.Ordinal);
        var hostNetwork = inputs.HostNetworkPodObjects.Select(p => p.Namespace).Concat(workloads.Select(w => w.Namespace)).ToHashSet(StringComparer.Ordinal);
        var minor = RemediationRules.ServerMinor(inputs.ServerVersion);
        var podSecurity = new PodSecurityEvaluator(inputs, psa); // reads the webhooks once, not per namespace
        var targets = new Dictionary<string, EnforceTarget>(StringComparer.Ordinal);
        var planned = new Dictionary<string, (Dictionary<string, string> Current, Dictionary<string, string> Desired)>(StringComparer.Ordinal);
        foreach (var result in results.Where(r => r.Status == NamespaceStatus.NonCompliant))
        {
            var ns = result.Namespace.Name;
            if (hostNetwork.Contains(ns))
            {
                continue; // baseline refuses them: the targeted policy, naming the undeclared ones
            }

            if (inputs.HostNetworkPods is null)
            {
                fixes[ns] = LabelFix.No("the hostNetwork pods could not be listed, so a Pod Security label might refuse some");
                continue;
            }

            if (result.PodSecuritySource == PodSecuritySource.ConfigurationExemption)
            {
                fixes[ns] = LabelFix.No("the PodSecurity admission configuration exempts this namespace, so a Pod Security label would not be enforced");
                continue;
            }

            var current = PsaLabels.PsaOnly(result.Namespace.Labels);
            var desired = RemediationRules.DesiredForSet(current, LabelRequest(ns), out _);
            if (RemediationRules.NewEnforceTarget(current, desired, minor) is not { } target)
            {
                fixes[ns] = LabelFix.No("a Pod Security label at baseline would not tighten its enforce level");
                continue;
            }

            if (WhyLabelWouldNotClose(podSecurity, inputs.Context, result.Namespace, desired) is { } why)
            {
                fixes[ns] = LabelFix.No(why);
                continue;
            }

            targets[ns] = target;
            planned[ns] = (current, desired);
        }

        if (targets.Count == 0)
        {
            return fixes;
        }

        Dictionary<string, NamespaceViolations> found;
        try
        {
            found = await inventory(targets, cancellationToken).ConfigureAwait(false);
        }
        catch (HostNetAuditException ex)
        {
            log.Warning($"Context '{inputs.Context}': what Pod Security baseline would refuse cannot be listed ({ex.Message}); the fix recommended is the targeted policy.");
            foreach (var ns in targets.Keys)
            {
                fixes[ns] = LabelFix.No($"what baseline would refuse here could not be listed ({ex.Message})");
            }

            return fixes;
        }

        foreach (var (ns, target) in targets)
        {
            var violations = found.GetValueOrDefault(ns) ?? new NamespaceViolations();
            if (violations.Errors.Count > 0)
            {
                fixes[ns] = LabelFix.No($"what baseline would refuse here could not be listed ({violations.Errors[0].Message})");
            }
            else if (violations.Items.Count > 0)
            {
                var items = violations.Items;
                var first = WorkloadLines(items).FirstOrDefault();
                fixes[ns] = LabelFix.No($"a Pod Security label would refuse {RemediationRules.CountPhrase(items)} of {RemediationRules.Workloads(items)} that {RemediationRules.Violate(items)} {target.Target} (first: {first})");
            }
            else
            {
                var (current, desired) = planned[ns];
                var added = desired.Where(l => !current.TryGetValue(l.Key, out var was) || was != l.Value).ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
                fixes[ns] = new LabelFix(true, RemediationRules.CompactChanges(current, desired), null, added);
            }
        }

        return fixes;
    }

    /// <summary>The label recommendation: the command live, the labels to set in the Namespace manifest offline.</summary>
    public static string LabelCommand(string context, string ns, bool live, LabelFix fix)
    {
        if (live)
        {
            return $"Set-NamespacePodSecurity -Context {Quote(context)} -Namespace {ns} -Level Baseline -WhatIf";
        }

        var labels = string.Join(", ", (fix.DesiredPsa ?? new Dictionary<string, string>()).OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}: {k.Value}"));
        return $"Label namespace {ns} in its manifest: {labels}";
    }

    /// <summary>
    /// Null when the namespace, labelled as Set-NamespacePodSecurity would label it, is Compliant by Pod Security
    /// Admission as the audit judges it; else why not (a server without the admission plugin, exempt usernames or
    /// runtime classes in the admission configuration): a label that is not enforced is no fix.
    /// </summary>
    private static string? WhyLabelWouldNotClose(PodSecurityEvaluator podSecurity, string context, NamespaceInfo ns, IReadOnlyDictionary<string, string> desired)
    {
        var labels = ns.Labels.Where(l => !l.Key.StartsWith(PodSecurityEvaluator.Prefix, StringComparison.Ordinal)).Concat(desired)
            .ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
        var labelled = new NamespaceInfo(ns.Name, labels, ns.Object, ns.Source);
        var findings = new NamespaceFindings(labelled, context);
        podSecurity.Evaluate(labelled, findings);
        if (findings.EnforcedBy.Any(f => f.Engine == PolicyEngine.PodSecurityAdmission))
        {
            return null;
        }

        var finding = findings.Conditional.Concat(findings.Unknown).Concat(findings.Informational).FirstOrDefault(f => f.Engine == PolicyEngine.PodSecurityAdmission);
        var why = finding is null ? null : finding.WhyNotApplied ?? finding.WhichPods ?? finding.Sentence;
        return $"a Pod Security label at baseline would not close the gap here ({why ?? "Pod Security Admission would not enforce it"})";
    }

    public static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static IEnumerable<string> WorkloadLines(IEnumerable<PodSecurityViolation> items) =>
        RemediationRules.Grouped(items).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine.Policy;

/// <summary>The policy steps every evidence source takes (EvidenceSource): configuration, evaluation, absent namespaces.</summary>
internal static class NamespacePolicyService
{
    /// <summary>Reads -AdmissionConfiguration and -ExemptionPath (errors are terminating: the user's intent cannot be honoured).</summary>
    public static (PodSecurityConfiguration? Psa, ExemptionSet Exemptions) LoadConfiguration(NamespacePolicyQuery query, IEngineLog log)
    {
        var psa = query.AdmissionConfigurationPath is null ? null : PodSecurityConfiguration.Load(query.AdmissionConfigurationPath);
        if (psa is not null)
        {
            log.Verbose($"PodSecurity configuration from '{psa.Source}': enforce {psa.Enforce}, warn {psa.Warn}, audit {psa.Audit}; exempt namespaces: {psa.ExemptNamespaces.Count}, usernames: {psa.ExemptUsernames.Count}, runtime classes: {psa.ExemptRuntimeClasses.Count}.");
        }

        var exemptions = query.ExemptionPaths.Count == 0 ? ExemptionSet.Empty : ExemptionSet.Load(query.ExemptionPaths, log, DateTimeOffset.UtcNow);
        if (exemptions.Entries.Count > 0)
        {
            log.Verbose($"{exemptions.Entries.Count} declared exemption(s) from {string.Join(", ", query.ExemptionPaths)}.");
        }

        return (psa, exemptions);
    }

    /// <summary>Every selected namespace's verdict; a literal namespace that is absent is reported (NamespaceNotFound).</summary>
    public static List<NamespaceFindings> Evaluate(PolicyInputs inputs, NamespacePolicyQuery query, PodSecurityConfiguration? psa, ExemptionSet exemptions, IEngineLog log, CancellationToken cancellationToken)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var evaluator = new NamespacePolicyEvaluator(inputs, psa, exemptions, log);
        var prepared = stopwatch.ElapsedMilliseconds;
        var results = evaluator.Evaluate(query.NamespaceFilter, cancellationToken);
        log.Verbose($"{inputs.Context}: policies judged in {prepared} ms, {results.Count} namespace(s) evaluated in {stopwatch.ElapsedMilliseconds - prepared} ms ({evaluator.Timings}).");
        ReportMissing(inputs, query, log);
        log.Verbose($"{inputs.Context}: {results.Count} namespace(s) evaluated: " + string.Join(", ", results.GroupBy(r => r.Status.ToString()).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}")) + ".");
        return results;
    }

    private static void ReportMissing(PolicyInputs inputs, NamespacePolicyQuery query, IEngineLog log)
    {
        var present = new HashSet<string>(inputs.Namespaces.Select(n => n.Name), StringComparer.Ordinal);
        foreach (var name in query.Namespaces.Distinct(StringComparer.Ordinal))
        {
            if (!present.Contains(name) && (query.NamespaceFilter is null || query.NamespaceFilter(name)))
            {
                log.Error(new HostNetAuditException(
                    "NamespaceNotFound",
                    FailureCategory.ObjectNotFound,
                    name,
                    inputs.Live
                        ? $"The namespace '{name}' does not exist in context '{inputs.Context}'."
                        : $"The namespace '{name}' is not among the Namespace objects of the offline evidence."));
            }
        }
    }
}

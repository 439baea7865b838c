namespace HostNetAudit.Abstractions;

/// <summary>
/// What Test-NamespacePolicy and Invoke-HostNetworkAudit ask an evidence source: which namespaces, which
/// configuration, probe or not. A record: one resolved configuration serves every source, each with its namespaces.
/// </summary>
internal sealed record NamespacePolicyQuery
{
    /// <summary>Namespaces named literally on the command line or the pipeline (an absent one is reported).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = Array.Empty<string>();

    /// <summary>Which namespace names to evaluate (wildcards, exclusions), decided by the cmdlet; null = all.</summary>
    public Func<string, bool>? NamespaceFilter { get; init; }

    /// <summary>An AdmissionConfiguration or PodSecurityConfiguration file (YAML or JSON, bare or in a ConfigMap);
    /// null = the built-in default (privileged) is assumed, and the results say so.</summary>
    public string? AdmissionConfigurationPath { get; init; }

    /// <summary>Exemptions files (HostNetworkExemptions, YAML or JSON).</summary>
    public IReadOnlyList<string> ExemptionPaths { get; init; } = Array.Empty<string>();

    /// <summary>Dry-run creates of the reference pod and its twin in every evaluated namespace.</summary>
    public bool Probe { get; init; }

    /// <summary>Concurrent probe requests.</summary>
    public int ProbeParallelism { get; init; } = 8;

    /// <summary>Objects per list request.</summary>
    public int PageSize { get; init; } = 500;
}

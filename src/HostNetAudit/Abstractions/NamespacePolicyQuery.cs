namespace HostNetAudit.Abstractions;

/// <summary>What Test-NamespacePolicy asks the engine: which namespaces, which configuration, probe or not.</summary>
public sealed class NamespacePolicyQuery
{
    /// <summary>Namespaces named literally on the command line or the pipeline (an absent one is reported).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = Array.Empty<string>();

    /// <summary>Which namespace names to evaluate (wildcards, exclusions), decided by the cmdlet; null = all.</summary>
    public Func<string, bool>? NamespaceFilter { get; init; }

    /// <summary>An AdmissionConfiguration or PodSecurityConfiguration file (YAML or JSON, bare or in a ConfigMap).</summary>
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

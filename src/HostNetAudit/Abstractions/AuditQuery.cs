namespace HostNetAudit.Abstractions;

/// <summary>What Invoke-HostNetworkAudit asks the engine for one cluster (or one set of offline evidence).</summary>
public sealed class AuditQuery
{
    /// <summary>Namespaces named literally on the command line (one that does not exist is reported).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = Array.Empty<string>();

    /// <summary>Which namespace names to evaluate (wildcards, exclusions), decided by the cmdlet; null = all.</summary>
    public Func<string, bool>? NamespaceFilter { get; init; }

    /// <summary>An AdmissionConfiguration or PodSecurityConfiguration file; null = the built-in default is assumed.</summary>
    public string? AdmissionConfigurationPath { get; init; }

    /// <summary>Exemptions files (HostNetworkExemptions).</summary>
    public IReadOnlyList<string> ExemptionPaths { get; init; } = Array.Empty<string>();

    /// <summary>Verify each namespace's verdict with dry-run creates (live only).</summary>
    public bool Probe { get; init; }

    public int ProbeParallelism { get; init; } = 8;

    public int PageSize { get; init; } = 500;

    /// <summary>The module version the report names.</summary>
    public string ModuleVersion { get; init; } = string.Empty;

    /// <summary>The policy query the audit runs.</summary>
    public NamespacePolicyQuery ToPolicyQuery() => new()
    {
        Namespaces = Namespaces,
        NamespaceFilter = NamespaceFilter,
        AdmissionConfigurationPath = AdmissionConfigurationPath,
        ExemptionPaths = ExemptionPaths,
        Probe = Probe,
        ProbeParallelism = ProbeParallelism,
        PageSize = PageSize,
    };
}

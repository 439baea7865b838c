namespace HostNetAudit;

/// <summary>Formats of Export-HostNetworkAuditReport.</summary>
public enum ReportFormat
{
    /// <summary>One self-contained HTML file for people.</summary>
    Html,

    /// <summary>The reports as JSON (documented in docs/report-format.md).</summary>
    Json,

    /// <summary>One row per namespace.</summary>
    Csv,

    /// <summary>JUnit XML: a test suite per cluster, a test case per namespace.</summary>
    JUnit,

    /// <summary>SARIF 2.1.0: a run per cluster, a result per namespace that keeps the control from passing.</summary>
    Sarif,
}

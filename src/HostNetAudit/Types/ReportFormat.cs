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

    /// <summary>Kubernetes policy reports (wgpolicyk8s.io/v1alpha2, what Kyverno writes and Policy Reporter reads) as
    /// multi-document YAML for kubectl apply: a ClusterPolicyReport of namespace verdicts, a PolicyReport per namespace
    /// of hostNetwork workloads.</summary>
    PolicyReport,

    /// <summary>The same as OpenReports (openreports.io/v1alpha1 ClusterReport and Report), the policy reports' successor.</summary>
    OpenReports,
}

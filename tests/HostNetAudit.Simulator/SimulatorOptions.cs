using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Infrastructure;

namespace HostNetAudit.Simulator;

/// <summary>How the simulated apiserver behaves.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Serve fieldSelector=spec.hostNetwork (Kubernetes 1.28+); false answers "field label not supported" like older servers.</summary>
    public bool HostNetworkFieldSelector { get; set; } = true;

    /// <summary>
    /// Objects a selector list scans per page before it answers (null = until the page is full). A small
    /// value makes sparse selectors return short or empty pages with a continue token, as etcd-backed lists can.
    /// </summary>
    public int? PageScanLimit { get; set; }

    /// <summary>The bearer token the default user authenticates with.</summary>
    public string Token { get; set; } = "sim-" + Guid.NewGuid().ToString("N");

    /// <summary>The user the token authenticates as.</summary>
    public string User { get; set; } = "system:serviceaccount:hostnetaudit:auditor";

    /// <summary>PSA checks at most this many existing pods on an enforce-label change (the apiserver's 3,000).</summary>
    public int ExistingPodCheckLimit { get; set; } = 3000;

    /// <summary>
    /// PSA's cluster defaults and exemptions, as an AdmissionConfiguration's PodSecurityConfiguration sets them
    /// (built-in: privileged:latest everywhere, nothing exempt). Set from --psa-* arguments or POST /_sim/options.
    /// </summary>
    public PodSecurityConfiguration PodSecurity { get; set; } = new();

    /// <summary>Emulate the PodSecurity admission plugin: null follows the server version (on from v1.23, as in Kubernetes).</summary>
    public bool? PodSecurityAdmission { get; set; }

    /// <summary>PSA's time budget for checking existing pods on an enforce-label change (the apiserver's 1 s).</summary>
    public int ExistingPodCheckTimeoutMilliseconds { get; set; } = 1000;

    /// <summary>
    /// Simulated time each existing pod's evaluation takes, making the budget deterministic (null: real time).
    /// With 0 the budget never runs out; with the timeout at 0 only the first pod is checked.
    /// </summary>
    public double? ExistingPodCheckCostMilliseconds { get; set; }

    /// <summary>The certificate the HTTPS listener presents from the next TLS handshake on (POST /_sim/options servingCertificate).</summary>
    public ServingCertificate ServingCertificate { get; set; } = ServingCertificate.Standard;

    /// <summary>Largest list page the server accepts.</summary>
    public int MaxLimit { get; set; } = 10000;
}

using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Infrastructure;

namespace HostNetAudit.Simulator;

/// <summary>How the simulated apiserver behaves.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Answer /apis with aggregated discovery (every group's resources at once) when the client asks and the version serves it; false: only the legacy group list, as older servers.</summary>
    public bool AggregatedDiscovery { get; set; } = true;

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

    /// <summary>A bearer token for <see cref="AdminUser"/> in system:masters, which RBAC never refuses (kubectl's cluster-admin).</summary>
    public string AdminToken { get; set; } = "sim-admin-" + Guid.NewGuid().ToString("N");

    public string AdminUser { get; set; } = "kubernetes-admin";

    /// <summary>
    /// Authorize every request with the simulator's RBAC authorizer (system:masters first), as a real apiserver
    /// does. Off by default: requests are refused only by deny rules (/_sim/deny). Impersonation and
    /// SubjectAccessReviews always use RBAC.
    /// </summary>
    public bool EnforceRbac { get; set; }

    /// <summary>Store the apiserver's bootstrap RBAC (cluster-admin, system:discovery, system:basic-user, admin/edit/view ...) at start.</summary>
    public bool BootstrapRbac { get; set; } = true;

    /// <summary>
    /// Round-trip time to the cluster, for fleet benchmarks: every API request waits this long before it is answered,
    /// and a new HTTPS connection twice as long before its first request (TCP and TLS 1.3 setup).
    /// </summary>
    public int LatencyMilliseconds { get; set; }

    /// <summary>
    /// The next this many new HTTPS connections are accepted but never answered (no TLS handshake) until the client
    /// gives up, as a server or network that stalls connection set-up; counts down as connections arrive.
    /// </summary>
    public int StallConnections
    {
        get => Volatile.Read(ref stallConnections);
        set => Volatile.Write(ref stallConnections, value);
    }

    private int stallConnections;

    /// <summary>Takes one of <see cref="StallConnections"/>, if any is left.</summary>
    public bool TakeStalledConnection()
    {
        while (true)
        {
            var left = Volatile.Read(ref stallConnections);
            if (left <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref stallConnections, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    /// <summary>Apply ValidatingAdmissionPolicies to writes (where the API is served: 1.28+); false leaves admission to what scenarios declare.</summary>
    public bool? ValidatingAdmissionPolicyAdmission { get; set; }

    /// <summary>How long the policy controller takes to write a ValidatingAdmissionPolicy's status (0: at once).</summary>
    public int PolicyStatusDelayMilliseconds { get; set; }

    /// <summary>Type-checking warnings the status of matching policies reports besides the simulator's own schema check.</summary>
    public List<InjectedTypeCheckWarning> TypeCheckWarnings { get; set; } = new();

    /// <summary>CustomResourceDefinition files or folders (YAML) installed at start, read in place.</summary>
    public List<string> CustomResourceDefinitionPaths { get; set; } = new();
}

/// <summary>A type-checking warning a test injects into ValidatingAdmissionPolicy status.</summary>
public sealed class InjectedTypeCheckWarning
{
    /// <summary>Policy name (wildcards * and ?).</summary>
    public string Policy { get; set; } = "*";

    public string FieldRef { get; set; } = "spec.validations[0].expression";

    public string Warning { get; set; } = string.Empty;
}

using System.Security;

namespace HostNetAudit.Abstractions;

/// <summary>How the user asked to reach clusters.</summary>
internal enum ConnectionMode
{
    /// <summary>A kubeconfig file (explicit, $KUBECONFIG, ~/.kube/config), falling back to in-cluster.</summary>
    KubeConfig,

    /// <summary>A server URL and bearer token, no kubeconfig file (Azure Automation runbooks).</summary>
    Token,

    /// <summary>The pod's service account.</summary>
    InCluster,
}

/// <summary>
/// What the connection parameters of a cluster cmdlet say. Built on the pipeline thread by the base cmdlet.
/// </summary>
internal sealed class ConnectionRequest
{
    public ConnectionMode Mode { get; init; } = ConnectionMode.KubeConfig;

    /// <summary>-KubeConfig as given (a path or a path list); null means $KUBECONFIG then ~/.kube/config.</summary>
    public string? KubeConfigPath { get; init; }

    /// <summary>The current directory of the session, used to resolve relative paths.</summary>
    public string? WorkingDirectory { get; init; }

    public Uri? Server { get; init; }

    public SecureString? Token { get; init; }

    /// <summary>Path to a PEM CA bundle.</summary>
    public string? CertificateAuthorityPath { get; init; }

    /// <summary>Base64 PEM (as in a kubeconfig's certificate-authority-data) or PEM text.</summary>
    public string? CertificateAuthorityData { get; init; }

    /// <summary>Turns TLS verification off; only when the user asked.</summary>
    public bool SkipTlsVerify { get; init; }

    /// <summary>Sends a bearer token (or password) to a plain-HTTP server; refused (InsecureTokenTransport) unless the user asked.</summary>
    public bool AllowInsecureTokenTransport { get; init; }

    /// <summary>The label records carry as Context in token mode.</summary>
    public string? ClusterName { get; init; }

    /// <summary>Timeout of each API request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The User-Agent of every request: "HostNetAudit/&lt;version&gt; (&lt;cmdlet&gt;)", so audit logs show who asked.</summary>
    public string? UserAgent { get; init; }
}

/// <summary>The contexts a kubeconfig (or other source) offers.</summary>
internal sealed class KubeConfigInfo
{
    public KubeConfigInfo(IReadOnlyList<string> contexts, string? currentContext, IReadOnlyList<string> files, object? handle, bool inCluster = false)
    {
        Contexts = contexts;
        CurrentContext = currentContext;
        Files = files;
        Handle = handle;
        InCluster = inCluster;
    }

    /// <summary>No kubeconfig exists but the process runs in a pod: use the service account, as kubectl does.</summary>
    public bool InCluster { get; }

    /// <summary>Context names in file order.</summary>
    public IReadOnlyList<string> Contexts { get; }

    public string? CurrentContext { get; }

    /// <summary>The files that were read, in merge order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Engine-private state (the loaded configuration).</summary>
    public object? Handle { get; }
}

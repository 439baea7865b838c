using System.Management.Automation;
using System.Security;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// What every cluster cmdlet shares: the connection parameters (kubeconfig and contexts, token and
/// server, in-cluster), lazy per-context sessions, cancellation on Ctrl+C, and the bridge that writes
/// the engine's messages on the pipeline thread.
/// </summary>
public abstract class HostNetAuditCmdlet : PSCmdlet, IDisposable
{
    protected const string KubeConfigSet = "KubeConfig";
    protected const string TokenSet = "Token";
    protected const string InClusterSet = "InCluster";
    protected const string PathSet = "Path";

    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, IClusterSession> sessions = new(StringComparer.Ordinal);
    private KubeConfigInfo? kubeConfig;
    private EngineBridge? bridge;
    private bool disposed;

    /// <summary>Path of the kubeconfig file (or a list separated by the platform's path separator).
    /// Default: $env:KUBECONFIG, then ~/.kube/config.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [ValidateNotNullOrEmpty]
    public string? KubeConfig { get; set; }

    /// <summary>Kubeconfig contexts to use (wildcards); several = several clusters. Default: the current context.</summary>
    [Parameter(ParameterSetName = KubeConfigSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string[]? Context { get; set; }

    /// <summary>API server URL, for token authentication without a kubeconfig file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TokenSet)]
    [ValidateNotNull]
    public Uri? Server { get; set; }

    /// <summary>Bearer token (SecureString, or a string that is converted to one).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TokenSet)]
    [ValidateNotNull]
    [SecureStringTransformation]
    public SecureString? Token { get; set; }

    /// <summary>Path of a PEM file with the cluster's certificate authority.</summary>
    [Parameter(ParameterSetName = TokenSet)]
    [ValidateNotNullOrEmpty]
    public string? CertificateAuthority { get; set; }

    /// <summary>The cluster's certificate authority as base64 PEM (a kubeconfig's certificate-authority-data) or PEM text.</summary>
    [Parameter(ParameterSetName = TokenSet)]
    [ValidateNotNullOrEmpty]
    public string? CertificateAuthorityData { get; set; }

    /// <summary>The name records carry as Context in token mode. Default: the server's host and port.</summary>
    [Parameter(ParameterSetName = TokenSet)]
    [ValidateNotNullOrEmpty]
    public string? ClusterName { get; set; }

    /// <summary>Use the pod's service account (in-cluster configuration).</summary>
    [Parameter(Mandatory = true, ParameterSetName = InClusterSet)]
    public SwitchParameter InCluster { get; set; }

    /// <summary>Turns TLS certificate verification off. Only for test clusters.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = InClusterSet)]
    public SwitchParameter SkipTlsVerify { get; set; }

    /// <summary>Timeout of each API request, in seconds.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = InClusterSet)]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    protected CancellationToken CancelToken => stopping.Token;

    internal EngineBridge Bridge => bridge ??= new EngineBridge(this);

    internal static IHostNetAuditEngine Engine => EngineLoader.Engine;

    /// <summary>True when the cmdlet reads offline evidence instead of a cluster.</summary>
    protected bool IsOffline => ParameterSetName == PathSet;

    protected override void StopProcessing() => stopping.Cancel();

    protected override void EndProcessing()
    {
        bridge?.Drain();
        base.EndProcessing();
    }

    /// <summary>
    /// The sessions the current record names: one per context matching -Context (bound now, which may be
    /// from the pipeline), or the token / in-cluster session. Opened lazily and cached per context.
    /// Failures to resolve a context are written as errors (terminating when nothing can be reached).
    /// </summary>
    protected IReadOnlyList<IClusterSession> GetSessions()
    {
        try
        {
            return ResolveSessions();
        }
        catch (HostNetAuditException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
            throw; // unreachable
        }
    }

    /// <summary>
    /// Runs work against each session. With one cluster a failure is terminating; with several, it is
    /// written as an error and the next cluster goes on.
    /// </summary>
    protected void ForEachCluster(IReadOnlyList<IClusterSession> targets, Action<IClusterSession> work) =>
        ForEachCluster(targets, work, severalClusters: targets.Count > 1);

    /// <summary>As above; <paramref name="severalClusters"/> says whether the run as a whole reaches more than one
    /// cluster (cmdlets that collect input call this once per cluster).</summary>
    protected void ForEachCluster(IReadOnlyList<IClusterSession> targets, Action<IClusterSession> work, bool severalClusters)
    {
        foreach (var session in targets)
        {
            try
            {
                work(session);
            }
            catch (HostNetAuditException ex) when (severalClusters)
            {
                Bridge.Drain();
                WriteError(ErrorRecords.From(ex));
            }
            catch (HostNetAuditException ex)
            {
                Bridge.Drain();
                ThrowTerminatingError(ErrorRecords.From(ex));
            }
            catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Builds the engine's view of the connection parameters.</summary>
    internal ConnectionRequest BuildConnectionRequest() => new()
    {
        Mode = ParameterSetName switch
        {
            TokenSet => ConnectionMode.Token,
            InClusterSet => ConnectionMode.InCluster,
            _ => ConnectionMode.KubeConfig,
        },
        KubeConfigPath = KubeConfig is null ? null : ResolvePath(KubeConfig),
        WorkingDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath,
        Server = Server,
        Token = Token,
        CertificateAuthorityPath = CertificateAuthority is null ? null : GetUnresolvedProviderPathFromPSPath(CertificateAuthority),
        CertificateAuthorityData = CertificateAuthorityData,
        SkipTlsVerify = SkipTlsVerify.IsPresent,
        ClusterName = ClusterName,
        RequestTimeout = TimeSpan.FromSeconds(TimeoutSec),
        UserAgent = UserAgent,
    };

    /// <summary>"HostNetAudit/0.1.0 (Get-HostNetworkPod)".</summary>
    internal string UserAgent =>
        $"HostNetAudit/{typeof(HostNetAuditCmdlet).Assembly.GetName().Version?.ToString(3)} ({MyInvocation?.MyCommand?.Name ?? GetType().Name})";

    /// <summary>Resolves a path list (platform path separator) against the session's current location.</summary>
    private string ResolvePath(string pathList) =>
        string.Join(
            Path.PathSeparator,
            pathList.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(p => GetUnresolvedProviderPathFromPSPath(p.Trim())));

    private List<IClusterSession> ResolveSessions()
    {
        var request = BuildConnectionRequest();
        if (request.Mode != ConnectionMode.KubeConfig)
        {
            var key = "\0" + request.Mode;
            if (!sessions.TryGetValue(key, out var single))
            {
                single = Engine.OpenSession(request, null, null, Bridge);
                sessions[key] = single;
            }

            return new List<IClusterSession> { single };
        }

        kubeConfig ??= Engine.LoadKubeConfig(request);
        if (kubeConfig.InCluster)
        {
            // No kubeconfig anywhere, but running in a pod: the engine chose the in-cluster configuration.
            var key = "\0in-cluster";
            if (!sessions.TryGetValue(key, out var inCluster))
            {
                inCluster = Engine.OpenSession(new ConnectionRequest
                {
                    Mode = ConnectionMode.InCluster,
                    SkipTlsVerify = request.SkipTlsVerify,
                    RequestTimeout = request.RequestTimeout,
                    UserAgent = request.UserAgent,
                }, null, null, Bridge);
                sessions[key] = inCluster;
            }

            return new List<IClusterSession> { inCluster };
        }

        var names = SelectContexts(kubeConfig, Context);
        var result = new List<IClusterSession>(names.Count);
        foreach (var name in names)
        {
            if (!sessions.TryGetValue(name, out var session))
            {
                session = Engine.OpenSession(request, kubeConfig, name, Bridge);
                sessions[name] = session;
            }

            result.Add(session);
        }

        return result;
    }

    private List<string> SelectContexts(KubeConfigInfo info, string[]? patterns)
    {
        var files = string.Join(Path.PathSeparator, info.Files);
        if (patterns is null || patterns.Length == 0)
        {
            if (string.IsNullOrEmpty(info.CurrentContext))
            {
                throw new HostNetAuditException(
                    "NoCurrentContext",
                    FailureCategory.InvalidArgument,
                    files,
                    $"The kubeconfig '{files}' sets no current-context. Name one with -Context (contexts: {string.Join(", ", info.Contexts)}).");
            }

            if (!info.Contexts.Contains(info.CurrentContext, StringComparer.Ordinal))
            {
                throw new HostNetAuditException(
                    "ContextNotFound",
                    FailureCategory.ObjectNotFound,
                    info.CurrentContext,
                    $"The current-context '{info.CurrentContext}' is not defined in the kubeconfig '{files}'.");
            }

            return new List<string> { info.CurrentContext };
        }

        var selected = new List<string>();
        foreach (var pattern in patterns)
        {
            if (WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                selected.AddRange(info.Contexts.Where(c => wildcard.IsMatch(c) && !selected.Contains(c, StringComparer.Ordinal)));
                continue;
            }

            var match = info.Contexts.FirstOrDefault(c => string.Equals(c, pattern, StringComparison.Ordinal))
                ?? info.Contexts.FirstOrDefault(c => string.Equals(c, pattern, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                throw new HostNetAuditException(
                    "ContextNotFound",
                    FailureCategory.ObjectNotFound,
                    pattern,
                    $"The context '{pattern}' is not defined in the kubeconfig '{files}'. Contexts: {string.Join(", ", info.Contexts)}.");
            }

            if (!selected.Contains(match, StringComparer.Ordinal))
            {
                selected.Add(match);
            }
        }

        if (selected.Count == 0)
        {
            WriteWarning($"No context in '{files}' matches '{string.Join("', '", patterns)}'.");
        }

        return selected;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (disposing)
        {
            foreach (var session in sessions.Values)
            {
                session.Dispose();
            }

            sessions.Clear();
            stopping.Dispose();
        }
    }
}

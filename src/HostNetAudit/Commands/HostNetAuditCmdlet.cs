using System.Management.Automation;
using System.Security;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// What every cluster cmdlet shares: the connection parameters (kubeconfig and contexts, token and
/// server, in-cluster), the evidence sources they name (from <see cref="EvidenceSourceFactory"/>), cancellation
/// on Ctrl+C, and the bridge that writes the engine's messages on the pipeline thread.
/// </summary>
public abstract class HostNetAuditCmdlet : PSCmdlet, IDisposable
{
    internal const string KubeConfigSet = "KubeConfig";
    internal const string TokenSet = "Token";
    internal const string InClusterSet = "InCluster";
    internal const string PathSet = "Path";
    internal const string LiteralPathSet = "LiteralPath";

    private readonly CancellationTokenSource stopping = new();
    private readonly HashSet<string> written = new(StringComparer.Ordinal);

    // -LiteralPath values piped in by property name (Get-ChildItem | ...): read together, as one source, at the end,
    // so an owner or a policy in one file counts for the pods and namespaces of another.
    private readonly List<string> pipedPaths = new();
    private Action<IReadOnlyList<IEvidenceSource>>? streamPiped;
    private bool literalPathOnCommandLine;
    private EvidenceSourceFactory? sources;
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
    public virtual Uri? Server { get; set; }

    /// <summary>Bearer token (SecureString, or a string that is converted to one).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TokenSet)]
    [ValidateNotNull]
    [SecureStringTransformation]
    public virtual SecureString? Token { get; set; }

    /// <summary>Path of a PEM file with the cluster's certificate authority.</summary>
    [Parameter(ParameterSetName = TokenSet)]
    [ValidateNotNullOrEmpty]
    public string? CertificateAuthority { get; set; }

    /// <summary>The cluster's certificate authority as base64 PEM (a kubeconfig's certificate-authority-data) or PEM text.</summary>
    [Parameter(ParameterSetName = TokenSet)]
    [ValidateNotNullOrEmpty]
    public virtual string? CertificateAuthorityData { get; set; }

    /// <summary>The name records carry as Context in token mode. Default: the server's host and port.</summary>
    [Parameter(ParameterSetName = TokenSet)]
    [ValidateNotNullOrEmpty]
    public virtual string? ClusterName { get; set; }

    /// <summary>Use the pod's service account (in-cluster configuration).</summary>
    [Parameter(Mandatory = true, ParameterSetName = InClusterSet)]
    public SwitchParameter InCluster { get; set; }

    /// <summary>Turns TLS certificate verification off. Only for test clusters.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = InClusterSet)]
    public SwitchParameter SkipTlsVerify { get; set; }

    /// <summary>Sends a bearer token (or password) to a plain-HTTP server, in clear. Refused without it. Only for test clusters.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    public SwitchParameter AllowInsecureTokenTransport { get; set; }

    /// <summary>Timeout of each API request, in seconds.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = InClusterSet)]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    internal CancellationToken CancelToken => stopping.Token;

    internal EngineBridge Bridge => bridge ??= new EngineBridge(this);

    private EvidenceSourceFactory Sources => sources ??= new EvidenceSourceFactory(this);

    protected override void StopProcessing() => stopping.Cancel();

    protected override void BeginProcessing()
    {
        // What is bound now came from the command line; pipeline input is bound per record later.
        literalPathOnCommandLine = MyInvocation.BoundParameters.ContainsKey("LiteralPath");
        base.BeginProcessing();
    }

    protected override void EndProcessing()
    {
        streamPiped?.Invoke(GetPipedEvidenceSources());
        bridge?.Drain();
        base.EndProcessing();
    }

    /// <summary>True when the cmdlet reads files (-Path or -LiteralPath) rather than a cluster.</summary>
    internal virtual bool ReadsFiles => ParameterSetName is PathSet or LiteralPathSet;

    /// <summary>
    /// The evidence sources the current record names: the files of <paramref name="path"/> or
    /// <paramref name="literalPath"/> (the cmdlet's -Path or -LiteralPath, bound only in those parameter sets), or one
    /// cluster per context matching -Context (bound now, which may be from the pipeline), or the token / in-cluster
    /// cluster. Opened lazily and cached for the cmdlet's lifetime. A context that cannot be resolved is a terminating
    /// error; a path that matches nothing is a non-terminating PathNotFound. Paths piped in as -LiteralPath give no
    /// source here: they are collected for <see cref="GetPipedEvidenceSources"/>.
    /// </summary>
    private protected IReadOnlyList<IEvidenceSource> GetEvidenceSources(string[]? path, string[]? literalPath)
    {
        if (literalPath is not null && !literalPathOnCommandLine)
        {
            pipedPaths.AddRange(literalPath.Where(p => !pipedPaths.Contains(p, StringComparer.Ordinal)));
            return Array.Empty<IEvidenceSource>();
        }

        return Terminating(() => Sources.GetSources(literalPath ?? path, literal: literalPath is not null));
    }

    /// <summary>True when this record's -LiteralPath came from the pipeline (its files are read at the end).</summary>
    private protected bool PathsPiped => pipedPaths.Count > 0;

    /// <summary>The files piped in as -LiteralPath, as one source; none when nothing was piped.</summary>
    private protected IReadOnlyList<IEvidenceSource> GetPipedEvidenceSources() =>
        pipedPaths.Count == 0 ? Array.Empty<IEvidenceSource>() : Terminating(() => Sources.GetSources(pipedPaths, literal: true));

    /// <summary>A source of no files, for a command that must answer on no evidence (an audit of nothing fails).</summary>
    private protected IEvidenceSource NoEvidence() => Sources.OpenFiles(Array.Empty<string>());

    /// <summary>The live clusters the current record names (cmdlets that change a cluster have no -Path).</summary>
    private protected IReadOnlyList<IClusterSession> GetClusters() => Terminating(Sources.GetClusters);

    /// <summary>
    /// For the Restore cmdlets, which act on each record's own Context: -Context beside records from the pipeline
    /// is refused (ContextWithPipelineInput), since it could not say which records it means.
    /// </summary>
    private protected void RefuseContextWithRecords()
    {
        if (MyInvocation.ExpectingInput && MyInvocation.BoundParameters.ContainsKey(nameof(Context)))
        {
            ThrowTerminatingError(ErrorRecords.Create(
                "ContextWithPipelineInput",
                ErrorCategory.InvalidArgument,
                string.Join(",", Context ?? Array.Empty<string>()),
                $"{MyInvocation.MyCommand.Name} acts on each record's own Context: do not pass -Context with records from the pipeline (filter them with Where-Object Context -eq ...)."));
        }
    }

    /// <summary>
    /// For the policy cmdlets, which act on each cluster once at the end: adds the clusters this input names to
    /// <paramref name="clusters"/>, each once. Records read from files (Context "offline") describe no cluster and are
    /// refused (OfflineRecordRefused) with <paramref name="refusal"/>.
    /// </summary>
    private protected void CollectLiveClusters(List<IClusterSession> clusters, string refusal)
    {
        if (Context is { Length: > 0 } && Context.Any(c => string.Equals(c, SetHostNetworkPolicyCommand.OfflineContext, StringComparison.Ordinal)))
        {
            WriteError(ErrorRecords.Create("OfflineRecordRefused", ErrorCategory.InvalidArgument, SetHostNetworkPolicyCommand.OfflineContext, refusal));
            return;
        }

        foreach (var session in GetClusters())
        {
            if (!clusters.Contains(session))
            {
                clusters.Add(session);
            }
        }
    }

    /// <summary>
    /// Streams the records <paramref name="ask"/> gets from each source of <paramref name="path"/> or
    /// <paramref name="literalPath"/> (piped files: at the end) and writes each one
    /// once, by <paramref name="identity"/>: a namespace named twice, or an object exported in two evidence files,
    /// is written once, across every record of the pipeline.
    /// </summary>
    private protected void StreamFromEachSource<T>(string[]? path, string[]? literalPath, Func<IEvidenceSource, IAsyncEnumerable<T>> ask, Func<T, string> identity)
    {
        void Stream(IReadOnlyList<IEvidenceSource> sources) =>
            ForEachSource(sources, source =>
            {
                foreach (var record in Bridge.Stream(ask(source), CancelToken))
                {
                    if (written.Add(identity(record)))
                    {
                        WriteObject(record);
                    }
                }
            });

        Stream(GetEvidenceSources(path, literalPath));
        if (PathsPiped)
        {
            // The piped files are asked the last record's question, once, at the end.
            streamPiped = Stream;
        }
    }

    /// <summary>
    /// Runs work against each source. With one source a failure is terminating; with several, it is written as
    /// an error and the next source goes on.
    /// </summary>
    private protected void ForEachSource<T>(IReadOnlyList<T> targets, Action<T> work)
        where T : IEvidenceSource =>
        ForEachSource(targets, work, severalSources: targets.Count > 1);

    /// <summary>As above; <paramref name="severalSources"/> says whether the run as a whole reads more than one
    /// source (cmdlets that collect input call this once per source).</summary>
    private protected void ForEachSource<T>(IReadOnlyList<T> targets, Action<T> work, bool severalSources)
        where T : IEvidenceSource
    {
        foreach (var source in targets)
        {
            if (!Guard(() => work(source), severalSources))
            {
                return;
            }
        }
    }

    /// <summary>
    /// One source's step: its failure is written as an error when the run reads several sources, terminating with
    /// one. False when the run was cancelled (Ctrl+C), so the caller stops.
    /// </summary>
    private bool Guard(Action step, bool severalSources)
    {
        try
        {
            step();
        }
        catch (HostNetAuditException ex)
        {
            Bridge.Drain();
            if (!severalSources)
            {
                ThrowTerminatingError(ErrorRecords.From(ex));
            }

            WriteError(ErrorRecords.From(ex));
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="work"/> against several sources at once, at most <paramref name="throttleLimit"/> in
    /// flight, and hands each result to <paramref name="write"/> on the pipeline thread as its source finishes (the
    /// engine's messages are written meanwhile). A source's failure is a non-terminating error when the run reads
    /// several sources, terminating with one, as in <see cref="ForEachSource{T}(IReadOnlyList{T}, Action{T})"/>;
    /// Ctrl+C cancels every source in flight and those not started.
    /// </summary>
    private protected void ForEachSourceConcurrently<TSource, TResult>(
        IReadOnlyList<TSource> targets,
        int throttleLimit,
        Func<TSource, CancellationToken, Task<TResult>> work,
        Action<TSource, TResult> write)
        where TSource : IEvidenceSource
    {
        using var slots = new SemaphoreSlim(Math.Max(1, throttleLimit));
        async Task<TResult> RunAsync(TSource source)
        {
            await slots.WaitAsync(CancelToken).ConfigureAwait(false);
            try
            {
                return await work(source, CancelToken).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        }

        var running = targets.Select(t => (Source: t, Task: RunAsync(t))).ToList();
        var severalSources = targets.Count > 1;
        try
        {
            while (running.Count > 0)
            {
                var done = Bridge.Wait(Task.WhenAny(running.Select(r => (Task)r.Task)));
                var index = running.FindIndex(r => r.Task == done);
                var (source, task) = running[index];
                running.RemoveAt(index);
                if (!Guard(() => write(source, task.GetAwaiter().GetResult()), severalSources))
                {
                    return;
                }
            }
        }
        finally
        {
            // Stopped (Ctrl+C, a terminating error, a downstream Select-Object -First): the rest ends now, and the
            // semaphore outlives every task that may still release it.
            if (running.Count > 0)
            {
                stopping.Cancel();
                foreach (var (_, task) in running)
                {
                    ((IAsyncResult)task).AsyncWaitHandle.WaitOne();
                }
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
        AllowInsecureTokenTransport = AllowInsecureTokenTransport.IsPresent,
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

    private T Terminating<T>(Func<T> resolve)
    {
        try
        {
            return resolve();
        }
        catch (HostNetAuditException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
            throw; // unreachable
        }
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
            sources?.Dispose();
            stopping.Dispose();
        }
    }
}

using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Commands;

namespace HostNetAudit.Internal;

/// <summary>
/// Builds the evidence sources a cmdlet reads, as PSResourceGet's ServerFactory picks a local folder or a remote
/// feed: the files of -Path or -LiteralPath, or one live cluster per kubeconfig context (or the token or in-cluster connection).
/// The only place that tells offline from live: cmdlets ask every source the same questions. Sources are opened
/// lazily, once per cmdlet invocation (records naming the same context or files get the same source), and
/// disposed with the cmdlet. Pipeline thread only; the sources themselves are thread-safe.
/// </summary>
internal sealed class EvidenceSourceFactory : IDisposable
{
    private readonly HostNetAuditCmdlet cmdlet;
    private readonly Dictionary<string, IEvidenceSource> opened = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<IEvidenceSource>> files = new(StringComparer.Ordinal);
    private KubeConfigInfo? kubeConfig;

    public EvidenceSourceFactory(HostNetAuditCmdlet cmdlet)
    {
        this.cmdlet = cmdlet;
    }

    private static IHostNetAuditEngine Engine => EngineLoader.Engine;

    /// <summary>
    /// The files <paramref name="paths"/> name when the cmdlet reads files (-Path with wildcards, or -LiteralPath
    /// when <paramref name="literal"/>; errors for paths that match nothing are written; none resolving gives no
    /// source), else <see cref="GetClusters"/>.
    /// </summary>
    public IReadOnlyList<IEvidenceSource> GetSources(IEnumerable<string>? paths, bool literal)
    {
        if (!cmdlet.ReadsFiles)
        {
            return GetClusters();
        }

        // The paths are the same for every pipeline record: resolved (and their errors written) once.
        var given = (paths ?? Array.Empty<string>()).ToList();
        var argument = (literal ? "L\0" : "P\0") + string.Join("\0", given);
        if (!files.TryGetValue(argument, out var sources))
        {
            var resolved = PathResolver.Resolve(cmdlet, given, literal);
            sources = resolved.Count == 0 ? Array.Empty<IEvidenceSource>() : new[] { OpenFiles(resolved) };
            files[argument] = sources;
        }

        return sources;
    }

    /// <summary>The evidence source of these files (none: a source of nothing), opened once.</summary>
    public IEvidenceSource OpenFiles(IReadOnlyList<string> resolved) =>
        Open("\0files\0" + string.Join("\0", resolved), () => Engine.OpenFiles(resolved, cmdlet.Bridge, cmdlet.CancelToken));

    /// <summary>
    /// The clusters the connection parameters name: one per context matching -Context (or the current context),
    /// or the token or in-cluster connection. A context that does not exist is a <see cref="HostNetAuditException"/>.
    /// </summary>
    public IReadOnlyList<IClusterSession> GetClusters()
    {
        var request = cmdlet.BuildConnectionRequest();
        if (request.Mode != ConnectionMode.KubeConfig)
        {
            // Connection records piped in name one cluster each: the same server under the same name is one source.
            var key = string.Join("\0", string.Empty, request.Mode, request.Server, request.ClusterName, request.CertificateAuthorityData, request.CertificateAuthorityPath);
            return new[] { OpenCluster(key, request, null, null) };
        }

        kubeConfig ??= Engine.LoadKubeConfig(request);
        if (kubeConfig.InCluster)
        {
            // No kubeconfig anywhere, but running in a pod: the engine uses the pod's service account, as kubectl does.
            return new[] { OpenCluster("\0in-cluster", request, kubeConfig, null) };
        }

        return SelectContexts(kubeConfig, cmdlet.Context).Select(name => OpenCluster(name, request, kubeConfig, name)).ToList();
    }

    public void Dispose()
    {
        foreach (var source in opened.Values)
        {
            source.Dispose();
        }

        opened.Clear();
    }

    private IClusterSession OpenCluster(string key, ConnectionRequest request, KubeConfigInfo? info, string? context) =>
        (IClusterSession)Open(key, () => Engine.OpenCluster(request, info, context, cmdlet.Bridge));

    private IEvidenceSource Open(string key, Func<IEvidenceSource> open)
    {
        if (!opened.TryGetValue(key, out var source))
        {
            source = open();
            opened[key] = source;
        }

        return source;
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
            cmdlet.WriteWarning($"No context in '{files}' matches '{string.Join("', '", patterns)}'.");
        }

        return selected;
    }
}

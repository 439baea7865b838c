using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>
/// Completes -Namespace and -ExcludeNamespace with the namespaces of the cluster the command line names
/// (-KubeConfig, the first -Context, else the current context), as kubectl's completion does: one list of
/// namespaces, bounded to a few seconds. Token, in-cluster and offline (-Path) command lines get no
/// completion; an unreachable cluster or a bad kubeconfig gets none either, never an error.
/// </summary>
internal sealed class NamespaceCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters is not null && (fakeBoundParameters.Contains("Path") || fakeBoundParameters.Contains("Server")
            || fakeBoundParameters.Contains("Token") || fakeBoundParameters.Contains("InCluster")))
        {
            return Array.Empty<CompletionResult>();
        }

        IReadOnlyList<string> names;
        try
        {
            names = ListNamespaces(fakeBoundParameters, commandName);
        }
        catch (Exception ex) when (ex is HostNetAuditException or OperationCanceledException or AggregateException)
        {
            return Array.Empty<CompletionResult>();
        }

        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
        return names
            .Where(n => pattern.IsMatch(n))
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
            .ToList();
    }

    private static IReadOnlyList<string> ListNamespaces(IDictionary? bound, string commandName)
    {
        var workingDirectory = CompletionPaths.CurrentDirectory();
        var kubeConfigPath = CompletionPaths.ResolveKubeConfig(bound?["KubeConfig"] as string);
        var request = new ConnectionRequest
        {
            KubeConfigPath = kubeConfigPath,
            WorkingDirectory = workingDirectory,
            SkipTlsVerify = IsSet(bound?["SkipTlsVerify"]),
            AllowInsecureTokenTransport = IsSet(bound?["AllowInsecureTokenTransport"]),
            RequestTimeout = Budget,
            // The same User-Agent as the command's own requests: audit logs (and the RBAC coverage test) see who asked.
            UserAgent = $"HostNetAudit/{typeof(NamespaceCompleter).Assembly.GetName().Version?.ToString(3)} ({commandName[(commandName.LastIndexOf('\\') + 1)..]})",
        };

        var engine = EngineLoader.Engine;
        var info = engine.LoadKubeConfig(request);
        if (info.InCluster)
        {
            return Array.Empty<string>();
        }

        var context = PickContext(info, bound?["Context"]);
        if (context is null)
        {
            return Array.Empty<string>();
        }

        using var session = engine.OpenCluster(request, info, context, NullEngineLog.Instance);
        using var timeout = new CancellationTokenSource(Budget);
        return session.PodSecurity.ListNamespacesAsync(timeout.Token).GetAwaiter().GetResult();
    }

    /// <summary>A switch on the command line being completed (bound as true, or as a SwitchParameter).</summary>
    private static bool IsSet(object? value) => value is true or SwitchParameter { IsPresent: true };

    /// <summary>The first context the -Context value names (a wildcard picks its first match), else the current one.</summary>
    private static string? PickContext(KubeConfigInfo info, object? value)
    {
        var first = value switch
        {
            string s => s,
            IEnumerable e => e.Cast<object?>().Select(o => o?.ToString()).FirstOrDefault(o => !string.IsNullOrEmpty(o)),
            _ => null,
        };
        if (string.IsNullOrEmpty(first))
        {
            return info.CurrentContext;
        }

        var pattern = new WildcardPattern(first, WildcardOptions.IgnoreCase);
        return info.Contexts.FirstOrDefault(c => pattern.IsMatch(c));
    }
}

using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>Completes -Context from the kubeconfig the command line names (or the default one).</summary>
internal sealed class ContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        var path = CompletionPaths.ResolveKubeConfig(fakeBoundParameters?["KubeConfig"] as string);
        KubeConfigInfo info;
        try
        {
            info = EngineLoader.Engine.LoadKubeConfig(new ConnectionRequest { KubeConfigPath = path });
        }
        catch (HostNetAuditException)
        {
            yield break;
        }

        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
        foreach (var context in info.Contexts.Where(c => pattern.IsMatch(c)))
        {
            var text = context.Contains(' ', StringComparison.Ordinal) || context.Contains('$', StringComparison.Ordinal)
                ? "'" + context.Replace("'", "''", StringComparison.Ordinal) + "'"
                : context;
            yield return new CompletionResult(text, context, CompletionResultType.ParameterValue, context);
        }
    }
}

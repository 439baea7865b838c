using System.Management.Automation;

namespace HostNetAudit.Internal;

/// <summary>
/// Paths on a command line being completed, resolved as the command itself will resolve them: against the
/// session's current location (Set-Location does not move the process's working directory).
/// </summary>
internal static class CompletionPaths
{
    /// <summary>The session's current file-system location, or null when it cannot be read.</summary>
    public static string? CurrentDirectory()
    {
        try
        {
            // Completers run on the pipeline thread: a script block sees the session's own $PWD.
            var result = ScriptBlock.Create("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath").Invoke();
            return result.Count == 1 ? result[0]?.BaseObject as string : null;
        }
        catch (Exception ex) when (ex is RuntimeException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A -KubeConfig value (a path or a list with the platform's separator) with each path made absolute.</summary>
    public static string? ResolveKubeConfig(string? pathList)
    {
        if (string.IsNullOrEmpty(pathList))
        {
            return pathList;
        }

        var workingDirectory = CurrentDirectory();
        if (workingDirectory is null)
        {
            return pathList;
        }

        return string.Join(
            Path.PathSeparator,
            pathList.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(p => Path.GetFullPath(ExpandHome(p.Trim()), workingDirectory)));
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal)
            ? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 1 ? path[2..] : string.Empty)
            : path;
}

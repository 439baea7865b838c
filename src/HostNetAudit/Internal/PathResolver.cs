using System.Management.Automation;

namespace HostNetAudit.Internal;

/// <summary>
/// Every file system path a cmdlet takes, resolved in one place as PowerShell's own cmdlets resolve them: -Path
/// expands wildcards and PowerShell drives, -LiteralPath takes the name as it is (a file named pod[1].yaml). A path
/// that matches nothing is a non-terminating PathNotFound naming it, as Get-Item reports it.
/// </summary>
internal static class PathResolver
{
    /// <summary>Input paths (evidence files or folders): the file system paths they name, each once.</summary>
    public static IReadOnlyList<string> Resolve(PSCmdlet cmdlet, IEnumerable<string> paths, bool literal)
    {
        var result = new List<string>();
        foreach (var path in paths)
        {
            foreach (var resolved in ResolveOne(cmdlet, path, literal))
            {
                if (!result.Contains(resolved, StringComparer.Ordinal))
                {
                    result.Add(resolved);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Resolves a file argument (wildcards allowed) that the command cannot do without: a path that does not
    /// exist is a terminating error with <paramref name="errorId"/> and the path as target.
    /// </summary>
    public static IReadOnlyList<string> ResolveRequiredFiles(PSCmdlet cmdlet, string path, string errorId)
    {
        try
        {
            var resolved = cmdlet.GetResolvedProviderPathFromPSPath(path, out var provider);
            if (!IsFileSystem(provider) || resolved.Count == 0)
            {
                throw new ItemNotFoundException($"'{path}' is not a file system path.");
            }

            return resolved;
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.Create(errorId, ErrorCategory.ObjectNotFound, path, $"Cannot find the file '{path}'.", ex));
            throw; // unreachable
        }
    }

    /// <summary>
    /// The file an output argument names, as Set-Content resolves it: -Path expands wildcards when they match one
    /// existing file (several is an error), and otherwise names a new file as written; -LiteralPath names it as written.
    /// </summary>
    public static string ResolveOutputFile(PSCmdlet cmdlet, string path, bool literal)
    {
        if (!literal && WildcardPattern.ContainsWildcardCharacters(path))
        {
            try
            {
                var matches = cmdlet.GetResolvedProviderPathFromPSPath(path, out var provider);
                if (IsFileSystem(provider) && matches.Count > 1)
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.Create(
                        "PathMatchesSeveralFiles",
                        ErrorCategory.InvalidArgument,
                        path,
                        $"'{path}' matches {matches.Count} files; name one file (or use -LiteralPath for a name with wildcard characters)."));
                }

                if (IsFileSystem(provider) && matches.Count == 1)
                {
                    return matches[0];
                }
            }
            catch (ItemNotFoundException)
            {
                // A new file: the name as written.
            }
        }

        var unresolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var target, out _);
        if (!IsFileSystem(target))
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.Create("PathNotFileSystem", ErrorCategory.InvalidArgument, path, $"'{path}' is not a file system path."));
        }

        return unresolved;
    }

    private static IEnumerable<string> ResolveOne(PSCmdlet cmdlet, string path, bool literal)
    {
        IReadOnlyList<string> resolved;
        ProviderInfo provider;
        try
        {
            if (literal)
            {
                var single = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
                resolved = IsFileSystem(provider) && !File.Exists(single) && !Directory.Exists(single) && !IsLink(single) ? Array.Empty<string>() : new[] { single };
            }
            else
            {
                resolved = cmdlet.GetResolvedProviderPathFromPSPath(path, out provider);
            }
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException)
        {
            cmdlet.WriteError(NotFound(path, ex));
            return Array.Empty<string>();
        }

        if (!IsFileSystem(provider))
        {
            cmdlet.WriteError(ErrorRecords.Create("PathNotFileSystem", ErrorCategory.InvalidArgument, path, $"'{path}' is not a file system path."));
            return Array.Empty<string>();
        }

        if (resolved.Count == 0)
        {
            // A wildcard that matches nothing: PowerShell's globbing answers with no path and no error.
            cmdlet.WriteError(NotFound(path, null));
        }

        return resolved;
    }

    private static ErrorRecord NotFound(string path, Exception? inner)
    {
        var record = ErrorRecords.Create("PathNotFound", ErrorCategory.ObjectNotFound, path, $"Cannot find path '{path}' because it does not exist.", inner);
        record.ErrorDetails = new ErrorDetails(record.Exception.Message)
        {
            RecommendedAction = WildcardPattern.ContainsWildcardCharacters(path)
                ? "Check the path; a file whose name holds [ ] * or ? is read with -LiteralPath."
                : "Check the path.",
        };
        return record;
    }

    // A link whose target is missing: the engine reports it, naming what it points at.
    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static bool IsFileSystem(ProviderInfo provider) => string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase);
}

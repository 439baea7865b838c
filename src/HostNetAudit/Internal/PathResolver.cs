using System.Management.Automation;

namespace HostNetAudit.Internal;

/// <summary>Resolves -Path arguments (wildcards, PowerShell drives) to file system paths.</summary>
internal static class PathResolver
{
    public static IReadOnlyList<string> Resolve(PSCmdlet cmdlet, IEnumerable<string> paths)
    {
        var result = new List<string>();
        foreach (var path in paths)
        {
            try
            {
                var resolved = cmdlet.GetResolvedProviderPathFromPSPath(path, out var provider);
                if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
                {
                    cmdlet.WriteError(ErrorRecords.Create("PathNotFileSystem", ErrorCategory.InvalidArgument, path, $"'{path}' is not a file system path."));
                    continue;
                }

                result.AddRange(resolved.Where(r => !result.Contains(r, StringComparer.Ordinal)));
            }
            catch (ItemNotFoundException ex)
            {
                cmdlet.WriteError(ErrorRecords.Create("PathNotFound", ErrorCategory.ObjectNotFound, path, $"Cannot find path '{path}' because it does not exist.", ex));
            }
            catch (System.Management.Automation.DriveNotFoundException ex)
            {
                cmdlet.WriteError(ErrorRecords.Create("PathNotFound", ErrorCategory.ObjectNotFound, path, ex.Message, ex));
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
            if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase) || resolved.Count == 0)
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
}

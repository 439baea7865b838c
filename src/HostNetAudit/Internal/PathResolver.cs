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
}

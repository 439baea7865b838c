namespace HostNetAudit.Tests.Support;

/// <summary>Files of the repository the tests read in place (examples, and the shared corpus beside it).</summary>
public static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "HostNetAudit.psd1")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("the repository root was not found above " + AppContext.BaseDirectory);
        }
    }
}

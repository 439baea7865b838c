using System.Runtime.InteropServices;

namespace HostNetAudit.Engine.Connection;

/// <summary>
/// Finds kubeconfig files as kubectl does: an explicit path (or path list), else every existing file of
/// $KUBECONFIG (split on the platform's path list separator, ';' on Windows, ':' elsewhere), else
/// ~/.kube/config with the home folder resolved as client-go's homedir does.
/// </summary>
internal sealed class KubeConfigLocator
{
    private readonly Func<string, string?> getEnvironment;
    private readonly Func<string, bool> fileExists;

    public KubeConfigLocator(Func<string, string?>? getEnvironment = null, Func<string, bool>? fileExists = null, bool? isWindows = null, char? listSeparator = null)
    {
        this.getEnvironment = getEnvironment ?? Environment.GetEnvironmentVariable;
        this.fileExists = fileExists ?? (p => File.Exists(p) || Directory.Exists(p));
        IsWindows = isWindows ?? RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        ListSeparator = listSeparator ?? (IsWindows ? ';' : ':');
    }

    public bool IsWindows { get; }

    public char ListSeparator { get; }

    /// <summary>Splits a path list: empty entries and duplicates dropped, order kept, quotes trimmed.</summary>
    public IReadOnlyList<string> SplitPathList(string value)
    {
        var result = new List<string>();
        foreach (var raw in value.Split(ListSeparator))
        {
            var path = raw.Trim().Trim('"');
            if (path.Length > 0 && !result.Contains(path, StringComparer.Ordinal))
            {
                result.Add(path);
            }
        }

        return result;
    }

    /// <summary>The home folder kubectl uses.</summary>
    public string? HomeDirectory()
    {
        if (!IsWindows)
        {
            return getEnvironment("HOME");
        }

        // client-go: the first of HOME, HOMEDRIVE+HOMEPATH, USERPROFILE that holds .kube/config, else the
        // first that is set.
        var candidates = new List<string>();
        var home = getEnvironment("HOME");
        if (!string.IsNullOrEmpty(home))
        {
            candidates.Add(home);
        }

        var drive = getEnvironment("HOMEDRIVE");
        var homePath = getEnvironment("HOMEPATH");
        if (!string.IsNullOrEmpty(drive) && !string.IsNullOrEmpty(homePath))
        {
            candidates.Add(drive + homePath);
        }

        var profile = getEnvironment("USERPROFILE");
        if (!string.IsNullOrEmpty(profile))
        {
            candidates.Add(profile);
        }

        foreach (var candidate in candidates)
        {
            if (fileExists(JoinKubeConfig(candidate)))
            {
                return candidate;
            }
        }

        return candidates.FirstOrDefault();
    }

    public string JoinKubeConfig(string home)
    {
        var separator = IsWindows ? '\\' : '/';
        return home.TrimEnd('/', '\\') + separator + ".kube" + separator + "config";
    }

    /// <summary>
    /// The files to merge. <paramref name="explicitPath"/> is -KubeConfig (every listed file must exist);
    /// from $KUBECONFIG missing files are skipped, as kubectl skips them.
    /// </summary>
    public KubeConfigLocation Locate(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            var files = SplitPathList(explicitPath);
            var missing = files.Where(f => !fileExists(f)).ToList();
            return new KubeConfigLocation(files.Where(fileExists).ToList(), missing, "-KubeConfig");
        }

        var variable = getEnvironment("KUBECONFIG");
        if (!string.IsNullOrWhiteSpace(variable))
        {
            var files = SplitPathList(variable);
            var existing = files.Where(fileExists).ToList();
            var missing = files.Where(f => !fileExists(f)).ToList();
            return new KubeConfigLocation(existing, existing.Count == 0 ? missing : new List<string>(), "$env:KUBECONFIG");
        }

        var homeDirectory = HomeDirectory();
        if (!string.IsNullOrEmpty(homeDirectory))
        {
            var path = JoinKubeConfig(homeDirectory);
            return fileExists(path)
                ? new KubeConfigLocation(new List<string> { path }, new List<string>(), "~/.kube/config")
                : new KubeConfigLocation(new List<string>(), new List<string> { path }, "~/.kube/config");
        }

        return new KubeConfigLocation(new List<string>(), new List<string>(), "~/.kube/config");
    }

    /// <summary>True when the process runs in a pod (the variables every pod gets).</summary>
    public bool IsInCluster() =>
        !string.IsNullOrEmpty(getEnvironment("KUBERNETES_SERVICE_HOST")) &&
        !string.IsNullOrEmpty(getEnvironment("KUBERNETES_SERVICE_PORT"));
}

/// <summary>Where the kubeconfig was looked for and what was found.</summary>
internal sealed record KubeConfigLocation(IReadOnlyList<string> Files, IReadOnlyList<string> Missing, string Source);

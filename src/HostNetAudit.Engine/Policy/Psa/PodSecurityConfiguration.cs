using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Offline;

namespace HostNetAudit.Engine.Policy.Psa;

/// <summary>A Pod Security level and version.</summary>
internal readonly record struct LevelVersion(string Level, string Version)
{
    public static readonly LevelVersion PrivilegedLatest = new("privileged", "latest");

    public bool Refuses => Level is "baseline" or "restricted";

    public override string ToString() => Level + ":" + Version;
}

/// <summary>
/// The PodSecurity admission plugin's configuration (PodSecurityConfiguration): cluster defaults and exemptions.
/// Read from an AdmissionConfiguration (inline or by path), a bare PodSecurityConfiguration, or a ConfigMap
/// wrapping either (as the pod-security-webhook manifests do); YAML or JSON.
/// </summary>
internal sealed partial class PodSecurityConfiguration
{
    public static readonly string[] Levels = { "privileged", "baseline", "restricted" };

    public LevelVersion Enforce { get; private init; } = LevelVersion.PrivilegedLatest;

    public LevelVersion Audit { get; private init; } = LevelVersion.PrivilegedLatest;

    public LevelVersion Warn { get; private init; } = LevelVersion.PrivilegedLatest;

    public IReadOnlyList<string> ExemptUsernames { get; private init; } = Array.Empty<string>();

    public IReadOnlyList<string> ExemptRuntimeClasses { get; private init; } = Array.Empty<string>();

    public IReadOnlyList<string> ExemptNamespaces { get; private init; } = Array.Empty<string>();

    /// <summary>The file it was read from.</summary>
    public string Source { get; private init; } = string.Empty;

    public static bool IsValidVersion(string version) => version == "latest" || VersionPattern().IsMatch(version);

    /// <summary>Reads the configuration; a file that holds none, or holds an invalid one, is an error naming the file.</summary>
    public static PodSecurityConfiguration Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new HostNetAuditException("AdmissionConfigurationNotFound", FailureCategory.ObjectNotFound, path, $"The admission configuration file '{path}' does not exist.");
        }

        var found = new List<(JsonElement Config, string Source)>();
        Collect(path, found, depth: 0);
        if (found.Count == 0)
        {
            throw Invalid(path, "it holds no PodSecurityConfiguration (neither an AdmissionConfiguration with a PodSecurity plugin, a PodSecurityConfiguration, nor a ConfigMap wrapping one)");
        }

        if (found.Count > 1)
        {
            throw Invalid(path, $"it holds {found.Count} PodSecurity configurations; pass the one the apiserver uses");
        }

        return Parse(found[0].Config, found[0].Source);
    }

    private static void Collect(string path, List<(JsonElement, string)> found, int depth)
    {
        if (depth > 3)
        {
            throw Invalid(path, "its configuration paths nest too deeply");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostNetAuditException("AdmissionConfigurationUnreadable", FailureCategory.ReadError, path, $"The admission configuration file '{path}' cannot be read: {ex.Message}", ex);
        }

        foreach (var document in Documents(text, path))
        {
            CollectFrom(document, path, found, depth);
        }
    }

    private static void CollectFrom(JsonElement document, string path, List<(JsonElement, string)> found, int depth)
    {
        switch (document.Get("kind").AsString())
        {
            case "PodSecurityConfiguration":
                found.Add((document, path));
                break;
            case "AdmissionConfiguration":
                foreach (var plugin in document.Get("plugins").Items())
                {
                    if (plugin.Get("name").AsString() != "PodSecurity")
                    {
                        continue;
                    }

                    if (plugin.Get("configuration").ValueKind == JsonValueKind.Object)
                    {
                        found.Add((plugin.Get("configuration"), path));
                    }
                    else if (plugin.Get("path").AsString() is { Length: > 0 } relative)
                    {
                        var target = System.IO.Path.IsPathRooted(relative) ? relative : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? ".", relative);
                        Collect(target, found, depth + 1);
                    }
                }

                break;
            case "ConfigMap":
                foreach (var entry in document.Get("data").Properties())
                {
                    if (entry.Value.AsString() is { } value && (value.Contains("PodSecurityConfiguration", StringComparison.Ordinal) || value.Contains("AdmissionConfiguration", StringComparison.Ordinal)))
                    {
                        foreach (var inner in Documents(value, path + " (data." + entry.Name + ")"))
                        {
                            CollectFrom(inner, path, found, depth);
                        }
                    }
                }

                break;
        }
    }

    private static IEnumerable<JsonElement> Documents(string text, string path) => ConfigurationDocuments.Read(text, path, Invalid);

    private static PodSecurityConfiguration Parse(JsonElement config, string source)
    {
        var apiVersion = config.Get("apiVersion").AsString();
        if (apiVersion is not null && !apiVersion.StartsWith("pod-security.admission.config.k8s.io/", StringComparison.Ordinal))
        {
            throw Invalid(source, $"the PodSecurityConfiguration has apiVersion '{apiVersion}', expected pod-security.admission.config.k8s.io/v1 (or v1beta1, v1alpha1)");
        }

        var defaults = config.Get("defaults");
        var exemptions = config.Get("exemptions");
        return new PodSecurityConfiguration
        {
            Enforce = Mode(defaults, "enforce", source),
            Audit = Mode(defaults, "audit", source),
            Warn = Mode(defaults, "warn", source),
            ExemptUsernames = Strings(exemptions.Get("usernames")),
            ExemptRuntimeClasses = Strings(exemptions.Get("runtimeClasses")),
            ExemptNamespaces = Strings(exemptions.Get("namespaces")),
            Source = source,
        };
    }

    private static LevelVersion Mode(JsonElement defaults, string mode, string source)
    {
        var level = defaults.Get(mode).AsString() ?? "privileged";
        var version = defaults.Get(mode + "-version").AsString() ?? "latest";
        if (!Levels.Contains(level, StringComparer.Ordinal))
        {
            throw Invalid(source, $"defaults.{mode} is '{level}'; it must be one of privileged, baseline, restricted (the apiserver would not start with it)");
        }

        if (!IsValidVersion(version))
        {
            throw Invalid(source, $"defaults.{mode}-version is '{version}'; it must be \"latest\" or \"v1.x\"");
        }

        return new LevelVersion(level, version);
    }

    private static string[] Strings(JsonElement array) => array.Items().Select(i => i.AsString()).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToArray();

    private static HostNetAuditException Invalid(string path, string why) =>
        new("AdmissionConfigurationInvalid", FailureCategory.InvalidData, path, $"The admission configuration '{path}' cannot be used: {why}.");

    [GeneratedRegex(@"^v1\.(0|[1-9][0-9]*)$")]
    private static partial Regex VersionPattern();
}

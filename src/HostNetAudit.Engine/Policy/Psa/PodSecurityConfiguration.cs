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

    /// <summary>
    /// Reads the configuration; a file that holds none, or holds an invalid one, is an error naming the file. The
    /// PodSecurityConfiguration is read as strictly as the apiserver reads it: an unknown field, a key given twice or a
    /// value of the wrong type (enforce: [baseline]) is refused, never taken as the default.
    /// </summary>
    public static PodSecurityConfiguration Load(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
        {
            throw new HostNetAuditException("AdmissionConfigurationNotFound", FailureCategory.ObjectNotFound, path, $"The admission configuration file '{path}' does not exist.");
        }

        var found = new List<(JsonElement Config, string Source)>();
        Collect(path, found, depth: 0, cancellationToken);
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

    private static void Collect(string path, List<(JsonElement, string)> found, int depth, CancellationToken cancellationToken)
    {
        if (depth > 3)
        {
            throw Invalid(path, "its configuration paths nest too deeply");
        }

        string? text;
        try
        {
            text = InputFile.ReadText(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostNetAuditException("AdmissionConfigurationUnreadable", FailureCategory.ReadError, path, $"The admission configuration file '{path}' cannot be read: {ex.Message}", ex);
        }

        if (text is null)
        {
            throw Invalid(path, "it is empty or not a regular file");
        }

        foreach (var document in ConfigurationDocuments.Read(text, path, Invalid, cancellationToken))
        {
            CollectFrom(document, path, found, depth, cancellationToken);
        }
    }

    private static void CollectFrom(JsonElement document, string path, List<(JsonElement, string)> found, int depth, CancellationToken cancellationToken)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var wrapper = new ConfigurationObject(document, "the document", why => Invalid(path, why));
        switch (wrapper.String("kind"))
        {
            case "PodSecurityConfiguration":
                found.Add((document, path));
                break;
            case "AdmissionConfiguration":
                if (document.Get("plugins") is { ValueKind: not (JsonValueKind.Array or JsonValueKind.Null or JsonValueKind.Undefined) } plugins)
                {
                    throw Invalid(path, $"'plugins' is {ConfigurationObject.Describe(plugins)}, not a list");
                }

                var index = 0;
                foreach (var item in document.Get("plugins").Items())
                {
                    var plugin = new ConfigurationObject(item, $"plugins item {++index}", why => Invalid(path, why));
                    if (plugin.String("name") != "PodSecurity")
                    {
                        continue;
                    }

                    if (plugin.Object("configuration", $"the PodSecurity plugin's configuration") is { } configuration)
                    {
                        found.Add((configuration.Element, path));
                    }
                    else if (plugin.String("path") is { Length: > 0 } relative)
                    {
                        var target = System.IO.Path.IsPathRooted(relative) ? relative : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? ".", relative);
                        Collect(target, found, depth + 1, cancellationToken);
                    }
                }

                break;
            case "ConfigMap":
                foreach (var entry in document.Get("data").Properties())
                {
                    if (entry.Value.AsString() is { } value && (value.Contains("PodSecurityConfiguration", StringComparison.Ordinal) || value.Contains("AdmissionConfiguration", StringComparison.Ordinal)))
                    {
                        var key = entry.Name;
                        foreach (var inner in ConfigurationDocuments.Read(value, path, (file, why) => Invalid(file, $"its data.{key}: {why}"), cancellationToken))
                        {
                            CollectFrom(inner, path, found, depth, cancellationToken);
                        }
                    }
                }

                break;
        }
    }

    private static PodSecurityConfiguration Parse(JsonElement element, string source)
    {
        var config = new ConfigurationObject(element, "the PodSecurityConfiguration", why => Invalid(source, why));
        config.RefuseUnknownFields("apiVersion", "kind", "defaults", "exemptions");
        var apiVersion = config.String("apiVersion");
        if (apiVersion is not null && !apiVersion.StartsWith("pod-security.admission.config.k8s.io/", StringComparison.Ordinal))
        {
            throw Invalid(source, $"the PodSecurityConfiguration has apiVersion '{apiVersion}', expected pod-security.admission.config.k8s.io/v1 (or v1beta1, v1alpha1)");
        }

        var defaults = config.Object("defaults", "defaults");
        defaults?.RefuseUnknownFields("enforce", "enforce-version", "audit", "audit-version", "warn", "warn-version");
        var exemptions = config.Object("exemptions", "exemptions");
        exemptions?.RefuseUnknownFields("usernames", "namespaces", "runtimeClasses");
        return new PodSecurityConfiguration
        {
            Enforce = Mode(defaults, "enforce", source),
            Audit = Mode(defaults, "audit", source),
            Warn = Mode(defaults, "warn", source),
            ExemptUsernames = Strings(exemptions, "usernames"),
            ExemptRuntimeClasses = Strings(exemptions, "runtimeClasses"),
            ExemptNamespaces = Strings(exemptions, "namespaces"),
            Source = source,
        };
    }

    /// <summary>A mode's level and version; absent or empty values take the apiserver's defaults (privileged, latest).</summary>
    private static LevelVersion Mode(ConfigurationObject? defaults, string mode, string source)
    {
        var level = defaults?.String(mode) is { Length: > 0 } givenLevel ? givenLevel : "privileged";
        var version = defaults?.String(mode + "-version") is { Length: > 0 } givenVersion ? givenVersion : "latest";
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

    private static string[] Strings(ConfigurationObject? exemptions, string field) =>
        exemptions?.Strings(field).Where(s => s.Length > 0).ToArray() ?? Array.Empty<string>();

    private static HostNetAuditException Invalid(string path, string why) =>
        new("AdmissionConfigurationInvalid", FailureCategory.InvalidData, path, $"The admission configuration '{path}' cannot be used: {why}.");

    [GeneratedRegex(@"^v1\.(0|[1-9][0-9]*)$")]
    private static partial Regex VersionPattern();
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace HostNetAudit.Engine.PodSecurity;

/// <summary>A Pod Security Standards policy version: "latest" or v1.N.</summary>
internal readonly record struct PsaVersion(int Minor, bool IsLatest) : IComparable<PsaVersion>
{
    public static readonly PsaVersion Latest = new(int.MaxValue, true);

    private static readonly Regex Pattern = new("^v1\\.(0|[1-9][0-9]{0,3})$", RegexOptions.CultureInvariant);

    public static PsaVersion Of(int minor) => new(minor, false);

    /// <summary>Parses "latest" or "v1.N" (the apiserver's own syntax); anything else is invalid.</summary>
    public static bool TryParse(string? text, out PsaVersion version)
    {
        if (text == "latest")
        {
            version = Latest;
            return true;
        }

        var match = text is null ? null : Pattern.Match(text);
        if (match is { Success: true })
        {
            version = Of(int.Parse(match.Groups[1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture));
            return true;
        }

        version = Latest;
        return false;
    }

    /// <summary>The minor version the checks use: latest and versions past what the server (or this module) knows are clamped.</summary>
    public int Resolve(int maximum) => Math.Min(IsLatest ? int.MaxValue : Minor, maximum);

    public int CompareTo(PsaVersion other) => Minor.CompareTo(other.Minor);

    public override string ToString() => IsLatest ? "latest" : "v1." + Minor.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A level at a version, as the apiserver prints it ("baseline:latest").</summary>
internal readonly record struct LevelVersion(PodSecurityLevel Level, PsaVersion Version)
{
    /// <summary>Positive when this is stricter than <paramref name="other"/>: the level first, then the version (latest newest).</summary>
    public int CompareStrictness(LevelVersion other)
    {
        var level = Level.CompareTo(other.Level);
        if (level != 0 || Level == PodSecurityLevel.Privileged)
        {
            return level;
        }

        return Version.CompareTo(other.Version);
    }

    public override string ToString() => PsaLabels.LevelName(Level) + ":" + Version;
}

/// <summary>The pod-security.kubernetes.io labels and how the apiserver reads them.</summary>
internal static class PsaLabels
{
    public const string Prefix = "pod-security.kubernetes.io/";

    /// <summary>The newest policy version whose checks this module implements (sysctls gained entries in v1.37).</summary>
    public const int NewestKnownMinor = 37;

    public static readonly PodSecurityMode[] AllModes = { PodSecurityMode.Enforce, PodSecurityMode.Warn, PodSecurityMode.Audit };

    public static string ModeName(PodSecurityMode mode) => mode switch
    {
        PodSecurityMode.Enforce => "enforce",
        PodSecurityMode.Warn => "warn",
        _ => "audit",
    };

    public static string LevelName(PodSecurityLevel level) => level switch
    {
        PodSecurityLevel.Privileged => "privileged",
        PodSecurityLevel.Baseline => "baseline",
        _ => "restricted",
    };

    public static string LevelKey(PodSecurityMode mode) => Prefix + ModeName(mode);

    public static string VersionKey(PodSecurityMode mode) => Prefix + ModeName(mode) + "-version";

    public static bool IsPsaLabel(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    public static bool TryParseLevel(string? text, out PodSecurityLevel level)
    {
        switch (text)
        {
            case "privileged":
                level = PodSecurityLevel.Privileged;
                return true;
            case "baseline":
                level = PodSecurityLevel.Baseline;
                return true;
            case "restricted":
                level = PodSecurityLevel.Restricted;
                return true;
            default:
                level = PodSecurityLevel.Restricted;
                return false;
        }
    }

    /// <summary>
    /// The level and version a mode's labels put in force, as pod-security-admission reads them: an absent
    /// level is the built-in default privileged; an invalid enforce level fails closed (restricted), an invalid
    /// warn or audit level counts as privileged; an absent or invalid version is latest.
    /// </summary>
    public static LevelVersion Effective(IReadOnlyDictionary<string, string> labels, PodSecurityMode mode)
    {
        var level = PodSecurityLevel.Privileged;
        if (labels.TryGetValue(LevelKey(mode), out var levelText) && !TryParseLevel(levelText, out level))
        {
            level = mode == PodSecurityMode.Enforce ? PodSecurityLevel.Restricted : PodSecurityLevel.Privileged;
        }

        labels.TryGetValue(VersionKey(mode), out var versionText);
        PsaVersion.TryParse(versionText ?? "latest", out var version);
        return new LevelVersion(level, version);
    }

    /// <summary>Only the pod-security.kubernetes.io/* labels, sorted.</summary>
    public static Dictionary<string, string> PsaOnly(IEnumerable<KeyValuePair<string, string>> labels)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels.Where(l => IsPsaLabel(l.Key)).OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            result[key] = value;
        }

        return result;
    }

    public static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && string.Equals(v, kv.Value, StringComparison.Ordinal));

    /// <summary>"enforce=baseline, warn=restricted:v1.31" (none: "no pod-security labels").</summary>
    public static string Summary(IReadOnlyDictionary<string, string> labels)
    {
        var parts = new List<string>();
        foreach (var mode in AllModes)
        {
            labels.TryGetValue(LevelKey(mode), out var level);
            labels.TryGetValue(VersionKey(mode), out var version);
            if (level is null && version is null)
            {
                continue;
            }

            parts.Add(ModeName(mode) + "=" + (level ?? "(default)") + (version is null ? string.Empty : ":" + version));
        }

        return parts.Count == 0 ? "no pod-security labels" : string.Join(", ", parts);
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// A Pod Security Standards policy version: <c>latest</c> or <c>v1.N</c>. <c>latest</c> sorts after every
/// numbered version, as the apiserver orders them.
/// </summary>
public readonly partial record struct PodSecurityVersion(int Minor, bool IsLatest)
{
    public static PodSecurityVersion Latest => new(0, true);

    public static PodSecurityVersion Of(int minor) => new(minor, false);

    /// <summary>True when this version is older than <paramref name="other"/> (latest is never older).</summary>
    public bool IsOlderThan(PodSecurityVersion other) => !IsLatest && (other.IsLatest || Minor < other.Minor);

    /// <summary>Parses a version label value: "latest" or "v1.N" (no leading zeros, N fits an int).</summary>
    public static bool TryParse(string? text, out PodSecurityVersion version)
    {
        version = Latest;
        if (text == "latest")
        {
            return true;
        }

        var match = VersionPattern().Match(text ?? string.Empty);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }

        version = Of(minor);
        return true;
    }

    public override string ToString() => IsLatest ? "latest" : "v1." + Minor.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^v1\\.([0-9]|[1-9][0-9]*)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}

/// <summary>A level at a version, written as the apiserver writes it: "baseline:latest".</summary>
public readonly record struct LevelVersion(string Level, PodSecurityVersion Version)
{
    public override string ToString() => Level + ":" + Version;
}

/// <summary>The enforce, audit and warn level-versions that apply in a namespace.</summary>
public sealed record PodSecurityPolicy(LevelVersion Enforce, LevelVersion Audit, LevelVersion Warn)
{
    /// <summary>privileged:latest for every mode: the Kubernetes built-in default.</summary>
    public static PodSecurityPolicy Privileged { get; } = new(
        new LevelVersion(PodSecurity.LevelPrivileged, PodSecurityVersion.Latest),
        new LevelVersion(PodSecurity.LevelPrivileged, PodSecurityVersion.Latest),
        new LevelVersion(PodSecurity.LevelPrivileged, PodSecurityVersion.Latest));

    public bool FullyPrivileged => Enforce.Level == PodSecurity.LevelPrivileged && Audit.Level == PodSecurity.LevelPrivileged && Warn.Level == PodSecurity.LevelPrivileged;
}

/// <summary>An invalid Pod Security label, as a field error of the apiserver's Invalid status.</summary>
public sealed record PodSecurityLabelError(string Label, string Value, string Detail)
{
    public string Field => "metadata.labels[" + Label + "]";

    /// <summary>The field error without its field: <c>Invalid value: "x": must be ...</c>.</summary>
    public string Body => "Invalid value: " + PodSecurity.GoQuote(Value) + ": " + Detail;

    public override string ToString() => Field + ": " + Body;
}

/// <summary>One failed check: its ID, the reason (always shown) and the detail (shown for single objects).</summary>
public readonly record struct PodSecurityViolation(string CheckId, string Reason, string Detail);

/// <summary>The aggregate of the checks of one level-version against one pod(-like) object.</summary>
public sealed class PodSecurityResult
{
    public PodSecurityResult(IReadOnlyList<PodSecurityViolation> violations)
    {
        Violations = violations;
    }

    public static PodSecurityResult AllowedResult { get; } = new(Array.Empty<PodSecurityViolation>());

    public bool Allowed => Violations.Count == 0;

    public IReadOnlyList<PodSecurityViolation> Violations { get; }

    /// <summary>The reasons joined with ", ", in check order: "host namespaces, hostPort".</summary>
    public string ForbiddenReason => string.Join(", ", Violations.Select(v => v.Reason));

    /// <summary>Each reason with its detail in parentheses: "host namespaces (hostNetwork=true), hostPort (...)".</summary>
    public string ForbiddenDetail
    {
        get
        {
            var text = new StringBuilder();
            for (var i = 0; i < Violations.Count; i++)
            {
                text.Append(Violations[i].Reason);
                if (Violations[i].Detail.Length > 0)
                {
                    text.Append(" (").Append(Violations[i].Detail).Append(')');
                }

                if (i != Violations.Count - 1)
                {
                    text.Append(", ");
                }
            }

            return text.ToString();
        }
    }
}

/// <summary>What evaluating a namespace's existing pods against a new enforce level produced.</summary>
public sealed record NamespacePodCheck(IReadOnlyList<string> Warnings, int Checked, int Total, bool TimedOut);

using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Remediation;

namespace HostNetAudit.Engine.PodSecurity;

/// <summary>
/// The remediation rules that need no cluster: the labels a Set asks for, never weakening a stricter level
/// per mode without -Force; the changes in words; and what the apiserver's warnings say about its own check.
/// </summary>
internal static class RemediationRules
{
    /// <summary>
    /// The pod-security labels after a Set: for every named mode its level label (and version label when a
    /// version is given). A mode whose current effective level:version is stricter than the one asked for is
    /// kept as it is unless <see cref="PodSecurityRequest.Force"/>; <paramref name="kept"/> names those.
    /// </summary>
    public static Dictionary<string, string> DesiredForSet(IReadOnlyDictionary<string, string> currentPsa, PodSecurityRequest request, out List<string> kept)
    {
        var desired = new Dictionary<string, string>(currentPsa, StringComparer.Ordinal);
        kept = new List<string>();
        PsaVersion? version = null;
        if (request.Version is not null)
        {
            if (!PsaVersion.TryParse(request.Version, out var parsed))
            {
                throw new HostNetAuditException("InvalidPodSecurityVersion", FailureCategory.InvalidArgument, request.Version, $"'{request.Version}' is not a Pod Security version: use latest or v1.N (for example v1.31).");
            }

            version = parsed;
        }

        foreach (var mode in request.Modes.Distinct())
        {
            var current = PsaLabels.Effective(currentPsa, mode);
            PsaVersion.TryParse(currentPsa.TryGetValue(PsaLabels.VersionKey(mode), out var v) ? v : "latest", out var currentVersion);
            var wanted = new LevelVersion(request.Level, version ?? currentVersion);
            if (!request.Force && wanted.CompareStrictness(current) < 0)
            {
                var invalid = currentPsa.TryGetValue(PsaLabels.LevelKey(mode), out var text) && !PsaLabels.TryParseLevel(text, out _)
                    ? $" (its label says '{text}', which the apiserver enforces as restricted)"
                    : string.Empty;
                kept.Add($"{PsaLabels.ModeName(mode)}={current}{invalid}");
                continue;
            }

            desired[PsaLabels.LevelKey(mode)] = PsaLabels.LevelName(request.Level);
            if (version is { } given)
            {
                desired[PsaLabels.VersionKey(mode)] = given.ToString();
            }
        }

        return PsaLabels.PsaOnly(desired);
    }

    /// <summary>
    /// What a Set newly checks existing pods and templates against, as the apiserver itself does: the new enforce
    /// level:version (its "latest" resolved to <paramref name="maxMinor"/>) when it changes to something stricter than
    /// privileged; null when enforce does not tighten, so nothing running can break.
    /// </summary>
    public static EnforceTarget? NewEnforceTarget(IReadOnlyDictionary<string, string> currentPsa, IReadOnlyDictionary<string, string> desiredPsa, int maxMinor)
    {
        var before = PsaLabels.Effective(currentPsa, PodSecurityMode.Enforce);
        var after = PsaLabels.Effective(desiredPsa, PodSecurityMode.Enforce);
        return after != before && after.Level != PodSecurityLevel.Privileged ? new EnforceTarget(after, after.Version.Resolve(maxMinor)) : null;
    }

    /// <summary>The newest Pod Security policy minor the server knows ("v1.30.2" → 30), capped at the module's newest; unknown: the module's newest.</summary>
    public static int ServerMinor(string? version)
    {
        var parts = version?.TrimStart('v').Split('.', '-', '+');
        return parts is { Length: >= 2 } && int.TryParse(parts[1], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? Math.Min(parsed, PsaLabels.NewestKnownMinor)
            : PsaLabels.NewestKnownMinor;
    }

    /// <summary>"enforce=baseline (was privileged), warn=baseline (was not set), audit-version removed".</summary>
    public static string DescribeChanges(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var parts = new List<string>();
        foreach (var key in before.Keys.Union(after.Keys).Distinct(StringComparer.Ordinal).OrderBy(Order).ThenBy(k => k, StringComparer.Ordinal))
        {
            var name = key.StartsWith(PsaLabels.Prefix, StringComparison.Ordinal) ? key[PsaLabels.Prefix.Length..] : key;
            var had = before.TryGetValue(key, out var old);
            var has = after.TryGetValue(key, out var now);
            if (had && has && old == now)
            {
                continue;
            }

            parts.Add(!has ? $"{name} removed (was {old})" : $"{name}={now} (was {(had ? old : "not set")})");
        }

        return parts.Count == 0 ? "no change" : string.Join(", ", parts);
    }

    /// <summary>Short, for the table: "enforce,warn,audit=baseline", "enforce-version=v1.31, -audit".</summary>
    public static string CompactChanges(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var keys = before.Keys.Union(after.Keys).Distinct(StringComparer.Ordinal).OrderBy(Order).ThenBy(k => k, StringComparer.Ordinal).ToList();
        var set = keys.Where(k => after.TryGetValue(k, out var now) && (!before.TryGetValue(k, out var old) || old != now))
            .GroupBy(k => after[k], StringComparer.Ordinal)
            .Select(g => string.Join(",", g.Select(Short)) + "=" + g.Key);
        var removed = keys.Where(k => before.ContainsKey(k) && !after.ContainsKey(k)).Select(k => "-" + Short(k));
        var parts = set.Concat(removed).ToList();
        return parts.Count == 0 ? "no change" : string.Join(", ", parts);

        static string Short(string key) => key.StartsWith(PsaLabels.Prefix, StringComparison.Ordinal) ? key[PsaLabels.Prefix.Length..] : key;
    }

    /// <summary>"2 pods and 1 template".</summary>
    public static string CountPhrase(IReadOnlyCollection<PodSecurityViolation> items)
    {
        var pods = items.Count(i => i.Kind == "Pod");
        var templates = items.Count - pods;
        var parts = new List<string>();
        if (pods > 0)
        {
            parts.Add(pods == 1 ? "1 pod" : $"{pods} pods");
        }

        if (templates > 0)
        {
            parts.Add(templates == 1 ? "1 template" : $"{templates} templates");
        }

        return string.Join(" and ", parts);
    }

    /// <summary>"violates" for one item, "violate" for several.</summary>
    public static string Violate(IReadOnlyCollection<PodSecurityViolation> items) => items.Count == 1 ? "violates" : "violate";

    /// <summary>One line per top workload ("DaemonSet/fluent-bit (6 pods): hostPath volumes"), each on its own line.</summary>
    public static string Grouped(IEnumerable<PodSecurityViolation> items) => WorkloadGroups.Block(items.Select(Refused));

    /// <summary>"3 workloads": how many top workloads (bare pods count one each) the items belong to.</summary>
    public static string Workloads(IEnumerable<PodSecurityViolation> items) => WorkloadGroups.CountWorkloads(WorkloadGroups.Group(items.Select(Refused)).Count);

    private static RefusedItem Refused(PodSecurityViolation v) => new(v.Kind, v.Name, v.Owner, v.Reasons);

    /// <summary>
    /// True when the apiserver says its check of existing pods stopped early (3,000 pods, about 1 s, a failed
    /// list) or its warnings were cut at 4,096 characters (then every warning is at most 256 characters long).
    /// </summary>
    public static bool IsApiServerCheckTruncated(IReadOnlyList<string> warnings)
    {
        if (warnings.Any(w => w.StartsWith("new PodSecurity enforce level only checked against the first", StringComparison.Ordinal) ||
                              w.StartsWith("failed to list pods while checking new PodSecurity enforce level", StringComparison.OrdinalIgnoreCase) ||
                              w.StartsWith("Large namespace: only checking the first", StringComparison.Ordinal)))
        {
            return true;
        }

        const int TotalRunes = 4096;
        const int ItemRunes = 256;
        var lengths = warnings.Select(w => w.EnumerateRunes().Count()).ToList();
        return lengths.Sum() > TotalRunes - ItemRunes || lengths.Any(l => l == ItemRunes);
    }

    private static int Order(string key) => key switch
    {
        _ when key.EndsWith("/enforce", StringComparison.Ordinal) => 0,
        _ when key.EndsWith("/enforce-version", StringComparison.Ordinal) => 1,
        _ when key.EndsWith("/warn", StringComparison.Ordinal) => 2,
        _ when key.EndsWith("/warn-version", StringComparison.Ordinal) => 3,
        _ when key.EndsWith("/audit", StringComparison.Ordinal) => 4,
        _ when key.EndsWith("/audit-version", StringComparison.Ordinal) => 5,
        _ => 6,
    };
}

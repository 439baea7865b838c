using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Api;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// Pod Security Admission as the kube-apiserver's PodSecurity plugin applies it: the policy of a namespace
/// from its labels and the cluster defaults, the apiserver's messages for denials, warnings and invalid
/// labels, and the evaluation of a namespace's existing pods when its enforce level tightens (prioritised
/// like the apiserver, capped at 3,000 pods and a time budget). Written for the simulator from the
/// published behaviour of k8s.io/pod-security-admission; it shares nothing with the module's engine.
/// The checks themselves are in <see cref="PodSecurityEvaluator"/>.
/// </summary>
public static class PodSecurity
{
    public const string Prefix = "pod-security.kubernetes.io/";
    public const string EnforceLabel = Prefix + "enforce";
    public const string EnforceVersionLabel = Prefix + "enforce-version";
    public const string AuditLabel = Prefix + "audit";
    public const string AuditVersionLabel = Prefix + "audit-version";
    public const string WarnLabel = Prefix + "warn";
    public const string WarnVersionLabel = Prefix + "warn-version";
    public const string LevelPrivileged = "privileged";
    public const string LevelBaseline = "baseline";
    public const string LevelRestricted = "restricted";

    /// <summary>The apiserver's cap on existing pods evaluated when a namespace's enforce level changes.</summary>
    public const int DefaultNamespaceMaxPodsToCheck = 3000;

    /// <summary>The apiserver's time budget for that evaluation.</summary>
    public static readonly TimeSpan DefaultNamespacePodCheckTimeout = TimeSpan.FromSeconds(1);

    public static readonly IReadOnlyList<string> Levels = new[] { LevelPrivileged, LevelBaseline, LevelRestricted };

    /// <summary>
    /// The policy of a namespace from its labels, falling back to the defaults for absent labels. Invalid
    /// values are reported; an invalid enforce level evaluates as restricted (fail closed), an invalid
    /// audit or warn level as privileged, and an invalid version as latest.
    /// </summary>
    public static (PodSecurityPolicy Policy, IReadOnlyList<PodSecurityLabelError> Errors) PolicyToEvaluate(IReadOnlyDictionary<string, string> labels, PodSecurityPolicy defaults)
    {
        var errors = new List<PodSecurityLabelError>();
        if (labels.Count == 0)
        {
            return (defaults, errors);
        }

        LevelVersion Mode(LevelVersion fallback, string levelLabel, string versionLabel, string invalidLevel)
        {
            var level = fallback.Level;
            var version = fallback.Version;
            if (labels.TryGetValue(levelLabel, out var levelText))
            {
                if (Levels.Contains(levelText, StringComparer.Ordinal))
                {
                    level = levelText;
                }
                else
                {
                    level = invalidLevel;
                    errors.Add(new PodSecurityLabelError(levelLabel, levelText, "must be one of privileged, baseline, restricted"));
                }
            }

            if (labels.TryGetValue(versionLabel, out var versionText))
            {
                if (!PodSecurityVersion.TryParse(versionText, out version))
                {
                    errors.Add(new PodSecurityLabelError(versionLabel, versionText, "must be \"latest\" or \"v1.x\""));
                }
            }

            return new LevelVersion(level, version);
        }

        var enforce = Mode(defaults.Enforce, EnforceLabel, EnforceVersionLabel, LevelRestricted);
        var audit = Mode(defaults.Audit, AuditLabel, AuditVersionLabel, LevelPrivileged);
        var warn = Mode(defaults.Warn, WarnLabel, WarnVersionLabel, LevelPrivileged);
        return (new PodSecurityPolicy(enforce, audit, warn), errors);
    }

    /// <summary>Compares levels by strictness: -1 when <paramref name="a"/> is less strict than <paramref name="b"/>.</summary>
    public static int CompareLevels(string a, string b)
    {
        if (a == b)
        {
            return 0;
        }

        return a switch
        {
            LevelPrivileged => -1,
            LevelRestricted => 1,
            _ => b == LevelPrivileged ? 1 : b == LevelRestricted ? -1 : 0,
        };
    }

    /// <summary>
    /// Whether a namespace update must evaluate existing pods: the enforce level-version changed, is not
    /// privileged, and is not the same version at an equal or more relaxed level.
    /// </summary>
    public static bool EnforceTightened(LevelVersion before, LevelVersion after) =>
        after != before && after.Level != LevelPrivileged && !(after.Version == before.Version && CompareLevels(after.Level, before.Level) < 1);

    /// <summary>The denial of an enforce violation: <c>pods "x" is forbidden: violates PodSecurity "baseline:latest": ...</c>.</summary>
    public static string ForbiddenMessage(string resource, string name, LevelVersion enforce, PodSecurityResult result) =>
        $"{resource} \"{name}\" is forbidden: violates PodSecurity \"{enforce}\": {result.ForbiddenDetail}";

    /// <summary>The warn-mode warning: <c>would violate PodSecurity "restricted:latest": ...</c>.</summary>
    public static string WarningMessage(LevelVersion warn, PodSecurityResult result) =>
        $"would violate PodSecurity \"{warn}\": {result.ForbiddenDetail}";

    /// <summary>The 403 Status of a denied pod.</summary>
    public static JsonObject ForbiddenStatus(string name, LevelVersion enforce, PodSecurityResult result) =>
        Status.Failure(403, "Forbidden", ForbiddenMessage("pods", name, enforce, result), Status.Details(name, string.Empty, "pods"));

    /// <summary>The 422 Status of invalid Pod Security labels on a namespace, as the apiserver words it.</summary>
    public static JsonObject InvalidLabelsStatus(string namespaceName, IReadOnlyList<PodSecurityLabelError> errors)
    {
        var messages = errors.Select(e => e.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var aggregate = messages.Count == 1 ? messages[0] : "[" + string.Join(", ", messages) + "]";
        var details = Status.Details(namespaceName, string.Empty, "Namespace");
        details["causes"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject
        {
            ["reason"] = "FieldValueInvalid",
            ["message"] = e.Body,
            ["field"] = e.Field,
        }).ToArray());
        return Status.Failure(422, "Invalid", $"Namespace \"{namespaceName}\" is invalid: {aggregate}", details);
    }

    /// <summary>
    /// Evaluates a namespace's existing pods against a new enforce level-version as the apiserver does on a
    /// namespace update: pods of exempt runtime classes are left out; one pod per controller goes first
    /// (the rest of a controller's replicas after all others); at most <paramref name="maxPods"/> are checked,
    /// and checking stops after the pod during which the time budget ran out. Warnings, in the apiserver's
    /// order: "only checked against the first N of M" when not all were checked, the header naming the
    /// namespace and level when any pod violates it, then one warning per distinct set of reasons, naming
    /// the lexically first pod and "(and N other pods)", sorted.
    /// <paramref name="costPerPod"/> is the simulated time each pod's evaluation takes. Null measures real time;
    /// a value makes the budget deterministic (the budget runs out after the pod that reaches it), so tests can
    /// force the limit.
    /// </summary>
    public static NamespacePodCheck EvaluatePodsInNamespace(
        PodSecurityEvaluator evaluator,
        string ns,
        LevelVersion enforce,
        IEnumerable<JsonElement> pods,
        PodSecurityConfiguration configuration,
        int maxPods,
        TimeSpan budget,
        TimeSpan? costPerPod = null)
    {
        var clock = Stopwatch.StartNew();
        var prioritized = Prioritize(pods, configuration);
        var total = prioritized.Count;
        if (prioritized.Count > maxPods)
        {
            prioritized = prioritized.GetRange(0, Math.Max(0, maxPods));
        }

        var checkedPods = prioritized.Count;
        var timedOut = false;
        var order = new List<string>();
        var groups = new Dictionary<string, (string First, int Count)>(StringComparer.Ordinal);
        for (var i = 0; i < prioritized.Count; i++)
        {
            var pod = prioritized[i];
            var result = evaluator.EvaluatePod(enforce, pod);
            if (!result.Allowed)
            {
                var name = pod.Get("metadata").Get("name").Str() ?? string.Empty;
                var reasons = result.ForbiddenReason;
                if (!groups.TryGetValue(reasons, out var group))
                {
                    order.Add(reasons);
                    group = (name, 0);
                }
                else if (string.CompareOrdinal(name, group.First) < 0)
                {
                    group.First = name;
                }

                groups[reasons] = (group.First, group.Count + 1);
            }

            var elapsed = costPerPod is { } cost ? cost * (i + 1) : clock.Elapsed;
            if (elapsed >= budget)
            {
                timedOut = i + 1 < prioritized.Count;
                checkedPods = i + 1;
                break;
            }
        }

        var warnings = new List<string>();
        if (checkedPods < total)
        {
            warnings.Add($"new PodSecurity enforce level only checked against the first {checkedPods.ToString(CultureInfo.InvariantCulture)} of {total.ToString(CultureInfo.InvariantCulture)} existing pods");
        }

        if (order.Count > 0)
        {
            warnings.Add($"existing pods in namespace \"{ns}\" violate the new PodSecurity enforce level \"{enforce}\"");
        }

        var decorated = order.Select(reasons =>
        {
            var (first, count) = groups[reasons];
            return count switch
            {
                1 => $"{first}: {reasons}",
                2 => $"{first} (and 1 other pod): {reasons}",
                _ => $"{first} (and {(count - 1).ToString(CultureInfo.InvariantCulture)} other pods): {reasons}",
            };
        }).OrderBy(w => w, StringComparer.Ordinal);
        warnings.AddRange(decorated);
        return new NamespacePodCheck(warnings, checkedPods, total, timedOut);
    }

    /// <summary>
    /// The budget of the existing-pod check: the configured timeout, or half of what remains of the request's
    /// deadline when that is shorter (the request's <c>timeout</c> parameter, at most 60 s; 60 s without one).
    /// </summary>
    public static TimeSpan Budget(TimeSpan configured, string? timeoutParameter)
    {
        var deadline = TimeSpan.FromSeconds(60);
        if (TryParseGoDuration(timeoutParameter, out var requested) && requested > TimeSpan.Zero && requested < deadline)
        {
            deadline = requested;
        }

        return deadline / 2 < configured ? deadline / 2 : configured;
    }

    /// <summary>Parses a Go duration as the apiserver reads the timeout parameter ("30s", "1m30s", "500ms", "1.5h").</summary>
    public static bool TryParseGoDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        var total = 0.0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }

            double? scale = text[unitStart..i] switch
            {
                "ns" => 1e-6,
                "us" or "µs" or "μs" => 1e-3,
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => null,
            };
            if (scale is null)
            {
                return false;
            }

            total += number * scale.Value;
        }

        duration = TimeSpan.FromMilliseconds(total);
        return true;
    }

    /// <summary>Go's %q for the simple strings of labels and annotations.</summary>
    public static string GoQuote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                default:
                    if (Rune.IsControl(rune))
                    {
                        text.Append(rune.Value < 0x80 ? $"\\x{rune.Value:x2}" : $"\\u{rune.Value:x4}");
                    }
                    else
                    {
                        text.Append(rune.ToString());
                    }

                    break;
            }
        }

        return text.Append('"').ToString();
    }

    /// <summary>The pod-template-bearing kinds whose creation PSA warns (never denies) about.</summary>
    public static bool HasPodTemplate(string kind) =>
        kind is "Deployment" or "DaemonSet" or "StatefulSet" or "ReplicaSet" or "Job" or "CronJob" or "ReplicationController" or "PodTemplate";

    /// <summary>The pod template of a controller object (metadata and spec), or null when it has none.</summary>
    public static (JsonObject? Metadata, JsonObject Spec)? PodTemplate(string kind, JsonObject obj)
    {
        var template = kind switch
        {
            "PodTemplate" => obj["template"],
            "CronJob" => Json.Path(obj, "spec", "jobTemplate", "spec", "template"),
            _ => Json.Path(obj, "spec", "template"),
        };
        return template is JsonObject t ? (t["metadata"] as JsonObject, t["spec"] as JsonObject ?? new JsonObject()) : null;
    }

    /// <summary>
    /// A pod update is evaluated only when something PSA cares about can have changed: the seccomp
    /// annotations, the number of (init) containers, an image, or an added ephemeral container.
    /// </summary>
    public static bool IsSignificantPodUpdate(JsonObject pod, JsonObject old)
    {
        const string seccompPod = "seccomp.security.alpha.kubernetes.io/pod";
        string? Annotation(JsonObject p, string key) => Json.String(Json.Path(p, "metadata", "annotations", key));
        JsonArray List(JsonObject p, string key) => Json.Path(p, "spec", key) as JsonArray ?? new JsonArray();
        bool ContainerChanged(JsonObject? c, JsonObject? o)
        {
            var name = Json.String(c?["name"]) ?? string.Empty;
            var key = "container.seccomp.security.alpha.kubernetes.io/" + name;
            return Json.String(c?["image"]) != Json.String(o?["image"]) || Annotation(pod, key) != Annotation(old, key);
        }

        if (Annotation(pod, seccompPod) != Annotation(old, seccompPod))
        {
            return true;
        }

        foreach (var list in new[] { "containers", "initContainers" })
        {
            var now = List(pod, list);
            var before = List(old, list);
            if (now.Count != before.Count)
            {
                return true;
            }

            for (var i = 0; i < now.Count; i++)
            {
                if (ContainerChanged(now[i] as JsonObject, before[i] as JsonObject))
                {
                    return true;
                }
            }
        }

        var oldEphemeral = List(old, "ephemeralContainers").OfType<JsonObject>().ToList();
        foreach (var container in List(pod, "ephemeralContainers").OfType<JsonObject>())
        {
            var previous = oldEphemeral.FirstOrDefault(o => Json.String(o["name"]) == Json.String(container["name"]));
            if (previous is null || ContainerChanged(container, previous))
            {
                return true;
            }
        }

        return false;
    }

    private static List<JsonElement> Prioritize(IEnumerable<JsonElement> pods, PodSecurityConfiguration configuration)
    {
        var prioritized = new List<JsonElement>();
        var replicas = new List<JsonElement>();
        var controllers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (configuration.IsExemptRuntimeClass(pod.Get("spec").Get("runtimeClassName").Str()))
            {
                continue;
            }

            var controller = pod.Get("metadata").Get("ownerReferences").Items().FirstOrDefault(o => o.Get("controller").True());
            if (controller.ValueKind != JsonValueKind.Object)
            {
                prioritized.Add(pod);
            }
            else if (controllers.Add(controller.Get("uid").Str() ?? string.Empty))
            {
                prioritized.Add(pod);
            }
            else
            {
                replicas.Add(pod);
            }
        }

        prioritized.AddRange(replicas);
        return prioritized;
    }
}

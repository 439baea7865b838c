using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// Pod Security Admission as the apiserver applies it: levels from namespace labels, the baseline and
/// restricted checks, and the apiserver's wording. Written for the simulator from the published Pod
/// Security Standards; it shares nothing with the module's engine.
/// </summary>
public static class PodSecurity
{
    public const string Prefix = "pod-security.kubernetes.io/";
    public static readonly string[] Levels = { "privileged", "baseline", "restricted" };

    /// <summary>The effective level and version of a mode from namespace labels (invalid enforce fails closed).</summary>
    public static (string Level, string Version) Effective(IReadOnlyDictionary<string, string> labels, string mode, string defaultLevel = "privileged")
    {
        var level = labels.TryGetValue(Prefix + mode, out var l) ? l : defaultLevel;
        var version = labels.TryGetValue(Prefix + mode + "-version", out var v) ? v : "latest";
        if (!Levels.Contains(level))
        {
            level = mode == "enforce" ? "restricted" : "privileged";
        }

        return (level, version);
    }

    /// <summary>The failed checks of a pod spec at a level, each as (reason, detail).</summary>
    public static List<(string Reason, string Detail)> Check(JsonObject podSpec, string level)
    {
        var failures = new List<(string, string)>();
        if (level == "privileged")
        {
            return failures;
        }

        var hostNamespaces = new List<string>();
        if (podSpec["hostNetwork"]?.GetValue<bool>() == true)
        {
            hostNamespaces.Add("hostNetwork=true");
        }

        if (podSpec["hostPID"]?.GetValue<bool>() == true)
        {
            hostNamespaces.Add("hostPID=true");
        }

        if (podSpec["hostIPC"]?.GetValue<bool>() == true)
        {
            hostNamespaces.Add("hostIPC=true");
        }

        if (hostNamespaces.Count > 0)
        {
            failures.Add(("host namespaces", string.Join(", ", hostNamespaces)));
        }

        var containers = Containers(podSpec).ToList();
        var privileged = containers.Where(c => c["securityContext"]?["privileged"]?.GetValue<bool>() == true).Select(Name).ToList();
        if (privileged.Count > 0)
        {
            failures.Add(("privileged", Quote("container", privileged) + " must not set securityContext.privileged=true"));
        }

        var hostPaths = (podSpec["volumes"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().Where(v => v["hostPath"] is not null).Select(v => v["name"]?.GetValue<string>() ?? string.Empty).ToList();
        if (hostPaths.Count > 0)
        {
            failures.Add(("hostPath volumes", Quote("volume", hostPaths)));
        }

        var hostPorts = containers.SelectMany(c => (c["ports"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().Where(p => (p["hostPort"]?.GetValue<int>() ?? 0) > 0)).ToList();
        if (hostPorts.Count > 0)
        {
            failures.Add(("hostPort", "uses hostPort"));
        }

        if (level == "restricted")
        {
            var escalation = containers.Where(c => c["securityContext"]?["allowPrivilegeEscalation"]?.GetValue<bool>() != false).Select(Name).ToList();
            if (escalation.Count > 0)
            {
                failures.Add(("allowPrivilegeEscalation != false", Quote("container", escalation) + " must set securityContext.allowPrivilegeEscalation=false"));
            }

            var capabilities = containers.Where(c => !((c["securityContext"]?["capabilities"]?["drop"] as JsonArray)?.Any(d => d?.GetValue<string>() == "ALL") ?? false)).Select(Name).ToList();
            if (capabilities.Count > 0)
            {
                failures.Add(("unrestricted capabilities", Quote("container", capabilities) + " must set securityContext.capabilities.drop=[\"ALL\"]"));
            }

            var podNonRoot = podSpec["securityContext"]?["runAsNonRoot"]?.GetValue<bool>() == true;
            var nonRoot = containers.Where(c => !(c["securityContext"]?["runAsNonRoot"]?.GetValue<bool>() ?? podNonRoot)).Select(Name).ToList();
            if (nonRoot.Count > 0)
            {
                failures.Add(("runAsNonRoot != true", "pod or " + Quote("container", nonRoot) + " must set securityContext.runAsNonRoot=true"));
            }

            var podSeccomp = podSpec["securityContext"]?["seccompProfile"]?["type"]?.GetValue<string>();
            var seccomp = containers.Where(c => (c["securityContext"]?["seccompProfile"]?["type"]?.GetValue<string>() ?? podSeccomp) is not ("RuntimeDefault" or "Localhost")).Select(Name).ToList();
            if (seccomp.Count > 0)
            {
                failures.Add(("seccompProfile", "pod or " + Quote("container", seccomp) + " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""));
            }
        }

        return failures;
    }

    private static IEnumerable<JsonObject> Containers(JsonObject spec) =>
        new[] { "initContainers", "containers", "ephemeralContainers" }.SelectMany(k => (spec[k] as JsonArray ?? new JsonArray()).OfType<JsonObject>());

    private static string Name(JsonObject container) => container["name"]?.GetValue<string>() ?? string.Empty;

    private static string Quote(string noun, List<string> names) =>
        names.Count == 1 ? $"{noun} \"{names[0]}\"" : $"{noun}s " + string.Join(", ", names.Select(n => "\"" + n + "\""));

    /// <summary>The PSA denial message of a pod create.</summary>
    public static string Forbidden(string podName, string level, string version, List<(string Reason, string Detail)> failures) =>
        $"pods \"{podName}\" is forbidden: violates PodSecurity \"{level}:{version}\": " + string.Join(", ", failures.Select(f => $"{f.Reason} ({f.Detail})"));

    /// <summary>
    /// The warnings of an enforce-label change: the header line, then one line per distinct set of
    /// reasons, naming the first pod and how many others share it.
    /// </summary>
    public static List<string> ExistingPodWarnings(string ns, string level, string version, IEnumerable<(string Name, JsonObject Spec)> pods)
    {
        var groups = new List<(string Reasons, string First, int Others)>();
        foreach (var (name, spec) in pods)
        {
            var failures = Check(spec, level);
            if (failures.Count == 0)
            {
                continue;
            }

            var reasons = string.Join(", ", failures.Select(f => f.Reason).Distinct().OrderBy(r => r, StringComparer.Ordinal));
            var index = groups.FindIndex(g => g.Reasons == reasons);
            if (index < 0)
            {
                groups.Add((reasons, name, 0));
            }
            else
            {
                groups[index] = (reasons, groups[index].First, groups[index].Others + 1);
            }
        }

        if (groups.Count == 0)
        {
            return new List<string>();
        }

        var warnings = new List<string> { $"existing pods in namespace \"{ns}\" violate the new PodSecurity enforce level \"{level}:{version}\"" };
        warnings.AddRange(groups.Select(g => g.Others == 0 ? $"{g.First}: {g.Reasons}" : $"{g.First} (and {g.Others} other pod{(g.Others == 1 ? string.Empty : "s")}): {g.Reasons}"));
        return warnings;
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// The Pod Security Standards checks as a given kube-apiserver minor version carries them, written for the
/// simulator from the behaviour of the apiserver's PodSecurity plugin (k8s.io/pod-security-admission): each
/// check has an ID, a level and versioned revisions; a restricted revision may override a baseline check;
/// "latest" and any version newer than the newest revision the binary knows evaluate as that newest one.
/// Checks run baseline first, then restricted, each group in check-ID order, which fixes the order of the
/// reasons in messages (the order of 1.25 and later; 1.23 and 1.24 listed some baseline reasons last). Things a binary patched in place (image volumes allowed by restricted from 1.33, the
/// AppArmor fields checked from 1.30) follow the emulated binary, not the policy version.
/// </summary>
public sealed class PodSecurityEvaluator
{
    /// <summary>The newest kube-apiserver minor whose checks are emulated; newer servers evaluate as it.</summary>
    public const int NewestKnownMinor = 37;

    private static readonly ConcurrentDictionary<int, PodSecurityEvaluator> Cache = new();
    private readonly List<Check> baseline;
    private readonly List<Check> restricted;
    private readonly ConcurrentDictionary<(bool Restricted, int Minor), (string Id, CheckFunction Function)[]> plans = new();

    private PodSecurityEvaluator(int binaryMinor)
    {
        BinaryMinor = binaryMinor;
        var checks = PodSecurityChecks.For(binaryMinor);
        baseline = checks.Where(c => !c.Restricted).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        restricted = checks.Where(c => c.Restricted).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        MaxVersion = PodSecurityVersion.Of(checks.SelectMany(c => c.Revisions).Max(r => r.MinimumMinor));
    }

    /// <summary>The emulated kube-apiserver minor version (31 for v1.31.4).</summary>
    public int BinaryMinor { get; }

    /// <summary>The newest revision any check has in this binary: what "latest" evaluates as.</summary>
    public PodSecurityVersion MaxVersion { get; }

    /// <summary>The evaluator of a kube-apiserver minor version (clamped to the versions emulated).</summary>
    public static PodSecurityEvaluator For(int binaryMinor) =>
        Cache.GetOrAdd(Math.Clamp(binaryMinor, 23, NewestKnownMinor), minor => new PodSecurityEvaluator(minor));

    /// <summary>The version a level-version evaluates as: anything newer than <see cref="MaxVersion"/> becomes it.</summary>
    public int EffectiveMinor(PodSecurityVersion version) => MaxVersion.IsOlderThan(version) ? MaxVersion.Minor : version.Minor;

    /// <summary>The IDs of the checks that run for a level-version, in order.</summary>
    public IReadOnlyList<string> CheckIds(LevelVersion levelVersion) => Plan(levelVersion).Select(p => p.Id).ToList();

    /// <summary>Evaluates a pod's (or a pod template's) metadata and spec, as JSON, at a level-version.</summary>
    public PodSecurityResult Evaluate(LevelVersion levelVersion, JsonElement metadata, JsonElement spec)
    {
        if (levelVersion.Level == PodSecurity.LevelPrivileged)
        {
            return PodSecurityResult.AllowedResult;
        }

        var pod = new PodView(metadata, spec);
        List<PodSecurityViolation>? violations = null;
        foreach (var (id, function) in Plan(levelVersion))
        {
            if (function(pod) is { } failure)
            {
                violations ??= new List<PodSecurityViolation>();
                violations.Add(new PodSecurityViolation(id, failure.Reason, failure.Detail));
            }
        }

        return violations is null ? PodSecurityResult.AllowedResult : new PodSecurityResult(violations);
    }

    /// <summary>Evaluates a pod's (or a pod template's) metadata and spec at a level-version.</summary>
    public PodSecurityResult Evaluate(LevelVersion levelVersion, JsonObject? metadata, JsonObject? spec) =>
        Evaluate(levelVersion, ToElement(metadata), ToElement(spec));

    /// <summary>Evaluates a whole Pod object.</summary>
    public PodSecurityResult EvaluatePod(LevelVersion levelVersion, JsonObject pod) =>
        Evaluate(levelVersion, pod["metadata"] as JsonObject, pod["spec"] as JsonObject);

    /// <summary>Evaluates a whole Pod object, parsed (the fast path for many stored pods).</summary>
    public PodSecurityResult EvaluatePod(LevelVersion levelVersion, JsonElement pod) =>
        Evaluate(levelVersion, pod.Get("metadata"), pod.Get("spec"));

    private static JsonElement ToElement(JsonObject? node) => node is null ? default : JsonSerializer.SerializeToElement(node);

    private (string Id, CheckFunction Function)[] Plan(LevelVersion levelVersion)
    {
        if (levelVersion.Level == PodSecurity.LevelPrivileged)
        {
            return Array.Empty<(string, CheckFunction)>();
        }

        var key = (levelVersion.Level != PodSecurity.LevelBaseline, EffectiveMinor(levelVersion.Version));
        return plans.GetOrAdd(key, k =>
        {
            var plan = new List<(string, CheckFunction)>();
            var overridden = new HashSet<string>(StringComparer.Ordinal);
            var restrictedPlan = new List<(string, CheckFunction)>();
            if (k.Restricted)
            {
                foreach (var check in restricted)
                {
                    if (check.At(k.Minor) is { } revision)
                    {
                        restrictedPlan.Add((check.Id, revision.Function));
                        overridden.UnionWith(revision.Overrides);
                    }
                }
            }

            foreach (var check in baseline)
            {
                if (!overridden.Contains(check.Id) && check.At(k.Minor) is { } revision)
                {
                    plan.Add((check.Id, revision.Function));
                }
            }

            plan.AddRange(restrictedPlan);
            return plan.ToArray();
        });
    }
}

/// <summary>A failed check's reason and detail.</summary>
internal readonly record struct Failure(string Reason, string Detail);

internal delegate Failure? CheckFunction(PodView pod);

/// <summary>One revision of a check: from which policy minor it applies, and which baseline checks it replaces.</summary>
internal sealed record Revision(int MinimumMinor, CheckFunction Function, string[] Overrides);

/// <summary>A check: ID, level (restricted or baseline) and its revisions, oldest first.</summary>
internal sealed record Check(string Id, bool Restricted, IReadOnlyList<Revision> Revisions)
{
    /// <summary>The newest revision at or below a policy minor, or null when the check does not exist yet.</summary>
    public Revision? At(int minor) => Revisions.LastOrDefault(r => r.MinimumMinor <= minor);
}

/// <summary>Null-tolerant reading of a pod's metadata and spec as JSON, visiting containers as the apiserver does.</summary>
internal sealed class PodView
{
    private static readonly string[] ContainerLists = { "initContainers", "containers", "ephemeralContainers" };
    private List<JsonElement>? containers;

    public PodView(JsonElement metadata, JsonElement spec)
    {
        Metadata = metadata;
        Spec = spec;
    }

    public JsonElement Metadata { get; }

    public JsonElement Spec { get; }

    public JsonElement SecurityContext => Spec.Get("securityContext");

    /// <summary>Init containers, containers, then ephemeral containers.</summary>
    public List<JsonElement> Containers => containers ??= ContainerLists.SelectMany(list => Spec.Get(list).Items()).Where(c => c.ValueKind == JsonValueKind.Object).ToList();

    public IEnumerable<JsonElement> Volumes => Spec.Get("volumes").Items().Where(v => v.ValueKind == JsonValueKind.Object);

    public IEnumerable<KeyValuePair<string, string>> Annotations
    {
        get
        {
            var annotations = Metadata.Get("annotations");
            return annotations.ValueKind == JsonValueKind.Object
                ? annotations.EnumerateObject().Select(a => new KeyValuePair<string, string>(a.Name, a.Value.Str() ?? string.Empty))
                : Enumerable.Empty<KeyValuePair<string, string>>();
        }
    }

    public bool IsWindows => Spec.Get("os").Get("name").Str() == "windows";

    /// <summary>spec.hostUsers is set to false: the pod runs in a user namespace.</summary>
    public bool InUserNamespace => Spec.Get("hostUsers").Bool() == false;

    public string? Annotation(string key) => Metadata.Get("annotations").Get(key) is { } value && value.IsSet() ? value.Str() ?? string.Empty : null;

    public static string Name(JsonElement container) => container.Get("name").Str() ?? string.Empty;

    public static JsonElement ContainerSecurityContext(JsonElement container) => container.Get("securityContext");
}

/// <summary>Typed reads of parsed JSON that never throw on a missing member or an unexpected kind.</summary>
internal static class JsonElementReading
{
    /// <summary>A member of an object; default (Undefined) when absent or when this is not an object.</summary>
    public static JsonElement Get(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    /// <summary>Present and not null: a Go pointer that is non-nil.</summary>
    public static bool IsSet(this JsonElement element) => element.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null);

    public static bool IsObject(this JsonElement element) => element.ValueKind == JsonValueKind.Object;

    public static string? Str(this JsonElement element) => element.ValueKind == JsonValueKind.String ? element.GetString() : null;

    public static bool? Bool(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static bool True(this JsonElement element) => element.ValueKind == JsonValueKind.True;

    public static long? Long(this JsonElement element) =>
        element.ValueKind != JsonValueKind.Number ? null : element.TryGetInt64(out var value) ? value : (long)element.GetDouble();

    public static IEnumerable<JsonElement> Items(this JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray() : Enumerable.Empty<JsonElement>();

    public static IEnumerable<string> Strings(this JsonElement element) => element.Items().Select(i => i.Str() ?? string.Empty);
}

/// <summary>Typed reads of JSON nodes that never throw on an unexpected kind.</summary>
internal static class Json
{
    public static string? String(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static bool? Bool(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) ? b : null;

    public static bool True(JsonNode? node) => Bool(node) == true;

    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        return value.TryGetValue<double>(out var d) ? (long)d : null;
    }

    /// <summary>Follows object keys; null where a step is missing or not an object.</summary>
    public static JsonNode? Path(JsonNode? node, params string[] keys)
    {
        foreach (var key in keys)
        {
            node = (node as JsonObject)?[key];
        }

        return node;
    }

    public static IEnumerable<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? new JsonArray()).Select(n => String(n) ?? string.Empty);
}

/// <summary>The checks, with the apiserver's reasons and details.</summary>
internal static class PodSecurityChecks
{
    private const string AppArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";
    private const string SeccompPodAnnotation = "seccomp.security.alpha.kubernetes.io/pod";
    private const string SeccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/";

    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    private static readonly string[] SeLinuxTypes = { string.Empty, "container_t", "container_init_t", "container_kvm_t" };

    private static readonly string[] SysctlsV0 = { "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start" };

    /// <summary>Sysctls the baseline profile allows, by the policy minor that added them.</summary>
    private static readonly (int Minor, string[] Names)[] SysctlAdditions =
    {
        (27, new[] { "net.ipv4.ip_local_reserved_ports" }),
        (29, new[] { "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes" }),
        (32, new[] { "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem" }),
        (37, new[] { "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat" }),
    };

    /// <summary>Volume sources the restricted profile rejects, in the order the apiserver tests them.</summary>
    private static readonly (string Field, string Name)[] RestrictedVolumeSources =
    {
        ("hostPath", "hostPath"), ("gcePersistentDisk", "gcePersistentDisk"), ("awsElasticBlockStore", "awsElasticBlockStore"),
        ("gitRepo", "gitRepo"), ("nfs", "nfs"), ("iscsi", "iscsi"), ("glusterfs", "glusterfs"), ("rbd", "rbd"),
        ("flexVolume", "flexVolume"), ("cinder", "cinder"), ("cephfs", "cephfs"), ("flocker", "flocker"), ("fc", "fc"),
        ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"), ("quobyte", "quobyte"), ("azureDisk", "azureDisk"),
        ("photonPersistentDisk", "photonPersistentDisk"), ("portworxVolume", "portworxVolume"), ("scaleIO", "scaleIO"), ("storageos", "storageos"),
    };

    private static readonly string[] NoOverrides = Array.Empty<string>();

    /// <summary>The checks a kube-apiserver of the given minor version carries, with the revisions it knows.</summary>
    public static List<Check> For(int binary)
    {
        var checks = new List<Check>
        {
            // Baseline.
            Baseline("appArmorProfile", (0, binary >= 30 ? (CheckFunction)AppArmorFieldsAndAnnotations : AppArmorAnnotations)),
            Baseline("capabilities_baseline", (0, CapabilitiesBaseline)),
            Baseline("hostNamespaces", (0, HostNamespaces)),
            Baseline("hostPathVolumes", (0, HostPathVolumes)),
            Baseline("hostPorts", (0, HostPorts)),
            Baseline("privileged", (0, Privileged)),
            Baseline("seccompProfile_baseline", (0, SeccompBaselineAnnotations), (19, SeccompBaselineFields)),
            Baseline("windowsHostProcess", (0, WindowsHostProcess)),
        };

        checks.Add(binary >= 35
            ? Baseline("procMount", (0, ProcMount), (35, ProcMountUnlessUserNamespace))
            : Baseline("procMount", (0, ProcMount)));
        checks.Add(binary >= 31
            ? Baseline("seLinuxOptions", (0, SeLinuxOptions(SeLinuxTypes)), (31, SeLinuxOptions(SeLinuxTypes.Append("container_engine_t").ToArray())))
            : Baseline("seLinuxOptions", (0, SeLinuxOptions(SeLinuxTypes))));
        var sysctls = new List<(int, CheckFunction)> { (0, Sysctls(SysctlsV0)) };
        var allowed = SysctlsV0.ToList();
        foreach (var (minor, names) in SysctlAdditions.Where(a => a.Minor <= binary))
        {
            allowed.AddRange(names);
            sysctls.Add((minor, Sysctls(allowed.ToArray())));
        }

        checks.Add(Baseline("sysctls", sysctls.ToArray()));
        if (binary >= 34)
        {
            checks.Add(Baseline("hostProbesAndHostLifecycle", (34, HostProbesAndLifecycle)));
        }

        // Restricted.
        var windows = binary >= 25;
        checks.Add(new Check("allowPrivilegeEscalation", true, Revisions(NoOverrides, (8, AllowPrivilegeEscalation), windows ? (25, ExemptWindows(AllowPrivilegeEscalation)) : null)));
        checks.Add(new Check("capabilities_restricted", true, Revisions(new[] { "capabilities_baseline" }, (22, CapabilitiesRestricted), windows ? (25, ExemptWindows(CapabilitiesRestricted)) : null)));
        checks.Add(new Check("seccompProfile_restricted", true, Revisions(new[] { "seccompProfile_baseline" }, (19, SeccompRestricted), windows ? (25, ExemptWindows(SeccompRestricted)) : null)));
        checks.Add(new Check("restrictedVolumes", true, Revisions(new[] { "hostPathVolumes" }, (0, RestrictedVolumes(imageAllowed: binary >= 33)))));
        checks.Add(new Check("runAsNonRoot", true, Revisions(NoOverrides, (0, RunAsNonRoot), binary >= 35 ? (35, UnlessUserNamespace(RunAsNonRoot)) : null)));
        checks.Add(new Check("runAsUser", true, Revisions(NoOverrides, (23, RunAsUser), binary >= 35 ? (35, UnlessUserNamespace(RunAsUser)) : null)));
        if (binary >= 35)
        {
            checks.Add(new Check("procMount_restricted", true, Revisions(new[] { "procMount" }, (35, ProcMount))));
        }

        return checks;
    }

    private static Check Baseline(string id, params (int Minor, CheckFunction Function)[] revisions) =>
        new(id, false, revisions.Select(r => new Revision(r.Minor, r.Function, NoOverrides)).ToList());

    private static List<Revision> Revisions(string[] overrides, params (int Minor, CheckFunction Function)?[] revisions) =>
        revisions.Where(r => r is not null).Select(r => new Revision(r!.Value.Minor, r.Value.Function, overrides)).ToList();

    private static CheckFunction ExemptWindows(CheckFunction check) => pod => pod.IsWindows ? null : check(pod);

    private static CheckFunction UnlessUserNamespace(CheckFunction check) => pod => pod.InUserNamespace ? null : check(pod);

    private static string Plural(string singular, string plural, int count) => count == 1 ? singular : plural;

    private static string JoinQuote(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 0 ? string.Empty : "\"" + string.Join("\", \"", list) + "\"";
    }

    private static string Containers(IReadOnlyCollection<string> names) => Plural("container", "containers", names.Count) + " " + JoinQuote(names);

    private static SortedSet<string> SortedSet() => new(StringComparer.Ordinal);

    // ---- baseline -------------------------------------------------------------------------------------

    private static bool AllowedAppArmorAnnotation(string value) =>
        value.Length == 0 || value == "runtime/default" || value.StartsWith("localhost/", StringComparison.Ordinal);

    private static List<string> ForbiddenAppArmorAnnotations(PodView pod) => pod.Annotations
        .Where(a => a.Key.StartsWith(AppArmorAnnotationPrefix, StringComparison.Ordinal) && !AllowedAppArmorAnnotation(a.Value))
        .Select(a => a.Key + "=" + PodSecurity.GoQuote(a.Value))
        .OrderBy(a => a, StringComparer.Ordinal)
        .ToList();

    /// <summary>Before 1.30 the apiserver checked only the beta annotations.</summary>
    private static Failure? AppArmorAnnotations(PodView pod)
    {
        var forbidden = ForbiddenAppArmorAnnotations(pod);
        return forbidden.Count == 0
            ? null
            : new Failure(Plural("forbidden AppArmor profile", "forbidden AppArmor profiles", forbidden.Count), string.Join(", ", forbidden));
    }

    /// <summary>From 1.30 the securityContext.appArmorProfile fields and the annotations.</summary>
    private static Failure? AppArmorFieldsAndAnnotations(PodView pod)
    {
        static bool Allowed(string? type) => type is "RuntimeDefault" or "Localhost";
        var setters = new List<string>();
        var values = SortedSet();
        if (pod.SecurityContext.Get("appArmorProfile") is { } podProfile && podProfile.IsObject() && !Allowed(podProfile.Get("type").Str()))
        {
            setters.Add("pod");
            values.Add(podProfile.Get("type").Str() ?? string.Empty);
        }

        var containers = new List<string>();
        foreach (var container in pod.Containers)
        {
            if (PodView.ContainerSecurityContext(container).Get("appArmorProfile") is { } profile && profile.IsObject() && !Allowed(profile.Get("type").Str()))
            {
                containers.Add(PodView.Name(container));
                values.Add(profile.Get("type").Str() ?? string.Empty);
            }
        }

        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        var valueList = values.ToList();
        var annotations = ForbiddenAppArmorAnnotations(pod);
        if (annotations.Count > 0)
        {
            valueList.AddRange(annotations);
            setters.Add(Plural("annotation", "annotations", annotations.Count));
        }

        return setters.Count == 0
            ? null
            : new Failure(
                Plural("forbidden AppArmor profile", "forbidden AppArmor profiles", valueList.Count),
                string.Join(" and ", setters) + " must not set AppArmor profile type to " + JoinQuote(valueList));
    }

    private static Failure? CapabilitiesBaseline(PodView pod)
    {
        var containers = new List<string>();
        var capabilities = SortedSet();
        foreach (var container in pod.Containers)
        {
            if (PodView.ContainerSecurityContext(container).Get("capabilities") is { } caps && caps.IsObject())
            {
                var valid = true;
                foreach (var cap in caps.Get("add").Strings())
                {
                    if (!BaselineCapabilities.Contains(cap))
                    {
                        valid = false;
                        capabilities.Add(cap);
                    }
                }

                if (!valid)
                {
                    containers.Add(PodView.Name(container));
                }
            }
        }

        return containers.Count == 0
            ? null
            : new Failure("non-default capabilities", Containers(containers) + " must not include " + JoinQuote(capabilities) + " in securityContext.capabilities.add");
    }

    private static Failure? HostNamespaces(PodView pod)
    {
        var shared = new List<string>();
        if (pod.Spec.Get("hostNetwork").True())
        {
            shared.Add("hostNetwork=true");
        }

        if (pod.Spec.Get("hostPID").True())
        {
            shared.Add("hostPID=true");
        }

        if (pod.Spec.Get("hostIPC").True())
        {
            shared.Add("hostIPC=true");
        }

        return shared.Count == 0 ? null : new Failure("host namespaces", string.Join(", ", shared));
    }

    private static Failure? HostPathVolumes(PodView pod)
    {
        var volumes = pod.Volumes.Where(v => v.Get("hostPath").IsSet()).Select(v => v.Get("name").Str() ?? string.Empty).ToList();
        return volumes.Count == 0 ? null : new Failure("hostPath volumes", Plural("volume", "volumes", volumes.Count) + " " + JoinQuote(volumes));
    }

    private static Failure? HostPorts(PodView pod)
    {
        var containers = new List<string>();
        var ports = SortedSet();
        foreach (var container in pod.Containers)
        {
            var valid = true;
            foreach (var port in container.Get("ports").Items())
            {
                var hostPort = port.Get("hostPort").Long() ?? 0;
                if (hostPort != 0)
                {
                    valid = false;
                    ports.Add(hostPort.ToString(CultureInfo.InvariantCulture));
                }
            }

            if (!valid)
            {
                containers.Add(PodView.Name(container));
            }
        }

        return containers.Count == 0
            ? null
            : new Failure("hostPort", Containers(containers) + " " + Plural("uses", "use", containers.Count) + " " + Plural("hostPort", "hostPorts", ports.Count) + " " + string.Join(", ", ports));
    }

    /// <summary>From 1.34: no host in probes and lifecycle handlers (containers and hosts both sorted).</summary>
    private static Failure? HostProbesAndLifecycle(PodView pod)
    {
        var containers = SortedSet();
        var hosts = SortedSet();
        void Inspect(JsonElement container, JsonElement handler)
        {
            if (!handler.IsObject())
            {
                return;
            }

            foreach (var kind in new[] { "httpGet", "tcpSocket" })
            {
                var host = handler.Get(kind).Get("host").Str();
                if (!string.IsNullOrEmpty(host))
                {
                    containers.Add(PodView.Name(container));
                    hosts.Add(host);
                }
            }
        }

        foreach (var container in pod.Containers)
        {
            Inspect(container, container.Get("livenessProbe"));
            Inspect(container, container.Get("readinessProbe"));
            Inspect(container, container.Get("startupProbe"));
            if (container.Get("lifecycle") is { } lifecycle && lifecycle.IsObject())
            {
                Inspect(container, lifecycle.Get("postStart"));
                Inspect(container, lifecycle.Get("preStop"));
            }
        }

        return containers.Count == 0
            ? null
            : new Failure(
                "probe or lifecycle host",
                Containers(containers) + " " + Plural("uses", "use", containers.Count) + " " + Plural("probe or lifecycle host", "probe or lifecycle hosts", hosts.Count) + " " + JoinQuote(hosts));
    }

    private static Failure? Privileged(PodView pod)
    {
        var containers = pod.Containers.Where(c => PodView.ContainerSecurityContext(c).Get("privileged").True()).Select(PodView.Name).ToList();
        return containers.Count == 0 ? null : new Failure("privileged", Containers(containers) + " must not set securityContext.privileged=true");
    }

    private static Failure? ProcMount(PodView pod)
    {
        var containers = new List<string>();
        var types = SortedSet();
        foreach (var container in pod.Containers)
        {
            var procMount = PodView.ContainerSecurityContext(container).Get("procMount").Str();
            if (procMount is not null && procMount != "Default")
            {
                containers.Add(PodView.Name(container));
                types.Add(procMount);
            }
        }

        return containers.Count == 0 ? null : new Failure("procMount", Containers(containers) + " must not set securityContext.procMount to " + JoinQuote(types));
    }

    /// <summary>From 1.35 baseline lets a pod in a user namespace (hostUsers: false) set any procMount.</summary>
    private static Failure? ProcMountUnlessUserNamespace(PodView pod) => pod.InUserNamespace ? null : ProcMount(pod);

    private static CheckFunction SeLinuxOptions(string[] allowedTypes) => pod =>
    {
        var setters = new List<string>();
        var badTypes = SortedSet();
        var setUser = false;
        var setRole = false;
        bool Valid(JsonElement options)
        {
            var valid = true;
            var type = options.Get("type").Str() ?? string.Empty;
            if (!allowedTypes.Contains(type, StringComparer.Ordinal))
            {
                valid = false;
                badTypes.Add(type);
            }

            if (!string.IsNullOrEmpty(options.Get("user").Str()))
            {
                valid = false;
                setUser = true;
            }

            if (!string.IsNullOrEmpty(options.Get("role").Str()))
            {
                valid = false;
                setRole = true;
            }

            return valid;
        }

        if (pod.SecurityContext.Get("seLinuxOptions") is { } podOptions && podOptions.IsObject() && !Valid(podOptions))
        {
            setters.Add("pod");
        }

        var containers = pod.Containers.Where(c => PodView.ContainerSecurityContext(c).Get("seLinuxOptions") is { } options && options.IsObject() && !Valid(options)).Select(PodView.Name).ToList();
        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        if (setters.Count == 0)
        {
            return null;
        }

        var data = new List<string>();
        if (badTypes.Count > 0)
        {
            data.Add(Plural("type", "types", badTypes.Count) + " " + JoinQuote(badTypes));
        }

        if (setUser)
        {
            data.Add("user may not be set");
        }

        if (setRole)
        {
            data.Add("role may not be set");
        }

        return new Failure("seLinuxOptions", string.Join(" and ", setters) + " set forbidden securityContext.seLinuxOptions: " + string.Join("; ", data));
    };

    private static bool ValidSeccompAnnotation(string value) =>
        value == "runtime/default" || value == "docker/default" || value.StartsWith("localhost/", StringComparison.Ordinal);

    /// <summary>Policy versions before 1.19 judge the seccomp alpha annotations.</summary>
    private static Failure? SeccompBaselineAnnotations(PodView pod)
    {
        var forbidden = SortedSet();
        if (pod.Annotation(SeccompPodAnnotation) is { } podValue && !ValidSeccompAnnotation(podValue))
        {
            forbidden.Add(SeccompPodAnnotation + "=" + PodSecurity.GoQuote(podValue));
        }

        foreach (var container in pod.Containers)
        {
            var key = SeccompContainerAnnotationPrefix + PodView.Name(container);
            if (pod.Annotation(key) is { } value && !ValidSeccompAnnotation(value))
            {
                forbidden.Add(key + "=" + PodSecurity.GoQuote(value));
            }
        }

        return forbidden.Count == 0 ? null : new Failure("seccompProfile", "forbidden " + Plural("annotation", "annotations", forbidden.Count) + " " + string.Join(", ", forbidden));
    }

    private static bool ValidSeccompType(string? type) => type is "Localhost" or "RuntimeDefault";

    /// <summary>From 1.19: seccompProfile.type, where set, must be RuntimeDefault or Localhost.</summary>
    private static Failure? SeccompBaselineFields(PodView pod)
    {
        var setters = new List<string>();
        var values = SortedSet();
        if (pod.SecurityContext.Get("seccompProfile") is { } podProfile && podProfile.IsObject() && !ValidSeccompType(podProfile.Get("type").Str()))
        {
            setters.Add("pod");
            values.Add(podProfile.Get("type").Str() ?? string.Empty);
        }

        var containers = new List<string>();
        foreach (var container in pod.Containers)
        {
            if (PodView.ContainerSecurityContext(container).Get("seccompProfile") is { } profile && profile.IsObject() && !ValidSeccompType(profile.Get("type").Str()))
            {
                containers.Add(PodView.Name(container));
                values.Add(profile.Get("type").Str() ?? string.Empty);
            }
        }

        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        return setters.Count == 0 ? null : new Failure("seccompProfile", string.Join(" and ", setters) + " must not set securityContext.seccompProfile.type to " + JoinQuote(values));
    }

    private static CheckFunction Sysctls(string[] allowed) => pod =>
    {
        var forbidden = pod.SecurityContext.Get("sysctls").Items()
            .Where(s => s.IsObject())
            .Select(s => s.Get("name").Str() ?? string.Empty)
            .Where(name => !allowed.Contains(name, StringComparer.Ordinal))
            .ToList();
        return forbidden.Count == 0 ? null : new Failure("forbidden sysctls", string.Join(", ", forbidden));
    };

    private static Failure? WindowsHostProcess(PodView pod)
    {
        static bool HostProcess(JsonElement securityContext) => securityContext.Get("windowsOptions").Get("hostProcess").True();
        var containers = pod.Containers.Where(c => HostProcess(PodView.ContainerSecurityContext(c))).Select(PodView.Name).ToList();
        var setters = new List<string>();
        if (HostProcess(pod.SecurityContext))
        {
            setters.Add("pod");
        }

        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        return setters.Count == 0 ? null : new Failure("hostProcess", string.Join(" and ", setters) + " must not set securityContext.windowsOptions.hostProcess=true");
    }

    // ---- restricted -----------------------------------------------------------------------------------

    private static Failure? AllowPrivilegeEscalation(PodView pod)
    {
        var containers = pod.Containers.Where(c => PodView.ContainerSecurityContext(c).Get("allowPrivilegeEscalation").Bool() != false).Select(PodView.Name).ToList();
        return containers.Count == 0
            ? null
            : new Failure("allowPrivilegeEscalation != false", Containers(containers) + " must set securityContext.allowPrivilegeEscalation=false");
    }

    private static Failure? CapabilitiesRestricted(PodView pod)
    {
        var missingDropAll = new List<string>();
        var addingForbidden = new List<string>();
        var forbidden = SortedSet();
        foreach (var container in pod.Containers)
        {
            if (PodView.ContainerSecurityContext(container).Get("capabilities") is not { ValueKind: JsonValueKind.Object } caps)
            {
                missingDropAll.Add(PodView.Name(container));
                continue;
            }

            if (!caps.Get("drop").Strings().Contains("ALL", StringComparer.Ordinal))
            {
                missingDropAll.Add(PodView.Name(container));
            }

            var adds = false;
            foreach (var cap in caps.Get("add").Strings().Where(c => c != "NET_BIND_SERVICE"))
            {
                adds = true;
                forbidden.Add(cap);
            }

            if (adds)
            {
                addingForbidden.Add(PodView.Name(container));
            }
        }

        var details = new List<string>();
        if (missingDropAll.Count > 0)
        {
            details.Add(Containers(missingDropAll) + " must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (addingForbidden.Count > 0)
        {
            details.Add(Containers(addingForbidden) + " must not include " + JoinQuote(forbidden) + " in securityContext.capabilities.add");
        }

        return details.Count == 0 ? null : new Failure("unrestricted capabilities", string.Join("; ", details));
    }

    private static CheckFunction RestrictedVolumes(bool imageAllowed) => pod =>
    {
        var volumes = new List<string>();
        var types = SortedSet();
        foreach (var volume in pod.Volumes)
        {
            if (volume.Get("configMap").IsSet() || volume.Get("csi").IsSet() || volume.Get("downwardAPI").IsSet() ||
                volume.Get("emptyDir").IsSet() || volume.Get("ephemeral").IsSet() || (imageAllowed && volume.Get("image").IsSet()) ||
                volume.Get("persistentVolumeClaim").IsSet() || volume.Get("projected").IsSet() || volume.Get("secret").IsSet())
            {
                continue;
            }

            volumes.Add(volume.Get("name").Str() ?? string.Empty);
            types.Add(RestrictedVolumeSources.FirstOrDefault(s => volume.Get(s.Field).IsSet()).Name ?? "unknown");
        }

        return volumes.Count == 0
            ? null
            : new Failure(
                "restricted volume types",
                Plural("volume", "volumes", volumes.Count) + " " + JoinQuote(volumes) + " " + Plural("uses", "use", volumes.Count) + " " +
                Plural("restricted volume type", "restricted volume types", types.Count) + " " + JoinQuote(types));
    };

    private static Failure? RunAsNonRoot(PodView pod)
    {
        var badSetters = new List<string>();
        var podRunAsNonRoot = false;
        if (pod.SecurityContext.Get("runAsNonRoot").Bool() is { } podValue)
        {
            if (!podValue)
            {
                badSetters.Add("pod");
            }
            else
            {
                podRunAsNonRoot = true;
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in pod.Containers)
        {
            if (PodView.ContainerSecurityContext(container).Get("runAsNonRoot").Bool() is { } value)
            {
                if (!value)
                {
                    explicitlyBad.Add(PodView.Name(container));
                }
            }
            else if (!podRunAsNonRoot)
            {
                implicitlyBad.Add(PodView.Name(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            badSetters.Add(Containers(explicitlyBad));
        }

        if (badSetters.Count > 0)
        {
            return new Failure("runAsNonRoot != true", string.Join(" and ", badSetters) + " must not set securityContext.runAsNonRoot=false");
        }

        return implicitlyBad.Count == 0
            ? null
            : new Failure("runAsNonRoot != true", "pod or " + Containers(implicitlyBad) + " must set securityContext.runAsNonRoot=true");
    }

    private static Failure? RunAsUser(PodView pod)
    {
        var setters = new List<string>();
        if (pod.SecurityContext.Get("runAsUser").Long() == 0)
        {
            setters.Add("pod");
        }

        var containers = pod.Containers.Where(c => PodView.ContainerSecurityContext(c).Get("runAsUser").Long() == 0).Select(PodView.Name).ToList();
        if (containers.Count > 0)
        {
            setters.Add(Containers(containers));
        }

        return setters.Count == 0 ? null : new Failure("runAsUser=0", string.Join(" and ", setters) + " must not set runAsUser=0");
    }

    private static Failure? SeccompRestricted(PodView pod)
    {
        var badSetters = new List<string>();
        var values = SortedSet();
        var podSet = false;
        if (pod.SecurityContext.Get("seccompProfile") is { ValueKind: JsonValueKind.Object } podProfile)
        {
            if (!ValidSeccompType(podProfile.Get("type").Str()))
            {
                badSetters.Add("pod");
                values.Add(podProfile.Get("type").Str() ?? string.Empty);
            }
            else
            {
                podSet = true;
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in pod.Containers)
        {
            if (PodView.ContainerSecurityContext(container).Get("seccompProfile") is { ValueKind: JsonValueKind.Object } profile)
            {
                if (!ValidSeccompType(profile.Get("type").Str()))
                {
                    explicitlyBad.Add(PodView.Name(container));
                    values.Add(profile.Get("type").Str() ?? string.Empty);
                }
            }
            else if (!podSet)
            {
                implicitlyBad.Add(PodView.Name(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            badSetters.Add(Containers(explicitlyBad));
        }

        if (badSetters.Count > 0)
        {
            return new Failure("seccompProfile", string.Join(" and ", badSetters) + " must not set securityContext.seccompProfile.type to " + JoinQuote(values));
        }

        return implicitlyBad.Count == 0
            ? null
            : new Failure("seccompProfile", "pod or " + Containers(implicitlyBad) + " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }
}

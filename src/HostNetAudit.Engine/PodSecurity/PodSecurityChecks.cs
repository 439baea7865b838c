using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.PodSecurity;

/// <summary>One failed Pod Security check: the reason and its detail, as the apiserver words them.</summary>
internal readonly record struct CheckFailure(string Reason, string Detail)
{
    /// <summary>"host namespaces (hostNetwork=true)".</summary>
    public override string ToString() => Detail.Length == 0 ? Reason : Reason + " (" + Detail + ")";
}

/// <summary>
/// The baseline and restricted checks of the Pod Security Standards, with the version differences that
/// matter, as pod-security-admission applies them: baseline checks run at both levels; at restricted,
/// the restricted capabilities, volume and seccomp checks replace their baseline counterparts where they
/// exist at the version. Written for this module from the published standards and the admission
/// plugin's behaviour; it shares nothing with the simulated cluster's emulation.
/// </summary>
internal static class PodSecurityChecks
{
    private static readonly string[] ContainerLists = { "initContainers", "containers", "ephemeralContainers" };

    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    /// <summary>Safe sysctls and the policy version from which each is allowed.</summary>
    private static readonly Dictionary<string, int> SafeSysctls = new(StringComparer.Ordinal)
    {
        ["kernel.shm_rmid_forced"] = 0,
        ["net.ipv4.ip_local_port_range"] = 0,
        ["net.ipv4.tcp_syncookies"] = 0,
        ["net.ipv4.ping_group_range"] = 0,
        ["net.ipv4.ip_unprivileged_port_start"] = 0,
        ["net.ipv4.ip_local_reserved_ports"] = 27,
        ["net.ipv4.tcp_keepalive_time"] = 29,
        ["net.ipv4.tcp_fin_timeout"] = 29,
        ["net.ipv4.tcp_keepalive_intvl"] = 29,
        ["net.ipv4.tcp_keepalive_probes"] = 29,
        ["net.ipv4.tcp_rmem"] = 32,
        ["net.ipv4.tcp_wmem"] = 32,
        ["net.ipv4.tcp_slow_start_after_idle"] = 37,
        ["net.ipv4.tcp_notsent_lowat"] = 37,
    };

    /// <summary>Volume sources the restricted level allows (image since the 1.33 apiserver, at every version).</summary>
    private static readonly HashSet<string> AllowedVolumeSources = new(StringComparer.Ordinal)
    {
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
    };

    /// <summary>Restricted volume sources by the name the apiserver reports ("cephfs" for cephFS).</summary>
    private static readonly (string Field, string Name)[] RestrictedVolumeSources =
    {
        ("hostPath", "hostPath"), ("gcePersistentDisk", "gcePersistentDisk"), ("awsElasticBlockStore", "awsElasticBlockStore"),
        ("gitRepo", "gitRepo"), ("nfs", "nfs"), ("iscsi", "iscsi"), ("glusterfs", "glusterfs"), ("rbd", "rbd"),
        ("flexVolume", "flexVolume"), ("cinder", "cinder"), ("cephfs", "cephfs"), ("flocker", "flocker"), ("fc", "fc"),
        ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"), ("quobyte", "quobyte"), ("azureDisk", "azureDisk"),
        ("photonPersistentDisk", "photonPersistentDisk"), ("portworxVolume", "portworxVolume"), ("scaleIO", "scaleIO"),
        ("storageos", "storageos"),
    };

    /// <summary>
    /// The failed checks of a pod (or pod template: its metadata and spec) at a level and resolved policy
    /// minor version (latest already clamped to what the server knows). Empty when it passes.
    /// </summary>
    public static List<CheckFailure> Evaluate(JsonElement metadata, JsonElement spec, PodSecurityLevel level, int minor)
    {
        var failures = new List<CheckFailure>();
        if (level == PodSecurityLevel.Privileged)
        {
            return failures;
        }

        var restricted = level == PodSecurityLevel.Restricted;
        var containers = Containers(spec).ToList();

        Add(failures, AppArmor(metadata, spec, containers));
        Add(failures, HostNamespaces(spec));
        Add(failures, HostPorts(containers));
        if (minor >= 34)
        {
            Add(failures, ProbeHosts(containers));
        }

        Add(failures, Privileged(containers));
        Add(failures, ProcMount(spec, containers, relaxForUserNamespaces: !restricted && minor >= 35));
        Add(failures, SeLinux(spec, containers, minor));
        Add(failures, Sysctls(spec, minor));
        Add(failures, WindowsHostProcess(spec, containers));

        // Baseline checks that a restricted check replaces when it exists at the version.
        if (!restricted || minor < 22)
        {
            Add(failures, CapabilitiesBaseline(containers));
        }

        if (!restricted)
        {
            Add(failures, HostPathVolumes(spec));
        }

        if (!restricted || minor < 19)
        {
            Add(failures, SeccompBaseline(metadata, spec, containers, minor));
        }

        if (!restricted)
        {
            return failures;
        }

        var windows = minor >= 25 && spec.Get("os", "name").AsString() == "windows";
        var userNamespace = minor >= 35 && spec.Get("hostUsers").IsFalse();
        if (minor >= 8 && !windows)
        {
            Add(failures, AllowPrivilegeEscalation(containers));
        }

        if (minor >= 22 && !windows)
        {
            Add(failures, CapabilitiesRestricted(containers));
        }

        Add(failures, RestrictedVolumes(spec));
        if (!userNamespace)
        {
            Add(failures, RunAsNonRoot(spec, containers));
            if (minor >= 23)
            {
                Add(failures, RunAsUser(spec, containers));
            }
        }

        if (minor >= 19 && !windows)
        {
            Add(failures, SeccompRestricted(spec, containers));
        }

        return failures;
    }

    private static void Add(List<CheckFailure> failures, CheckFailure? failure)
    {
        if (failure is { } f)
        {
            failures.Add(f);
        }
    }

    private static IEnumerable<JsonElement> Containers(JsonElement spec) => ContainerLists.SelectMany(list => spec.Get(list).Items());

    private static string NameOf(JsonElement container) => container.Get("name").AsString() ?? string.Empty;

    private static string Plural(string singular, string plural, int count) => count == 1 ? singular : plural;

    private static string Quote(IEnumerable<string> items) => string.Join(", ", items.Select(i => "\"" + i + "\""));

    private static string ContainersPhrase(IReadOnlyCollection<string> names) => Plural("container", "containers", names.Count) + " " + Quote(names);

    private static CheckFailure? AppArmor(JsonElement metadata, JsonElement spec, List<JsonElement> containers)
    {
        static bool Allowed(string? type) => type is "RuntimeDefault" or "Localhost";
        var setters = new List<string>();
        var badValues = new SortedSet<string>(StringComparer.Ordinal);
        var podProfile = spec.Get("securityContext", "appArmorProfile");
        if (podProfile.Exists() && !Allowed(podProfile.Get("type").AsString()))
        {
            setters.Add("pod");
            badValues.Add(podProfile.Get("type").AsString() ?? string.Empty);
        }

        var badContainers = new List<string>();
        foreach (var container in containers)
        {
            var profile = container.Get("securityContext", "appArmorProfile");
            if (profile.Exists() && !Allowed(profile.Get("type").AsString()))
            {
                badContainers.Add(NameOf(container));
                badValues.Add(profile.Get("type").AsString() ?? string.Empty);
            }
        }

        if (badContainers.Count > 0)
        {
            setters.Add(ContainersPhrase(badContainers));
        }

        var annotations = new List<string>();
        foreach (var annotation in metadata.Get("annotations").Properties())
        {
            var value = annotation.Value.AsString() ?? string.Empty;
            if (annotation.Name.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal) &&
                value.Length > 0 && value != "runtime/default" && !value.StartsWith("localhost/", StringComparison.Ordinal))
            {
                annotations.Add(annotation.Name + "=\"" + value + "\"");
            }
        }

        var values = badValues.ToList();
        if (annotations.Count > 0)
        {
            annotations.Sort(StringComparer.Ordinal);
            values.AddRange(annotations);
            setters.Add(Plural("annotation", "annotations", annotations.Count));
        }

        return setters.Count == 0
            ? null
            : new CheckFailure(
                Plural("forbidden AppArmor profile", "forbidden AppArmor profiles", values.Count),
                string.Join(" and ", setters) + " must not set AppArmor profile type to " + Quote(values));
    }

    private static CheckFailure? HostNamespaces(JsonElement spec)
    {
        var used = new List<string>();
        if (spec.Get("hostNetwork").IsTrue())
        {
            used.Add("hostNetwork=true");
        }

        if (spec.Get("hostPID").IsTrue())
        {
            used.Add("hostPID=true");
        }

        if (spec.Get("hostIPC").IsTrue())
        {
            used.Add("hostIPC=true");
        }

        return used.Count == 0 ? null : new CheckFailure("host namespaces", string.Join(", ", used));
    }

    private static CheckFailure? HostPorts(List<JsonElement> containers)
    {
        var badContainers = new List<string>();
        var ports = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            var bad = false;
            foreach (var port in container.Get("ports").Items())
            {
                if (port.Get("hostPort").AsInt() is { } hostPort && hostPort != 0)
                {
                    bad = true;
                    ports.Add(hostPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            if (bad)
            {
                badContainers.Add(NameOf(container));
            }
        }

        return badContainers.Count == 0
            ? null
            : new CheckFailure("hostPort", $"{ContainersPhrase(badContainers)} {Plural("uses", "use", badContainers.Count)} {Plural("hostPort", "hostPorts", ports.Count)} {string.Join(", ", ports)}");
    }

    private static CheckFailure? ProbeHosts(List<JsonElement> containers)
    {
        var badContainers = new SortedSet<string>(StringComparer.Ordinal);
        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            var handlers = new[]
            {
                container.Get("livenessProbe"), container.Get("readinessProbe"), container.Get("startupProbe"),
                container.Get("lifecycle", "postStart"), container.Get("lifecycle", "preStop"),
            };
            foreach (var handler in handlers)
            {
                foreach (var kind in new[] { "httpGet", "tcpSocket" })
                {
                    var host = handler.Get(kind, "host").AsString();
                    if (!string.IsNullOrEmpty(host))
                    {
                        badContainers.Add(NameOf(container));
                        hosts.Add(host);
                    }
                }
            }
        }

        return badContainers.Count == 0
            ? null
            : new CheckFailure("probe or lifecycle host", $"{ContainersPhrase(badContainers)} {Plural("uses", "use", badContainers.Count)} {Plural("probe or lifecycle host", "probe or lifecycle hosts", hosts.Count)} {Quote(hosts)}");
    }

    private static CheckFailure? Privileged(List<JsonElement> containers)
    {
        var bad = containers.Where(c => c.Get("securityContext", "privileged").IsTrue()).Select(NameOf).ToList();
        return bad.Count == 0 ? null : new CheckFailure("privileged", ContainersPhrase(bad) + " must not set securityContext.privileged=true");
    }

    private static CheckFailure? ProcMount(JsonElement spec, List<JsonElement> containers, bool relaxForUserNamespaces)
    {
        if (relaxForUserNamespaces && spec.Get("hostUsers").IsFalse())
        {
            return null;
        }

        var bad = new List<string>();
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            var procMount = container.Get("securityContext", "procMount");
            if (procMount.Exists() && procMount.AsString() != "Default")
            {
                bad.Add(NameOf(container));
                types.Add(procMount.AsString() ?? string.Empty);
            }
        }

        return bad.Count == 0 ? null : new CheckFailure("procMount", $"{ContainersPhrase(bad)} must not set securityContext.procMount to {Quote(types)}");
    }

    private static CheckFailure? SeLinux(JsonElement spec, List<JsonElement> containers, int minor)
    {
        var badTypes = new SortedSet<string>(StringComparer.Ordinal);
        var setUser = false;
        var setRole = false;
        bool Valid(JsonElement options)
        {
            var valid = true;
            var type = options.Get("type").AsString() ?? string.Empty;
            if (type is not ("" or "container_t" or "container_init_t" or "container_kvm_t") && !(minor >= 31 && type == "container_engine_t"))
            {
                valid = false;
                badTypes.Add(type);
            }

            if (!string.IsNullOrEmpty(options.Get("user").AsString()))
            {
                valid = false;
                setUser = true;
            }

            if (!string.IsNullOrEmpty(options.Get("role").AsString()))
            {
                valid = false;
                setRole = true;
            }

            return valid;
        }

        var setters = new List<string>();
        var podOptions = spec.Get("securityContext", "seLinuxOptions");
        if (podOptions.Exists() && !Valid(podOptions))
        {
            setters.Add("pod");
        }

        var bad = new List<string>();
        foreach (var container in containers)
        {
            var options = container.Get("securityContext", "seLinuxOptions");
            if (options.Exists() && !Valid(options))
            {
                bad.Add(NameOf(container));
            }
        }

        if (bad.Count > 0)
        {
            setters.Add(ContainersPhrase(bad));
        }

        if (setters.Count == 0)
        {
            return null;
        }

        var data = new List<string>();
        if (badTypes.Count > 0)
        {
            data.Add(Plural("type", "types", badTypes.Count) + " " + Quote(badTypes));
        }

        if (setUser)
        {
            data.Add("user may not be set");
        }

        if (setRole)
        {
            data.Add("role may not be set");
        }

        return new CheckFailure("seLinuxOptions", string.Join(" and ", setters) + " set forbidden securityContext.seLinuxOptions: " + string.Join("; ", data));
    }

    private static CheckFailure? Sysctls(JsonElement spec, int minor)
    {
        var forbidden = spec.Get("securityContext", "sysctls").Items()
            .Select(s => s.Get("name").AsString() ?? string.Empty)
            .Where(name => !(SafeSysctls.TryGetValue(name, out var since) && minor >= since))
            .ToList();
        return forbidden.Count == 0 ? null : new CheckFailure("forbidden sysctls", string.Join(", ", forbidden));
    }

    private static CheckFailure? WindowsHostProcess(JsonElement spec, List<JsonElement> containers)
    {
        var setters = new List<string>();
        if (spec.Get("securityContext", "windowsOptions", "hostProcess").IsTrue())
        {
            setters.Add("pod");
        }

        var bad = containers.Where(c => c.Get("securityContext", "windowsOptions", "hostProcess").IsTrue()).Select(NameOf).ToList();
        if (bad.Count > 0)
        {
            setters.Add(ContainersPhrase(bad));
        }

        return setters.Count == 0 ? null : new CheckFailure("hostProcess", string.Join(" and ", setters) + " must not set securityContext.windowsOptions.hostProcess=true");
    }

    private static CheckFailure? CapabilitiesBaseline(List<JsonElement> containers)
    {
        var bad = new List<string>();
        var added = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            var extra = container.Get("securityContext", "capabilities", "add").Items()
                .Select(c => c.AsString() ?? string.Empty)
                .Where(c => !BaselineCapabilities.Contains(c))
                .ToList();
            if (extra.Count > 0)
            {
                bad.Add(NameOf(container));
                added.UnionWith(extra);
            }
        }

        return bad.Count == 0 ? null : new CheckFailure("non-default capabilities", $"{ContainersPhrase(bad)} must not include {Quote(added)} in securityContext.capabilities.add");
    }

    private static CheckFailure? HostPathVolumes(JsonElement spec)
    {
        var volumes = spec.Get("volumes").Items().Where(v => v.Get("hostPath").Exists()).Select(NameOf).ToList();
        return volumes.Count == 0 ? null : new CheckFailure("hostPath volumes", Plural("volume", "volumes", volumes.Count) + " " + Quote(volumes));
    }

    private static CheckFailure? SeccompBaseline(JsonElement metadata, JsonElement spec, List<JsonElement> containers, int minor)
    {
        if (minor < 19)
        {
            static bool ValidAnnotation(string value) => value is "runtime/default" or "docker/default" || value.StartsWith("localhost/", StringComparison.Ordinal);
            var forbidden = new SortedSet<string>(StringComparer.Ordinal);
            var annotations = metadata.Get("annotations");
            if (annotations.Get("seccomp.security.alpha.kubernetes.io/pod").AsString() is { } podValue && !ValidAnnotation(podValue))
            {
                forbidden.Add($"seccomp.security.alpha.kubernetes.io/pod=\"{podValue}\"");
            }

            foreach (var container in containers)
            {
                var key = "container.seccomp.security.alpha.kubernetes.io/" + NameOf(container);
                if (annotations.Get(key).AsString() is { } value && !ValidAnnotation(value))
                {
                    forbidden.Add($"{key}=\"{value}\"");
                }
            }

            return forbidden.Count == 0 ? null : new CheckFailure("seccompProfile", $"forbidden {Plural("annotation", "annotations", forbidden.Count)} {string.Join(", ", forbidden)}");
        }

        var setters = new List<string>();
        var badValues = new SortedSet<string>(StringComparer.Ordinal);
        var podType = spec.Get("securityContext", "seccompProfile");
        if (podType.Exists() && podType.Get("type").AsString() is not ("RuntimeDefault" or "Localhost"))
        {
            setters.Add("pod");
            badValues.Add(podType.Get("type").AsString() ?? string.Empty);
        }

        var bad = new List<string>();
        foreach (var container in containers)
        {
            var profile = container.Get("securityContext", "seccompProfile");
            if (profile.Exists() && profile.Get("type").AsString() is not ("RuntimeDefault" or "Localhost"))
            {
                bad.Add(NameOf(container));
                badValues.Add(profile.Get("type").AsString() ?? string.Empty);
            }
        }

        if (bad.Count > 0)
        {
            setters.Add(ContainersPhrase(bad));
        }

        return setters.Count == 0 ? null : new CheckFailure("seccompProfile", string.Join(" and ", setters) + " must not set securityContext.seccompProfile.type to " + Quote(badValues));
    }

    private static CheckFailure? AllowPrivilegeEscalation(List<JsonElement> containers)
    {
        var bad = containers.Where(c => !c.Get("securityContext", "allowPrivilegeEscalation").IsFalse()).Select(NameOf).ToList();
        return bad.Count == 0 ? null : new CheckFailure("allowPrivilegeEscalation != false", ContainersPhrase(bad) + " must set securityContext.allowPrivilegeEscalation=false");
    }

    private static CheckFailure? CapabilitiesRestricted(List<JsonElement> containers)
    {
        var missingDrop = new List<string>();
        var adding = new List<string>();
        var added = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var container in containers)
        {
            var capabilities = container.Get("securityContext", "capabilities");
            if (!capabilities.Get("drop").Items().Any(c => c.AsString() == "ALL"))
            {
                missingDrop.Add(NameOf(container));
            }

            var extra = capabilities.Get("add").Items().Select(c => c.AsString() ?? string.Empty).Where(c => c != "NET_BIND_SERVICE").ToList();
            if (extra.Count > 0)
            {
                adding.Add(NameOf(container));
                added.UnionWith(extra);
            }
        }

        var details = new List<string>();
        if (missingDrop.Count > 0)
        {
            details.Add(ContainersPhrase(missingDrop) + " must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (adding.Count > 0)
        {
            details.Add($"{ContainersPhrase(adding)} must not include {Quote(added)} in securityContext.capabilities.add");
        }

        return details.Count == 0 ? null : new CheckFailure("unrestricted capabilities", string.Join("; ", details));
    }

    private static CheckFailure? RestrictedVolumes(JsonElement spec)
    {
        var bad = new List<string>();
        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var volume in spec.Get("volumes").Items())
        {
            if (volume.Properties().Any(p => AllowedVolumeSources.Contains(p.Name) && p.Value.Exists()))
            {
                continue;
            }

            bad.Add(NameOf(volume));
            var source = RestrictedVolumeSources.FirstOrDefault(s => volume.Get(s.Field).Exists() || (s.Field == "cephfs" && volume.Get("cephFS").Exists()));
            types.Add(source.Name ?? "unknown");
        }

        return bad.Count == 0
            ? null
            : new CheckFailure("restricted volume types", $"{Plural("volume", "volumes", bad.Count)} {Quote(bad)} {Plural("uses", "use", bad.Count)} {Plural("restricted volume type", "restricted volume types", types.Count)} {Quote(types)}");
    }

    private static CheckFailure? RunAsNonRoot(JsonElement spec, List<JsonElement> containers)
    {
        var setters = new List<string>();
        var podValue = spec.Get("securityContext", "runAsNonRoot");
        var podNonRoot = podValue.IsTrue();
        if (podValue.IsFalse())
        {
            setters.Add("pod");
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in containers)
        {
            var value = container.Get("securityContext", "runAsNonRoot");
            if (value.IsFalse())
            {
                explicitlyBad.Add(NameOf(container));
            }
            else if (!value.IsTrue() && !podNonRoot)
            {
                implicitlyBad.Add(NameOf(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            setters.Add(ContainersPhrase(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return new CheckFailure("runAsNonRoot != true", string.Join(" and ", setters) + " must not set securityContext.runAsNonRoot=false");
        }

        return implicitlyBad.Count == 0 ? null : new CheckFailure("runAsNonRoot != true", "pod or " + ContainersPhrase(implicitlyBad) + " must set securityContext.runAsNonRoot=true");
    }

    private static CheckFailure? RunAsUser(JsonElement spec, List<JsonElement> containers)
    {
        var setters = new List<string>();
        if (spec.Get("securityContext", "runAsUser").AsInt() == 0)
        {
            setters.Add("pod");
        }

        var bad = containers.Where(c => c.Get("securityContext", "runAsUser").AsInt() == 0).Select(NameOf).ToList();
        if (bad.Count > 0)
        {
            setters.Add(ContainersPhrase(bad));
        }

        return setters.Count == 0 ? null : new CheckFailure("runAsUser=0", string.Join(" and ", setters) + " must not set runAsUser=0");
    }

    private static CheckFailure? SeccompRestricted(JsonElement spec, List<JsonElement> containers)
    {
        var setters = new List<string>();
        var badValues = new SortedSet<string>(StringComparer.Ordinal);
        var podProfile = spec.Get("securityContext", "seccompProfile");
        var podSet = false;
        if (podProfile.Exists())
        {
            if (podProfile.Get("type").AsString() is "RuntimeDefault" or "Localhost")
            {
                podSet = true;
            }
            else
            {
                setters.Add("pod");
                badValues.Add(podProfile.Get("type").AsString() ?? string.Empty);
            }
        }

        var explicitlyBad = new List<string>();
        var implicitlyBad = new List<string>();
        foreach (var container in containers)
        {
            var profile = container.Get("securityContext", "seccompProfile");
            if (profile.Exists())
            {
                if (profile.Get("type").AsString() is not ("RuntimeDefault" or "Localhost"))
                {
                    explicitlyBad.Add(NameOf(container));
                    badValues.Add(profile.Get("type").AsString() ?? string.Empty);
                }
            }
            else if (!podSet)
            {
                implicitlyBad.Add(NameOf(container));
            }
        }

        if (explicitlyBad.Count > 0)
        {
            setters.Add(ContainersPhrase(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return new CheckFailure("seccompProfile", string.Join(" and ", setters) + " must not set securityContext.seccompProfile.type to " + Quote(badValues));
        }

        return implicitlyBad.Count == 0
            ? null
            : new CheckFailure("seccompProfile", "pod or " + ContainersPhrase(implicitlyBad) + " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }
}

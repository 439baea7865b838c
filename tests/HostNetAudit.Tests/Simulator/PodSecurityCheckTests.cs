using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Admission;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

// The module has a type of the same name; these tests are about the simulator's.
using PodSecurityViolation = HostNetAudit.Simulator.Admission.PodSecurityViolation;

/// <summary>
/// The simulator's Pod Security Standards checks: every check's reason and detail as the apiserver words
/// them (the expected strings are the apiserver's, from kubernetes/pod-security-admission's own check tests
/// and from recorded kubectl output), the order of reasons, overrides and the version differences.
/// </summary>
public sealed class PodSecurityCheckTests
{
    private static readonly LevelVersion BaselineLatest = new("baseline", PodSecurityVersion.Latest);
    private static readonly LevelVersion RestrictedLatest = new("restricted", PodSecurityVersion.Latest);

    private static LevelVersion Baseline(int minor) => new("baseline", PodSecurityVersion.Of(minor));

    private static LevelVersion Restricted(int minor) => new("restricted", PodSecurityVersion.Of(minor));

    /// <summary>Evaluates {"metadata": ..., "spec": ...} (JSON) on an apiserver of the given minor version.</summary>
    private static PodSecurityResult Evaluate(LevelVersion level, string pod, int binary = PodSecurityEvaluator.NewestKnownMinor) =>
        PodSecurityEvaluator.For(binary).EvaluatePod(level, JsonNode.Parse(pod)!.AsObject());

    private static PodSecurityViolation Single(LevelVersion level, string pod, int binary = PodSecurityEvaluator.NewestKnownMinor)
    {
        var result = Evaluate(level, pod, binary);
        Assert.False(result.Allowed, "expected the pod to be refused");
        return Assert.Single(result.Violations);
    }

    private static void AssertFails(LevelVersion level, string pod, string reason, string detail, int binary = PodSecurityEvaluator.NewestKnownMinor)
    {
        var violation = Single(level, pod, binary);
        Assert.Equal(reason, violation.Reason);
        Assert.Equal(detail, violation.Detail);
    }

    private static void AssertAllowed(LevelVersion level, string pod, int binary = PodSecurityEvaluator.NewestKnownMinor)
    {
        var result = Evaluate(level, pod, binary);
        Assert.True(result.Allowed, "expected the pod to be admitted, got: " + result.ForbiddenDetail);
    }

    /// <summary>A pod meeting the restricted profile, with one extra JSON fragment merged into its spec.</summary>
    private static string Restrictable(string specExtra = "", string containerExtra = "") =>
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}" + specExtra +
        ",\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}" + containerExtra + "}]}}";

    [Fact]
    public void Host_namespaces_name_each_shared_namespace_in_the_apiservers_order()
    {
        AssertFails(BaselineLatest, """{"spec":{"hostIPC":true,"hostPID":true,"hostNetwork":true,"containers":[{"name":"a"}]}}""", "host namespaces", "hostNetwork=true, hostPID=true, hostIPC=true");
        AssertFails(BaselineLatest, """{"spec":{"hostNetwork":true,"containers":[{"name":"a"}]}}""", "host namespaces", "hostNetwork=true");
        AssertAllowed(BaselineLatest, """{"spec":{"hostNetwork":false,"hostPID":false,"containers":[{"name":"a"}]}}""");
    }

    [Fact]
    public void Privileged_lists_init_then_regular_then_ephemeral_containers()
    {
        AssertFails(BaselineLatest, """{"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}}""", "privileged", "container \"a\" must not set securityContext.privileged=true");
        AssertFails(
            BaselineLatest,
            """{"spec":{"ephemeralContainers":[{"name":"e","securityContext":{"privileged":true}}],"containers":[{"name":"c","securityContext":{"privileged":true}},{"name":"ok","securityContext":{"privileged":false}}],"initContainers":[{"name":"i","securityContext":{"privileged":true}}]}}""",
            "privileged",
            "containers \"i\", \"c\", \"e\" must not set securityContext.privileged=true");
    }

    [Fact]
    public void Non_default_capabilities_name_containers_and_sorted_capabilities()
    {
        AssertFails(
            BaselineLatest,
            """{"spec":{"containers":[{"name":"a","securityContext":{"capabilities":{"add":["NET_RAW"]}}},{"name":"b","securityContext":{"capabilities":{"add":["SYS_ADMIN","CHOWN","NET_RAW"]}}},{"name":"c","securityContext":{"capabilities":{"add":["NET_BIND_SERVICE","KILL"]}}}]}}""",
            "non-default capabilities",
            "containers \"a\", \"b\" must not include \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add");
    }

    [Fact]
    public void HostPath_volumes_and_host_ports_are_worded_as_the_apiserver_words_them()
    {
        AssertFails(BaselineLatest, """{"spec":{"volumes":[{"name":"a","hostPath":{"path":"/"}},{"name":"e","emptyDir":{}},{"name":"b","hostPath":{"path":"/var"}}],"containers":[{"name":"c"}]}}""", "hostPath volumes", "volumes \"a\", \"b\"");
        AssertFails(BaselineLatest, """{"spec":{"volumes":[{"name":"root","hostPath":{"path":"/"}}],"containers":[{"name":"c"}]}}""", "hostPath volumes", "volume \"root\"");
        AssertFails(BaselineLatest, """{"spec":{"containers":[],"ephemeralContainers":[{"name":"dbg","ports":[{"containerPort":80,"hostPort":80}]}]}}""", "hostPort", "container \"dbg\" uses hostPort 80");
        AssertFails(
            BaselineLatest,
            """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":80},{"containerPort":8080,"hostPort":8080}]},{"name":"b","ports":[{"containerPort":443,"hostPort":443},{"containerPort":9,"hostPort":0}]},{"name":"c","ports":[{"containerPort":1}]}]}}""",
            "hostPort",
            "containers \"a\", \"b\" use hostPorts 443, 80, 8080");
    }

    [Fact]
    public void AppArmor_fields_and_annotations_are_checked_from_1_30_and_only_annotations_before()
    {
        AssertFails(BaselineLatest, """{"spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"}},"containers":[{"name":"a"}]}}""", "forbidden AppArmor profile", "pod must not set AppArmor profile type to \"Unconfined\"");
        AssertFails(BaselineLatest, """{"spec":{"initContainers":[{"name":"bar","securityContext":{"appArmorProfile":{"type":"Unconfined"}}}],"containers":[{"name":"foo","securityContext":{"appArmorProfile":{"type":"RuntimeDefault"}}}]}}""", "forbidden AppArmor profile", "container \"bar\" must not set AppArmor profile type to \"Unconfined\"");
        const string annotations = """
            {"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/":"bogus","container.apparmor.security.beta.kubernetes.io/a":"","container.apparmor.security.beta.kubernetes.io/b":"runtime/default",
              "container.apparmor.security.beta.kubernetes.io/c":"localhost/","container.apparmor.security.beta.kubernetes.io/d":"localhost/foo","container.apparmor.security.beta.kubernetes.io/e":"unconfined",
              "container.apparmor.security.beta.kubernetes.io/f":"unknown","env":"prod"}},"spec":{"containers":[{"name":"a"}]}}
            """;
        AssertFails(
            BaselineLatest,
            annotations,
            "forbidden AppArmor profiles",
            "annotations must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/=\"bogus\"\", \"container.apparmor.security.beta.kubernetes.io/e=\"unconfined\"\", \"container.apparmor.security.beta.kubernetes.io/f=\"unknown\"\"");
        AssertFails(
            BaselineLatest,
            """{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/c":"unconfined"}},"spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"}},"containers":[{"name":"c"}]}}""",
            "forbidden AppArmor profiles",
            "pod and annotation must not set AppArmor profile type to \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\"");

        // A v1.29 apiserver knows only the annotations, and words them without "must not set".
        AssertFails(BaselineLatest, annotations, "forbidden AppArmor profiles", "container.apparmor.security.beta.kubernetes.io/=\"bogus\", container.apparmor.security.beta.kubernetes.io/e=\"unconfined\", container.apparmor.security.beta.kubernetes.io/f=\"unknown\"", binary: 29);
        AssertAllowed(BaselineLatest, """{"spec":{"securityContext":{"appArmorProfile":{"type":"Unconfined"}},"containers":[{"name":"a"}]}}""", binary: 29);
    }

    [Fact]
    public void SELinux_options_name_setters_types_user_and_role_and_allow_container_engine_t_from_1_31()
    {
        AssertFails(
            BaselineLatest,
            """
            {"spec":{"securityContext":{"seLinuxOptions":{"type":"foo","user":"bar","role":"baz"}},"containers":[
              {"name":"a","securityContext":{"seLinuxOptions":{"type":"container_t"}}},{"name":"b","securityContext":{"seLinuxOptions":{"type":"container_init_t"}}},
              {"name":"c","securityContext":{"seLinuxOptions":{"type":"container_kvm_t"}}},{"name":"d","securityContext":{"seLinuxOptions":{"type":"container_engine_t"}}},
              {"name":"e","securityContext":{"seLinuxOptions":{"type":"bar"}}},{"name":"f","securityContext":{"seLinuxOptions":{"user":"bar"}}},{"name":"g","securityContext":{"seLinuxOptions":{"role":"baz"}}}]}}
            """,
            "seLinuxOptions",
            "pod and containers \"e\", \"f\", \"g\" set forbidden securityContext.seLinuxOptions: types \"bar\", \"foo\"; user may not be set; role may not be set");
        AssertFails(BaselineLatest, """{"spec":{"securityContext":{"seLinuxOptions":{"type":"bad"}},"containers":[{"name":"a"}]}}""", "seLinuxOptions", "pod set forbidden securityContext.seLinuxOptions: type \"bad\"");
        AssertFails(BaselineLatest, """{"spec":{"securityContext":{"seLinuxOptions":{"user":"bad"}},"containers":[{"name":"a"}]}}""", "seLinuxOptions", "pod set forbidden securityContext.seLinuxOptions: user may not be set");
        AssertFails(BaselineLatest, """{"spec":{"securityContext":{"seLinuxOptions":{"role":"bad"}},"containers":[{"name":"a"}]}}""", "seLinuxOptions", "pod set forbidden securityContext.seLinuxOptions: role may not be set");

        const string engine = """{"spec":{"containers":[{"name":"d","securityContext":{"seLinuxOptions":{"type":"container_engine_t"}}}]}}""";
        AssertAllowed(BaselineLatest, engine);
        AssertAllowed(Baseline(31), engine);
        AssertFails(Baseline(30), engine, "seLinuxOptions", "container \"d\" set forbidden securityContext.seLinuxOptions: type \"container_engine_t\"");
        AssertFails(BaselineLatest, engine, "seLinuxOptions", "container \"d\" set forbidden securityContext.seLinuxOptions: type \"container_engine_t\"", binary: 30);
    }

    [Fact]
    public void ProcMount_is_relaxed_for_user_namespace_pods_only_by_baseline_from_1_35()
    {
        const string unmasked = """{"spec":{"containers":[{"name":"a","securityContext":{"procMount":"Unmasked"}},{"name":"b","securityContext":{"procMount":"Default"}}]}}""";
        const string userNamespace = """{"spec":{"hostUsers":false,"containers":[{"name":"a","securityContext":{"procMount":"Unmasked"}}]}}""";
        AssertFails(BaselineLatest, unmasked, "procMount", "container \"a\" must not set securityContext.procMount to \"Unmasked\"");
        AssertAllowed(BaselineLatest, userNamespace);
        AssertFails(Baseline(34), userNamespace, "procMount", "container \"a\" must not set securityContext.procMount to \"Unmasked\"");
        AssertFails(BaselineLatest, userNamespace, "procMount", "container \"a\" must not set securityContext.procMount to \"Unmasked\"", binary: 34);

        // Restricted keeps the strict check: procMount_restricted replaces the relaxed baseline one.
        var restricted = Evaluate(RestrictedLatest, Restrictable(specExtra: ",\"hostUsers\":false", containerExtra: string.Empty).Replace("\"allowPrivilegeEscalation\":false", "\"allowPrivilegeEscalation\":false,\"procMount\":\"Unmasked\"", StringComparison.Ordinal));
        var violation = Assert.Single(restricted.Violations);
        Assert.Equal("procMount_restricted", violation.CheckId);
        Assert.Equal("container \"c\" must not set securityContext.procMount to \"Unmasked\"", violation.Detail);
        Assert.DoesNotContain("procMount", PodSecurityEvaluator.For(37).CheckIds(RestrictedLatest));
        Assert.Contains("procMount", PodSecurityEvaluator.For(37).CheckIds(Restricted(34)));
    }

    [Fact]
    public void Seccomp_is_judged_by_annotations_before_1_19_and_by_fields_from_1_19()
    {
        AssertFails(
            BaselineLatest,
            """{"spec":{"securityContext":{"seccompProfile":{"type":"Unconfined"}},"containers":[{"name":"a","securityContext":{"seccompProfile":{"type":"Unconfined"}}},{"name":"b","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]}}""",
            "seccompProfile",
            "pod and container \"a\" must not set securityContext.seccompProfile.type to \"Unconfined\"");
        AssertAllowed(BaselineLatest, """{"spec":{"containers":[{"name":"a"}]}}""");
        AssertFails(
            Baseline(18),
            """{"metadata":{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined","container.seccomp.security.alpha.kubernetes.io/a":"runtime/default","container.seccomp.security.alpha.kubernetes.io/b":"unconfined"}},"spec":{"containers":[{"name":"a"},{"name":"b"}]}}""",
            "seccompProfile",
            "forbidden annotations container.seccomp.security.alpha.kubernetes.io/b=\"unconfined\", seccomp.security.alpha.kubernetes.io/pod=\"unconfined\"");
        AssertAllowed(Baseline(18), """{"spec":{"securityContext":{"seccompProfile":{"type":"Unconfined"}},"containers":[{"name":"a"}]}}""");
    }

    [Fact]
    public void Sysctls_allowed_grow_with_the_policy_version()
    {
        const string pod = """{"spec":{"securityContext":{"sysctls":[{"name":"kernel.msgmax","value":"1"},{"name":"net.ipv4.tcp_rmem","value":"1 2 3"},{"name":"kernel.shm_rmid_forced","value":"1"}]},"containers":[{"name":"a"}]}}""";
        AssertFails(Baseline(31), pod, "forbidden sysctls", "kernel.msgmax, net.ipv4.tcp_rmem");
        AssertFails(Baseline(32), pod, "forbidden sysctls", "kernel.msgmax");
        AssertFails(Baseline(26), """{"spec":{"securityContext":{"sysctls":[{"name":"net.ipv4.ip_local_reserved_ports","value":"1"}]},"containers":[]}}""", "forbidden sysctls", "net.ipv4.ip_local_reserved_ports");
        AssertAllowed(Baseline(27), """{"spec":{"securityContext":{"sysctls":[{"name":"net.ipv4.ip_local_reserved_ports","value":"1"}]},"containers":[]}}""");
        AssertAllowed(Baseline(29), """{"spec":{"securityContext":{"sysctls":[{"name":"net.ipv4.tcp_keepalive_time","value":"1"},{"name":"net.ipv4.tcp_fin_timeout","value":"1"}]},"containers":[]}}""");

        // latest is the newest policy the apiserver binary knows.
        const string v137 = """{"spec":{"securityContext":{"sysctls":[{"name":"net.ipv4.tcp_notsent_lowat","value":"1"}]},"containers":[]}}""";
        AssertAllowed(BaselineLatest, v137, binary: 37);
        AssertFails(BaselineLatest, v137, "forbidden sysctls", "net.ipv4.tcp_notsent_lowat", binary: 36);
        AssertFails(Baseline(36), v137, "forbidden sysctls", "net.ipv4.tcp_notsent_lowat", binary: 37);
    }

    [Fact]
    public void Windows_host_process_names_pod_and_containers()
    {
        AssertFails(
            BaselineLatest,
            """{"spec":{"securityContext":{"windowsOptions":{"hostProcess":true}},"containers":[{"name":"a","securityContext":{"windowsOptions":{"hostProcess":true}}},{"name":"b","securityContext":{"windowsOptions":{"hostProcess":false}}}]}}""",
            "hostProcess",
            "pod and container \"a\" must not set securityContext.windowsOptions.hostProcess=true");
    }

    [Fact]
    public void Probe_and_lifecycle_hosts_are_refused_from_policy_1_34_on_apiservers_that_know_the_check()
    {
        const string pod = """
            {"spec":{"containers":[{"name":"b","livenessProbe":{"httpGet":{"host":"example.com","port":80}},"lifecycle":{"preStop":{"tcpSocket":{"host":"10.0.0.1","port":1}}}},
              {"name":"a","readinessProbe":{"tcpSocket":{"host":"10.0.0.1","port":1}}},{"name":"ok","startupProbe":{"httpGet":{"host":"","port":1}}}]}}
            """;
        AssertFails(BaselineLatest, pod, "probe or lifecycle host", "containers \"a\", \"b\" use probe or lifecycle hosts \"10.0.0.1\", \"example.com\"");
        AssertFails(BaselineLatest, """{"spec":{"containers":[{"name":"a","startupProbe":{"httpGet":{"host":"127.0.0.1","port":1}}}]}}""", "probe or lifecycle host", "container \"a\" uses probe or lifecycle host \"127.0.0.1\"");
        AssertAllowed(Baseline(33), pod);
        AssertAllowed(BaselineLatest, pod, binary: 33);
    }

    [Fact]
    public void Restricted_privilege_escalation_capabilities_and_seccomp_exempt_windows_pods_from_1_25()
    {
        AssertFails(
            RestrictedLatest,
            Restrictable().Replace("""{"name":"c","image":"x","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}""", """{"name":"a","securityContext":{"capabilities":{"drop":["ALL"]}}},{"name":"b","securityContext":{"capabilities":{"drop":["ALL"]}}},{"name":"c","securityContext":{"allowPrivilegeEscalation":true,"capabilities":{"drop":["ALL"]}}},{"name":"d","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}""", StringComparison.Ordinal),
            "allowPrivilegeEscalation != false",
            "containers \"a\", \"b\", \"c\" must set securityContext.allowPrivilegeEscalation=false");

        const string windows = """{"spec":{"os":{"name":"windows"},"securityContext":{"runAsNonRoot":true},"containers":[{"name":"a"}]}}""";
        AssertAllowed(RestrictedLatest, windows);
        var v124 = Evaluate(Restricted(24), windows);
        Assert.Equal(new[] { "allowPrivilegeEscalation", "capabilities_restricted", "seccompProfile_restricted" }, v124.Violations.Select(v => v.CheckId));
    }

    [Fact]
    public void Unrestricted_capabilities_require_drop_ALL_and_allow_only_NET_BIND_SERVICE_and_replace_the_baseline_check()
    {
        AssertFails(
            RestrictedLatest,
            Restrictable().Replace("\"capabilities\":{\"drop\":[\"ALL\"]}", "\"capabilities\":{\"add\":[\"SYS_ADMIN\",\"NET_ADMIN\",\"NET_BIND_SERVICE\"]}", StringComparison.Ordinal),
            "unrestricted capabilities",
            "container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"c\" must not include \"NET_ADMIN\", \"SYS_ADMIN\" in securityContext.capabilities.add");
        AssertAllowed(RestrictedLatest, Restrictable().Replace("\"drop\":[\"ALL\"]", "\"drop\":[\"ALL\"],\"add\":[\"NET_BIND_SERVICE\"]", StringComparison.Ordinal));
        AssertFails(
            RestrictedLatest,
            """{"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"a","securityContext":{"allowPrivilegeEscalation":false}},{"name":"b","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{}}}]}}""",
            "unrestricted capabilities",
            "containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"]");

        // Before 1.22 restricted had no capabilities check of its own: the baseline one applies.
        var v121 = Evaluate(Restricted(21), Restrictable().Replace("\"drop\":[\"ALL\"]", "\"add\":[\"NET_ADMIN\"]", StringComparison.Ordinal));
        Assert.Equal("non-default capabilities", Assert.Single(v121.Violations).Reason);
    }

    [Fact]
    public void Restricted_volume_types_name_every_legacy_source_and_replace_hostPath_volumes()
    {
        const string pod = """
            {"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[],"volumes":[
              {"name":"a1","emptyDir":{}},{"name":"a2","secret":{}},{"name":"a3","persistentVolumeClaim":{}},{"name":"a4","downwardAPI":{}},{"name":"a5","configMap":{}},
              {"name":"a6","projected":{}},{"name":"a7","csi":{}},{"name":"a8","ephemeral":{}},{"name":"a9","image":{}},
              {"name":"b1","hostPath":{}},{"name":"b2","gcePersistentDisk":{}},{"name":"b3","awsElasticBlockStore":{}},{"name":"b4","gitRepo":{}},{"name":"b5","nfs":{}},
              {"name":"b6","iscsi":{}},{"name":"b7","glusterfs":{}},{"name":"b8","rbd":{}},{"name":"b9","flexVolume":{}},{"name":"b10","cinder":{}},{"name":"b11","cephfs":{}},
              {"name":"b12","flocker":{}},{"name":"b13","fc":{}},{"name":"b14","azureFile":{}},{"name":"b15","vsphereVolume":{}},{"name":"b16","quobyte":{}},{"name":"b17","azureDisk":{}},
              {"name":"b18","photonPersistentDisk":{}},{"name":"b19","portworxVolume":{}},{"name":"b20","scaleIO":{}},{"name":"b21","storageos":{}},{"name":"c1"}]}}
            """;
        AssertFails(
            RestrictedLatest,
            pod,
            "restricted volume types",
            "volumes \"b1\", \"b2\", \"b3\", \"b4\", \"b5\", \"b6\", \"b7\", \"b8\", \"b9\", \"b10\", \"b11\", \"b12\", \"b13\", \"b14\", \"b15\", \"b16\", \"b17\", \"b18\", \"b19\", \"b20\", \"b21\", \"c1\" use restricted volume types " +
            "\"awsElasticBlockStore\", \"azureDisk\", \"azureFile\", \"cephfs\", \"cinder\", \"fc\", \"flexVolume\", \"flocker\", \"gcePersistentDisk\", \"gitRepo\", \"glusterfs\", " +
            "\"hostPath\", \"iscsi\", \"nfs\", \"photonPersistentDisk\", \"portworxVolume\", \"quobyte\", \"rbd\", \"scaleIO\", \"storageos\", \"unknown\", \"vsphereVolume\"");

        const string image = """{"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[],"volumes":[{"name":"model","image":{"reference":"x"}}]}}""";
        AssertAllowed(RestrictedLatest, image, binary: 33);
        AssertAllowed(Restricted(25), image, binary: 33);
        AssertFails(RestrictedLatest, image, "restricted volume types", "volume \"model\" uses restricted volume type \"unknown\"", binary: 32);
        Assert.DoesNotContain("hostPathVolumes", PodSecurityEvaluator.For(31).CheckIds(RestrictedLatest));
    }

    [Fact]
    public void RunAsNonRoot_distinguishes_explicit_false_from_unset_and_skips_user_namespace_pods_from_1_35()
    {
        const string reason = "runAsNonRoot != true";
        const string pseudo = """{"spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}{{POD}},"containers":[{{CONTAINERS}}]}}""";
        string Pod(string podContext, string containers) => pseudo.Replace("{{POD}}", podContext, StringComparison.Ordinal).Replace("{{CONTAINERS}}", containers, StringComparison.Ordinal);
        const string safe = "\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}";
        string Container(string name, string extra = "") => "{\"name\":\"" + name + "\"," + safe + extra + "}}";
        var unset = Pod(string.Empty, Container("a") + "," + Container("b") + "," + Container("d", ",\"runAsNonRoot\":true"));
        AssertFails(RestrictedLatest, unset, reason, "pod or containers \"a\", \"b\" must set securityContext.runAsNonRoot=true");
        var explicitFalse = Pod(string.Empty, Container("a") + "," + Container("c", ",\"runAsNonRoot\":false") + "," + Container("d", ",\"runAsNonRoot\":false"));
        AssertFails(RestrictedLatest, explicitFalse, reason, "containers \"c\", \"d\" must not set securityContext.runAsNonRoot=false");
        var podFalse = Restrictable().Replace("\"runAsNonRoot\":true", "\"runAsNonRoot\":false", StringComparison.Ordinal);
        AssertFails(RestrictedLatest, podFalse, reason, "pod must not set securityContext.runAsNonRoot=false");
        var both = podFalse.Replace("\"allowPrivilegeEscalation\":false", "\"allowPrivilegeEscalation\":false,\"runAsNonRoot\":false", StringComparison.Ordinal);
        AssertFails(RestrictedLatest, both, reason, "pod and container \"c\" must not set securityContext.runAsNonRoot=false");

        var userNamespace = podFalse.Replace("\"spec\":{", "\"spec\":{\"hostUsers\":false,", StringComparison.Ordinal);
        AssertAllowed(RestrictedLatest, userNamespace);
        AssertFails(Restricted(34), userNamespace, reason, "pod must not set securityContext.runAsNonRoot=false");
        AssertFails(RestrictedLatest, userNamespace, reason, "pod must not set securityContext.runAsNonRoot=false", binary: 34);
    }

    [Fact]
    public void RunAsUser_0_is_refused_from_policy_1_23()
    {
        var pod = Restrictable(specExtra: ",\"x\":1", containerExtra: string.Empty)
            .Replace("\"runAsNonRoot\":true", "\"runAsNonRoot\":true,\"runAsUser\":0", StringComparison.Ordinal)
            .Replace("\"allowPrivilegeEscalation\":false", "\"allowPrivilegeEscalation\":false,\"runAsUser\":0", StringComparison.Ordinal);
        AssertFails(RestrictedLatest, pod, "runAsUser=0", "pod and container \"c\" must not set runAsUser=0");
        AssertAllowed(Restricted(22), pod);
        AssertAllowed(RestrictedLatest, pod.Replace("\"spec\":{", "\"spec\":{\"hostUsers\":false,", StringComparison.Ordinal));
        AssertAllowed(RestrictedLatest, pod.Replace("\"runAsUser\":0", "\"runAsUser\":1000", StringComparison.Ordinal));
    }

    [Fact]
    public void Restricted_seccomp_must_be_set_on_the_pod_or_every_container()
    {
        const string reason = "seccompProfile";
        var unset = Restrictable().Replace(",\"seccompProfile\":{\"type\":\"RuntimeDefault\"}", string.Empty, StringComparison.Ordinal);
        AssertFails(RestrictedLatest, unset, reason, "pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
        AssertAllowed(RestrictedLatest, unset.Replace("\"allowPrivilegeEscalation\":false", "\"allowPrivilegeEscalation\":false,\"seccompProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"p.json\"}", StringComparison.Ordinal));
        var unconfined = Restrictable().Replace("RuntimeDefault", "Unconfined", StringComparison.Ordinal);
        AssertFails(RestrictedLatest, unconfined, reason, "pod must not set securityContext.seccompProfile.type to \"Unconfined\"");

        // Below 1.19 restricted had no seccomp field check: only the annotations were judged.
        AssertAllowed(Restricted(18), unset);
    }

    [Fact]
    public void Reasons_follow_the_apiservers_order_baseline_checks_first_each_group_by_check_ID()
    {
        // The pod of a published kubectl session, refused by a restricted namespace; the expected message is
        // what the apiserver printed there.
        const string pod = """
            {"metadata":{"name":"security-violations"},"spec":{"volumes":[{"name":"host-root","hostPath":{"path":"/"}}],
              "containers":[{"name":"violation-container","image":"nginx","securityContext":{"privileged":true,"capabilities":{"add":["NET_ADMIN","SYS_ADMIN"]},"runAsUser":0}}]}}
            """;
        var result = Evaluate(RestrictedLatest, pod, binary: 31);
        Assert.Equal(
            "privileged (container \"violation-container\" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container \"violation-container\" must set securityContext.allowPrivilegeEscalation=false), " +
            "unrestricted capabilities (container \"violation-container\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"violation-container\" must not include \"NET_ADMIN\", \"SYS_ADMIN\" in securityContext.capabilities.add), " +
            "restricted volume types (volume \"host-root\" uses restricted volume type \"hostPath\"), runAsNonRoot != true (pod or container \"violation-container\" must set securityContext.runAsNonRoot=true), " +
            "runAsUser=0 (container \"violation-container\" must not set runAsUser=0), seccompProfile (pod or container \"violation-container\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            result.ForbiddenDetail);
        Assert.Equal("privileged, allowPrivilegeEscalation != false, unrestricted capabilities, restricted volume types, runAsNonRoot != true, runAsUser=0, seccompProfile", result.ForbiddenReason);

        var baseline = Evaluate(BaselineLatest, """{"metadata":{"annotations":{"container.apparmor.security.beta.kubernetes.io/a":"unconfined"}},"spec":{"hostNetwork":true,"volumes":[{"name":"v","hostPath":{}}],"containers":[{"name":"a","ports":[{"hostPort":1}],"securityContext":{"privileged":true,"capabilities":{"add":["NET_ADMIN"]},"procMount":"Unmasked","seLinuxOptions":{"user":"u"},"seccompProfile":{"type":"Unconfined"},"windowsOptions":{"hostProcess":true}}}],"securityContext":{"sysctls":[{"name":"kernel.msgmax"}]}}}""");
        Assert.Equal(
            new[] { "appArmorProfile", "capabilities_baseline", "hostNamespaces", "hostPathVolumes", "hostPorts", "privileged", "procMount", "seLinuxOptions", "seccompProfile_baseline", "sysctls", "windowsHostProcess" },
            baseline.Violations.Select(v => v.CheckId));
    }

    [Fact]
    public void Latest_and_versions_beyond_the_binary_evaluate_as_the_newest_policy_it_knows()
    {
        Assert.Equal(PodSecurityVersion.Of(31), PodSecurityEvaluator.For(31).MaxVersion);
        Assert.Equal(PodSecurityVersion.Of(35), PodSecurityEvaluator.For(36).MaxVersion);
        Assert.Equal(PodSecurityVersion.Of(37), PodSecurityEvaluator.For(40).MaxVersion);
        var evaluator = PodSecurityEvaluator.For(33);
        Assert.Equal(evaluator.CheckIds(RestrictedLatest), evaluator.CheckIds(Restricted(99)));
        Assert.Equal(32, evaluator.EffectiveMinor(PodSecurityVersion.Latest));

        // Before 1.8 restricted did not yet require allowPrivilegeEscalation=false.
        Assert.DoesNotContain("allowPrivilegeEscalation", evaluator.CheckIds(Restricted(7)));
        Assert.Contains("allowPrivilegeEscalation", evaluator.CheckIds(Restricted(8)));
        Assert.Empty(evaluator.CheckIds(new LevelVersion("privileged", PodSecurityVersion.Latest)));
    }

    [Fact]
    public void The_reference_pod_fails_baseline_for_host_namespaces_only_and_its_twin_passes_restricted()
    {
        var reference = Restrictable(specExtra: ",\"hostNetwork\":true");
        AssertFails(BaselineLatest, reference, "host namespaces", "hostNetwork=true", binary: 31);
        AssertFails(RestrictedLatest, reference, "host namespaces", "hostNetwork=true", binary: 31);
        AssertAllowed(RestrictedLatest, Restrictable(), binary: 31);
        AssertAllowed(new LevelVersion("privileged", PodSecurityVersion.Latest), reference);
    }

    [Fact]
    public void Versions_parse_as_the_apiserver_parses_them()
    {
        Assert.True(PodSecurityVersion.TryParse("latest", out var latest));
        Assert.True(latest.IsLatest);
        Assert.True(PodSecurityVersion.TryParse("v1.0", out var v0));
        Assert.Equal("v1.0", v0.ToString());
        Assert.True(PodSecurityVersion.TryParse("v1.31", out var v31));
        Assert.Equal(31, v31.Minor);
        foreach (var bad in new[] { "v1.05", "1.31", "v2.0", "v1", "Latest", "v1.31.2", string.Empty, "v1.99999999999", "v1.2\n" })
        {
            Assert.False(PodSecurityVersion.TryParse(bad, out _), bad);
        }

        Assert.True(v31.IsOlderThan(PodSecurityVersion.Latest));
        Assert.False(PodSecurityVersion.Latest.IsOlderThan(PodSecurityVersion.Of(int.MaxValue)));
    }
}

using System.Text.Json;
using HostNetAudit.Engine.PodSecurity;
using Xunit;

namespace HostNetAudit.Tests.Engine.PodSecurity;

public sealed class PodSecurityChecksTests
{
    /// <summary>A pod that meets restricted (the fixtures' "base" pod), with changes merged in.</summary>
    private static (JsonElement Metadata, JsonElement Spec) Pod(string specJson = "{}", string metadataJson = "{}")
    {
        const string restricted = """
            {"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
             "containers":[{"name":"app","image":"x","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}],
             "volumes":[{"name":"token","projected":{"sources":[]}}]}
            """;
        var spec = System.Text.Json.Nodes.JsonNode.Parse(restricted)!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(specJson)!.AsObject())
        {
            spec[key] = value?.DeepClone();
        }

        return (JsonDocument.Parse(metadataJson).RootElement, JsonDocument.Parse(spec.ToJsonString()).RootElement);
    }

    private static List<string> Check(PodSecurityLevel level, int minor, string spec = "{}", string metadata = "{}")
    {
        var (m, s) = Pod(spec, metadata);
        return PodSecurityChecks.Evaluate(m, s, level, minor).Select(f => f.ToString()).ToList();
    }

    [Fact]
    public void The_reference_pod_passes_restricted_at_every_version()
    {
        foreach (var minor in new[] { 0, 8, 19, 22, 23, 25, 31, 34, 35, 37 })
        {
            Assert.Empty(Check(PodSecurityLevel.Restricted, minor));
        }
    }

    [Fact]
    public void Host_network_is_refused_at_baseline_and_restricted_with_the_apiserver_wording()
    {
        Assert.Equal(new[] { "host namespaces (hostNetwork=true)" }, Check(PodSecurityLevel.Baseline, 31, """{"hostNetwork":true}"""));
        Assert.Equal(new[] { "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)" }, Check(PodSecurityLevel.Restricted, 31, """{"hostNetwork":true,"hostIPC":true,"hostPID":true}"""));
        Assert.Empty(Check(PodSecurityLevel.Privileged, 31, """{"hostNetwork":true}"""));
        Assert.Empty(Check(PodSecurityLevel.Baseline, 31, """{"hostNetwork":false}"""));
    }

    [Fact]
    public void Baseline_checks_word_their_details_as_the_apiserver_does()
    {
        var failures = Check(PodSecurityLevel.Baseline, 31, """
            {"containers":[
               {"name":"a","image":"x","ports":[{"containerPort":80,"hostPort":80},{"containerPort":443,"hostPort":443}],"securityContext":{"privileged":true,"capabilities":{"add":["NET_ADMIN","CHOWN"]}}},
               {"name":"b","image":"x","ports":[{"containerPort":80,"hostPort":80}],"securityContext":{"procMount":"Unmasked","seLinuxOptions":{"type":"spc_t"}}}],
             "volumes":[{"name":"root","hostPath":{"path":"/"}}],
             "securityContext":{"sysctls":[{"name":"kernel.msgmax","value":"1"}],"seccompProfile":{"type":"Unconfined"}}}
            """);
        Assert.Equal(
            new[]
            {
                "hostPort (containers \"a\", \"b\" use hostPorts 443, 80)",
                "privileged (container \"a\" must not set securityContext.privileged=true)",
                "procMount (container \"b\" must not set securityContext.procMount to \"Unmasked\")",
                "seLinuxOptions (container \"b\" set forbidden securityContext.seLinuxOptions: type \"spc_t\")",
                "forbidden sysctls (kernel.msgmax)",
                "non-default capabilities (container \"a\" must not include \"NET_ADMIN\" in securityContext.capabilities.add)",
                "hostPath volumes (volume \"root\")",
                "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")",
            },
            failures);
    }

    [Fact]
    public void AppArmor_profiles_are_checked_in_fields_and_annotations()
    {
        var failures = Check(
            PodSecurityLevel.Baseline,
            31,
            """{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"},"appArmorProfile":{"type":"Unconfined"}}}""",
            """{"annotations":{"container.apparmor.security.beta.kubernetes.io/app":"unconfined"}}""");
        Assert.Single(failures);
        Assert.StartsWith("forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to \"Unconfined\", ", failures[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Restricted_checks_replace_their_baseline_counterparts()
    {
        var failures = Check(PodSecurityLevel.Restricted, 31, """
            {"securityContext":{},"containers":[{"name":"app","image":"x","securityContext":{"runAsUser":0,"capabilities":{"add":["NET_RAW"]}}}],
             "volumes":[{"name":"data","nfs":{"server":"s","path":"/"}},{"name":"host","hostPath":{"path":"/"}}]}
            """);
        Assert.Equal(
            new[]
            {
                "allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false)",
                "unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]; container \"app\" must not include \"NET_RAW\" in securityContext.capabilities.add)",
                "restricted volume types (volumes \"data\", \"host\" use restricted volume types \"hostPath\", \"nfs\")",
                "runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)",
                "runAsUser=0 (container \"app\" must not set runAsUser=0)",
                "seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            },
            failures);
    }

    [Theory]
    [InlineData(33, false)]
    [InlineData(34, true)]
    [InlineData(37, true)]
    public void Probe_and_lifecycle_hosts_are_refused_from_v1_34(int minor, bool refused)
    {
        var failures = Check(PodSecurityLevel.Baseline, minor, """
            {"containers":[{"name":"app","image":"x","livenessProbe":{"httpGet":{"host":"10.0.0.1","port":80}}}]}
            """);
        Assert.Equal(refused, failures.Contains("probe or lifecycle host (container \"app\" uses probe or lifecycle host \"10.0.0.1\")"));
    }

    [Theory]
    [InlineData("net.ipv4.tcp_keepalive_time", 28, true)]
    [InlineData("net.ipv4.tcp_keepalive_time", 29, false)]
    [InlineData("net.ipv4.ip_local_reserved_ports", 26, true)]
    [InlineData("net.ipv4.ip_local_reserved_ports", 27, false)]
    [InlineData("net.ipv4.tcp_rmem", 31, true)]
    [InlineData("net.ipv4.tcp_rmem", 32, false)]
    [InlineData("net.ipv4.tcp_notsent_lowat", 36, true)]
    [InlineData("net.ipv4.tcp_notsent_lowat", 37, false)]
    [InlineData("kernel.shm_rmid_forced", 0, false)]
    public void Safe_sysctls_follow_the_policy_version(string sysctl, int minor, bool refused)
    {
        var spec = "{\"securityContext\":{\"sysctls\":[{\"name\":\"" + sysctl + "\",\"value\":\"1\"}]}}";
        var failures = Check(PodSecurityLevel.Baseline, minor, spec);
        Assert.Equal(refused, failures.Any(f => f.StartsWith("forbidden sysctls", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(30, true)]
    [InlineData(31, false)]
    public void SELinux_container_engine_t_is_allowed_from_v1_31(int minor, bool refused)
    {
        var failures = Check(PodSecurityLevel.Baseline, minor, """{"securityContext":{"seLinuxOptions":{"type":"container_engine_t"}}}""");
        Assert.Equal(refused, failures.Any(f => f.StartsWith("seLinuxOptions", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(PodSecurityLevel.Baseline, 34, true)]
    [InlineData(PodSecurityLevel.Baseline, 35, false)]
    [InlineData(PodSecurityLevel.Restricted, 35, true)]
    public void ProcMount_is_relaxed_for_user_namespace_pods_at_baseline_from_v1_35(PodSecurityLevel level, int minor, bool refused)
    {
        var failures = Check(level, minor, """
            {"hostUsers":false,"containers":[{"name":"app","image":"x","securityContext":{"procMount":"Unmasked","allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}
            """);
        Assert.Equal(refused, failures.Any(f => f.StartsWith("procMount", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(34, true)]
    [InlineData(35, false)]
    public void RunAsNonRoot_and_runAsUser_are_skipped_for_user_namespace_pods_from_v1_35(int minor, bool refused)
    {
        var failures = Check(PodSecurityLevel.Restricted, minor, """{"hostUsers":false,"securityContext":{"runAsUser":0,"seccompProfile":{"type":"RuntimeDefault"}}}""");
        Assert.Equal(refused, failures.Any(f => f.StartsWith("runAsNonRoot", StringComparison.Ordinal)));
        Assert.Equal(refused, failures.Any(f => f.StartsWith("runAsUser=0", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(22, true)]
    [InlineData(23, false)]
    public void RunAsUser_zero_is_refused_from_v1_23(int minor, bool allowed)
    {
        var failures = Check(PodSecurityLevel.Restricted, minor, """{"securityContext":{"runAsNonRoot":true,"runAsUser":0,"seccompProfile":{"type":"RuntimeDefault"}}}""");
        Assert.Equal(!allowed, failures.Any(f => f.StartsWith("runAsUser=0", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(24, true)]
    [InlineData(25, false)]
    public void Windows_pods_are_exempt_from_the_linux_only_restricted_checks_from_v1_25(int minor, bool refused)
    {
        var failures = Check(PodSecurityLevel.Restricted, minor, """
            {"os":{"name":"windows"},"securityContext":{"runAsNonRoot":true},"containers":[{"name":"app","image":"x"}]}
            """);
        Assert.Equal(refused, failures.Any(f => f.StartsWith("allowPrivilegeEscalation", StringComparison.Ordinal)));
        Assert.Equal(refused, failures.Any(f => f.StartsWith("seccompProfile", StringComparison.Ordinal)));
        Assert.Equal(refused, failures.Any(f => f.StartsWith("unrestricted capabilities", StringComparison.Ordinal)));
    }

    [Fact]
    public void Before_v1_19_seccomp_is_read_from_annotations()
    {
        var failures = Check(PodSecurityLevel.Baseline, 18, "{}", """{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}}""");
        Assert.Equal(new[] { "seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")" }, failures);
        Assert.Empty(Check(PodSecurityLevel.Baseline, 19, "{}", """{"annotations":{"seccomp.security.alpha.kubernetes.io/pod":"unconfined"}}"""));
    }

    [Fact]
    public void Init_and_ephemeral_containers_are_checked_too()
    {
        var failures = Check(PodSecurityLevel.Baseline, 31, """
            {"initContainers":[{"name":"init","image":"x","securityContext":{"privileged":true}}],
             "ephemeralContainers":[{"name":"debug","image":"x","securityContext":{"privileged":true}}]}
            """);
        Assert.Equal(new[] { "privileged (containers \"init\", \"debug\" must not set securityContext.privileged=true)" }, failures);
    }
}

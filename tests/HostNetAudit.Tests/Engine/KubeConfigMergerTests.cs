using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Connection;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public sealed class KubeConfigMergerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("hna-kc-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Config(string current, string context, string cluster, string server, string? ca = null) => $"""
        apiVersion: v1
        kind: Config
        current-context: {current}
        clusters:
        - name: {cluster}
          cluster:
            server: {server}
        {(ca is null ? string.Empty : "    certificate-authority: " + ca)}
        users:
        - name: u-{context}
          user:
            token: t-{context}
        contexts:
        - name: {context}
          context:
            cluster: {cluster}
            user: u-{context}
        """;

    [Fact]
    public void First_file_wins_for_current_context_and_for_names_defined_twice()
    {
        var a = Write("a", Config("one", "one", "shared", "https://a.example:6443"));
        var b = Write("b", Config("two", "two", "shared", "https://b.example:6443"));
        var merged = KubeConfigMerger.Load(new[] { a, b });
        Assert.Equal("one", merged.CurrentContext);
        Assert.Equal(new[] { "one", "two" }, merged.Contexts.Select(c => c.Name));
        Assert.Single(merged.Clusters);
        Assert.Equal("https://a.example:6443", merged.Clusters.Single().ClusterEndpoint.Server);
    }

    [Fact]
    public void Relative_certificate_paths_resolve_against_their_own_file()
    {
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        var b = Write(Path.Combine("sub", "b"), Config("two", "two", "c2", "https://b.example:6443", "ca.crt"));
        var merged = KubeConfigMerger.Load(new[] { Write("a", Config("one", "one", "c1", "https://a.example")), b });
        Assert.Equal(Path.Combine(dir, "sub", "ca.crt"), merged.Clusters.Single(c => c.Name == "c2").ClusterEndpoint.CertificateAuthority);
    }

    [Fact]
    public void LoadKubeConfig_lists_contexts_and_maps_a_bad_file_to_KubeConfigInvalid()
    {
        var good = Write("good", Config("one", "one", "c1", "https://a.example"));
        var info = ClusterConnector.LoadKubeConfig(new ConnectionRequest { KubeConfigPath = good });
        Assert.Equal(new[] { "one" }, info.Contexts);
        Assert.Equal("one", info.CurrentContext);

        var bad = Write("bad", "clusters: [ { name: x");
        var error = Assert.Throws<HostNetAuditException>(() => ClusterConnector.LoadKubeConfig(new ConnectionRequest { KubeConfigPath = bad }));
        Assert.Equal("KubeConfigInvalid", error.ErrorId);
        Assert.Equal(FailureCategory.InvalidData, error.Category);
        Assert.Equal(bad, error.Target);
    }

    [Fact]
    public void In_cluster_configuration_reads_the_service_account_folder()
    {
        File.WriteAllText(Path.Combine(dir, "token"), "sa-token");
        File.WriteAllText(Path.Combine(dir, "namespace"), "audit");
        var env = new Dictionary<string, string>
        {
            ["KUBERNETES_SERVICE_HOST"] = "10.0.0.1",
            ["KUBERNETES_SERVICE_PORT"] = "443",
            [ClusterConnector.ServiceAccountDirectoryVariable] = dir,
        };
        var config = ClusterConnector.BuildInCluster(new ConnectionRequest { Mode = ConnectionMode.InCluster }, k => env.GetValueOrDefault(k));
        Assert.Equal("https://10.0.0.1:443", config.Host);
        Assert.Equal("audit", config.Namespace);
        Assert.NotNull(config.TokenProvider);

        var missing = Assert.Throws<HostNetAuditException>(() => ClusterConnector.BuildInCluster(new ConnectionRequest { Mode = ConnectionMode.InCluster }, k => k == ClusterConnector.ServiceAccountDirectoryVariable ? dir : null));
        Assert.Equal("InClusterConfigNotFound", missing.ErrorId);
    }

    [Fact]
    public void The_test_service_account_folder_is_read_only_with_InCluster()
    {
        File.WriteAllText(Path.Combine(dir, "token"), "sa-token");
        var env = new Dictionary<string, string>
        {
            ["KUBERNETES_SERVICE_HOST"] = "10.0.0.1",
            ["KUBERNETES_SERVICE_PORT"] = "443",
            [ClusterConnector.ServiceAccountDirectoryVariable] = dir,
        };

        // A kubeconfig's automatic in-cluster fallback reads the pod's own folder, whatever the variable says.
        var fallback = Assert.Throws<HostNetAuditException>(() => ClusterConnector.BuildInCluster(new ConnectionRequest { Mode = ConnectionMode.KubeConfig }, k => env.GetValueOrDefault(k)));
        Assert.Equal("InClusterConfigNotFound", fallback.ErrorId);
        Assert.Equal(ClusterConnector.DefaultServiceAccountRoot, fallback.Target);
    }
}

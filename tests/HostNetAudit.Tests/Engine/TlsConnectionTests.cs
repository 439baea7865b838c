using System.Security.Cryptography.X509Certificates;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Connection;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

/// <summary>
/// The server's certificate, checked over TLS against the simulated cluster: what the client refuses, the name it
/// sends (SNI) and the Host header it keeps. Kubeconfig and token mode are covered end to end by Connection.Tests.ps1;
/// the in-cluster configuration here.
/// </summary>
public sealed class TlsConnectionTests : IAsyncLifetime, IDisposable
{
    private readonly string serviceAccount = Directory.CreateTempSubdirectory("hna-sa-").FullName;
    private SimHost host = null!;

    public async Task InitializeAsync() => host = await SimHost.StartAsync(ScenarioCatalog.Demo());

    public async Task DisposeAsync() => await host.DisposeAsync();

    public void Dispose() => Directory.Delete(serviceAccount, recursive: true);

    /// <summary>A pod's service account folder and environment for the simulated cluster's HTTPS port.</summary>
    private k8s.KubernetesClientConfiguration InCluster()
    {
        File.WriteAllText(Path.Combine(serviceAccount, "token"), host.Server.Token);
        File.WriteAllText(Path.Combine(serviceAccount, "ca.crt"), host.Server.Certificates.AuthorityPem);
        var environment = new Dictionary<string, string>
        {
            ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
            ["KUBERNETES_SERVICE_PORT"] = host.Server.HttpsUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ClusterConnector.ServiceAccountDirectoryVariable] = serviceAccount,
        };
        return ClusterConnector.BuildInCluster(new ConnectionRequest { Mode = ConnectionMode.InCluster }, k => environment.GetValueOrDefault(k));
    }

    private static async Task<IReadOnlyList<string>> ListNamespacesAsync(KubeApiClient api)
    {
        using var session = new ClusterSession(api, NullEngineLog.Instance);
        return await session.PodSecurity.ListNamespacesAsync(CancellationToken.None);
    }

    [Fact]
    public async Task In_cluster_the_service_account_CA_and_the_service_IP_are_verified()
    {
        var namespaces = await ListNamespacesAsync(new KubeApiClient(InCluster(), "in-cluster", NullEngineLog.Instance, TimeSpan.FromSeconds(20)));
        Assert.Contains("kube-system", namespaces);
        var list = Assert.Single(host.Cluster.Requests.All, r => r.Verb == "list");
        Assert.Null(list.TlsServerName); // an IP address is never sent as SNI
    }

    [Theory]
    [InlineData(ServingCertificate.OtherHost, "it is not valid for 127.0.0.1: it names DNS:apiserver.hostnetaudit.invalid (an IP address is matched only against the certificate's IP addresses, and it has none)")]
    [InlineData(ServingCertificate.IpAsDnsName, "it is not valid for 127.0.0.1: it names DNS:127.0.0.1 (an IP address")]
    [InlineData(ServingCertificate.CommonNameOnly, "it is not valid for 127.0.0.1: it names no DNS name or IP address (only the common name '127.0.0.1'")]
    [InlineData(ServingCertificate.ClientAuthOnly, "it is not for server authentication (extended key usage: clientAuth)")]
    [InlineData(ServingCertificate.OtherAuthority, "it does not chain to the certificate authority given for the cluster")]
    public async Task In_cluster_a_certificate_kubectl_refuses_is_refused(ServingCertificate served, string reason)
    {
        host.Cluster.Options.ServingCertificate = served;
        var error = await Assert.ThrowsAsync<KubeApiException>(() => ListNamespacesAsync(new KubeApiClient(InCluster(), "in-cluster", NullEngineLog.Instance, TimeSpan.FromSeconds(20))));
        Assert.Equal("TlsVerificationFailed", error.ErrorId);
        Assert.Equal(FailureCategory.SecurityError, error.Category);
        Assert.Equal(host.Server.HttpsUrl.AbsoluteUri.TrimEnd('/'), error.Target);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Cluster.Requests.All);
    }

    [Fact]
    public async Task A_tls_server_name_is_the_SNI_and_the_name_checked_while_the_Host_header_stays_the_URLs()
    {
        host.Cluster.Options.ServingCertificate = ServingCertificate.OtherHost;
        var configuration = host.Configuration();
        configuration.TlsServerName = CertificateFactory.OtherHostName;
        var log = new RecordingLog();
        Assert.Contains("kube-system", await ListNamespacesAsync(new KubeApiClient(configuration, "sim", log, TimeSpan.FromSeconds(20), userAgent: "HostNetAudit/test")));
        var list = Assert.Single(host.Cluster.Requests.All, r => r.Verb == "list");
        Assert.Equal(CertificateFactory.OtherHostName, list.TlsServerName);
        Assert.Equal(host.Server.HttpsUrl.Authority, list.Host);
        Assert.Equal("HostNetAudit/test", list.UserAgent);
        Assert.Equal(host.Cluster.Options.User, list.User);
        Assert.Contains(log.Verbose, v => v.StartsWith("sim: GET /api/v1/namespaces", StringComparison.Ordinal) && v.Contains("-> 200 OK", StringComparison.Ordinal));

        var mismatch = host.Configuration();
        mismatch.TlsServerName = "kubernetes.default.svc";
        var error = await Assert.ThrowsAsync<KubeApiException>(() => ListNamespacesAsync(new KubeApiClient(mismatch, "sim", NullEngineLog.Instance, TimeSpan.FromSeconds(20))));
        Assert.Equal("TlsVerificationFailed", error.ErrorId);
        Assert.Contains("it is not valid for kubernetes.default.svc: it names DNS:apiserver.hostnetaudit.invalid.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skipping_verification_accepts_any_certificate_and_warns_once()
    {
        host.Cluster.Options.ServingCertificate = ServingCertificate.OtherAuthority;
        var configuration = host.Configuration();
        configuration.SkipTlsVerify = true;
        var log = new RecordingLog();
        using var session = new ClusterSession(new KubeApiClient(configuration, "sim", log, TimeSpan.FromSeconds(20)), log);
        Assert.Contains("kube-system", await session.PodSecurity.ListNamespacesAsync(CancellationToken.None));
        Assert.Contains("kube-system", await session.PodSecurity.ListNamespacesAsync(CancellationToken.None));
        Assert.Single(log.Warnings, w => w.Contains("TLS verification is off", StringComparison.Ordinal));
    }
}

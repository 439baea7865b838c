using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

/// <summary>Several clusters in one process, per-request latency, and the in-cluster service-account folder.</summary>
public sealed class FleetTests
{
    [Fact]
    public async Task A_fleet_serves_independent_clusters_each_with_its_own_port_token_state_faults_and_log()
    {
        var clusters = new[] { ScenarioCatalog.Demo(), ScenarioCatalog.Empty(), ScenarioCatalog.Demo() }.Select(s => new SimCluster(s)).ToList();
        await using var fleet = await SimFleet.StartAsync(clusters, "fleet");
        Assert.Equal(new[] { "fleet-01", "fleet-02", "fleet-03" }, fleet.Contexts);
        Assert.Equal(3, fleet.Servers.Select(s => s.HttpsUrl.Port).Distinct().Count());
        Assert.Equal(3, fleet.Servers.Select(s => s.Token).Distinct().Count());

        fleet.Servers[0].Cluster.Faults.Add(new FaultRule { StatusCode = 503, Resource = "pods", Times = 0 });
        async Task<HttpStatusCode> ListPods(SimServer server, string? token = null)
        {
            using var http = new HttpClient { BaseAddress = server.HttpUrl };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? server.Token);
            using var response = await http.GetAsync("/api/v1/pods");
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ListPods(fleet.Servers[0]));
        Assert.Equal(HttpStatusCode.OK, await ListPods(fleet.Servers[2]));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListPods(fleet.Servers[1], fleet.Servers[2].Token));
        Assert.Single(fleet.Servers[2].Cluster.Requests.All);
        Assert.Equal(2, fleet.Servers[1].Cluster.Requests.All.Count + fleet.Servers[0].Cluster.Requests.All.Count);

        var kubeconfig = fleet.KubeConfig();
        Assert.Contains("current-context: fleet-01", kubeconfig, StringComparison.Ordinal);
        foreach (var (server, context) in fleet.Servers.Zip(fleet.Contexts))
        {
            Assert.Contains($"- name: {context}\n  cluster:\n    server: {server.HttpsUrl.AbsoluteUri.TrimEnd('/')}", kubeconfig, StringComparison.Ordinal);
            Assert.Contains($"token: {server.Token}\n", kubeconfig, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("-http", kubeconfig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Latency_delays_every_answer_and_can_change_while_running()
    {
        await using var server = await SimServer.StartAsync(new SimCluster(ScenarioCatalog.Empty(), new SimulatorOptions { LatencyMilliseconds = 300 }));
        using var http = new HttpClient { BaseAddress = server.HttpUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);
        var watch = Stopwatch.StartNew();
        using (var slow = await http.GetAsync("/api/v1/namespaces"))
        {
            Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        }

        Assert.True(watch.ElapsedMilliseconds >= 290, $"answered after {watch.ElapsedMilliseconds} ms"); // slack: see below

        using (var set = await http.PostAsync("/_sim/options", new StringContent("""{"latencyMilliseconds":0}""", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        Assert.Equal(0, server.Cluster.Options.LatencyMilliseconds);
        using var invalid = await http.PostAsync("/_sim/options", new StringContent("""{"latencyMilliseconds":-1}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task A_new_HTTPS_connection_costs_two_more_round_trips_than_a_request_on_an_open_one()
    {
        await using var server = await SimServer.StartAsync(new SimCluster(ScenarioCatalog.Empty(), new SimulatorOptions { LatencyMilliseconds = 200 }));
        var authority = X509CertificateLoader.LoadCertificate(server.Certificates.Authority.RawData);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        using var https = new HttpClient(handler) { BaseAddress = server.HttpsUrl };
        https.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);
        var watch = Stopwatch.StartNew();
        using (var first = await https.GetAsync("/version"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // Lower bounds with a little slack: the server's timer may fire a millisecond before the client's stopwatch
        // has counted the whole delay (seen here: 199 ms for a 200 ms round trip).
        Assert.True(watch.ElapsedMilliseconds >= 590, $"a new connection's first answer came after {watch.ElapsedMilliseconds} ms");
        watch.Restart();
        using (var second = await https.GetAsync("/version"))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        Assert.True(watch.ElapsedMilliseconds >= 190, $"the second answer came after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task The_service_account_folder_holds_a_token_the_cluster_accepts_and_the_CA_its_certificate_chains_to()
    {
        await using var server = await SimServer.StartAsync(new SimCluster(ScenarioCatalog.Empty()));
        var folder = Path.Combine(Path.GetTempPath(), "hna-sa-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            server.WriteServiceAccountDirectory(folder);
            Assert.Equal("hostnetaudit", await File.ReadAllTextAsync(Path.Combine(folder, "namespace")));
            var token = await File.ReadAllTextAsync(Path.Combine(folder, "token"));
            using var authority = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(folder, "ca.crt")));
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(authority);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is not null && chain.Build(certificate);
                },
            };
            using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://{server.HttpsUrl.Host}:{server.HttpsUrl.Port}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.GetAsync("/api/v1/namespaces");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

using System.Security.Cryptography.X509Certificates;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Scenarios;
using k8s;

namespace HostNetAudit.Tests.Support;

/// <summary>Collects what the engine logs, for assertions.</summary>
public sealed class RecordingLog : IEngineLog
{
    public List<string> Verbose { get; } = new();

    public List<string> Warnings { get; } = new();

    public List<HostNetAuditException> Errors { get; } = new();

    void IEngineLog.Verbose(string message)
    {
        lock (Verbose)
        {
            Verbose.Add(message);
        }
    }

    public void Debug(string message)
    {
    }

    public void Warning(string message)
    {
        lock (Warnings)
        {
            Warnings.Add(message);
        }
    }

    public void Error(HostNetAuditException error)
    {
        lock (Errors)
        {
            Errors.Add(error);
        }
    }

    public void Progress(int activityId, string activity, string status, int percent, bool completed)
    {
    }
}

/// <summary>An in-process simulated cluster and clients for it.</summary>
public sealed class SimHost : IAsyncDisposable
{
    private SimHost(SimServer server)
    {
        Server = server;
    }

    public SimServer Server { get; }

    public SimCluster Cluster => Server.Cluster;

    public static async Task<SimHost> StartAsync(Scenario scenario, SimulatorOptions? options = null) =>
        new(await SimServer.StartAsync(new SimCluster(scenario, options)));

    public KubernetesClientConfiguration Configuration(bool https = true) => new()
    {
        Host = (https ? Server.HttpsUrl : Server.HttpUrl).AbsoluteUri.TrimEnd('/'),
        AccessToken = Server.Token,
        SslCaCerts = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(Server.Certificates.Authority.RawData)),
    };

    internal KubeApiClient Api(IEngineLog? log = null, TimeSpan? timeout = null, RetryPolicy? retry = null) =>
        new(Configuration(), "sim", log ?? NullEngineLog.Instance, timeout ?? TimeSpan.FromSeconds(20), retry ?? new RetryPolicy(6, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2)));

    public HttpClient Http() => new() { BaseAddress = Server.HttpUrl };

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

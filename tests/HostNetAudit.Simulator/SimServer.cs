using System.Net;
using System.Net.Security;
using HostNetAudit.Simulator.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HostNetAudit.Simulator;

/// <summary>Hosts a SimCluster on 127.0.0.1 with ephemeral ports: HTTPS (certificate made at start) and plain HTTP.</summary>
public sealed class SimServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private SimServer(WebApplication app, SimCluster cluster, CertificateFactory certificates)
    {
        this.app = app;
        Cluster = cluster;
        Certificates = certificates;
    }

    public SimCluster Cluster { get; }

    public CertificateFactory Certificates { get; }

    public Uri HttpsUrl { get; private set; } = null!;

    public Uri HttpUrl { get; private set; } = null!;

    public string Token => Cluster.Options.Token;

    public static async Task<SimServer> StartAsync(SimCluster cluster, CancellationToken cancellationToken = default)
    {
        var certificates = CertificateFactory.Create();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
            options.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;

                // With latency, a new HTTPS connection costs two round trips before its first request (TCP, TLS 1.3).
                listen.Use(next => async connection =>
                {
                    if (cluster.Options.TakeStalledConnection())
                    {
                        // Accepted, never answered: the client's TLS handshake waits until it gives up.
                        try
                        {
                            await Task.Delay(Timeout.Infinite, connection.ConnectionClosed).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                        }

                        return;
                    }

                    if (cluster.Options.LatencyMilliseconds > 0)
                    {
                        await Task.Delay(2 * cluster.Options.LatencyMilliseconds, connection.ConnectionClosed).ConfigureAwait(false);
                    }

                    await next(connection).ConfigureAwait(false);
                });

                // Options per handshake: a test can switch the certificate (SimulatorOptions.ServingCertificate), and
                // Kestrel's own check, which refuses to serve a certificate without serverAuth, is not in the way of
                // the client's. Client certificates are optional, as on a real apiserver; the cluster decides whom
                // they name.
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = context => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificates.Serving(cluster.Options.ServingCertificate),
                        ClientCertificateRequired = true,
                        RemoteCertificateValidationCallback = (_, _, _, _) => true,
                    }),
                });
            });
            options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        cluster.ClientCertificateUser = certificate => certificates.UserOf(certificate) is { } user
            ? Auth.UserInfo.Authenticate(user, Auth.UserInfo.CertificateOrganizations(certificate!), serviceAccount: false)
            : null;
        cluster.IssueClientCertificate = (user, groups) => certificates.CreateClientCertificate(user, groups);
        app.Run(cluster.HandleAsync);
        var server = new SimServer(app, cluster, certificates);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        server.HttpsUrl = addresses.First(a => a.Scheme == Uri.UriSchemeHttps);
        server.HttpUrl = addresses.First(a => a.Scheme == Uri.UriSchemeHttp);
        return server;
    }

    /// <summary>A kubeconfig with one context per scheme: "&lt;name&gt;" (HTTPS, CA data, token) and "&lt;name&gt;-http".</summary>
    public string KubeConfig(string name = "sim", bool includeHttp = true)
    {
        var ca = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(Certificates.AuthorityPem));
        var text = new System.Text.StringBuilder();
        text.Append("apiVersion: v1\nkind: Config\n");
        text.Append("current-context: ").Append(name).Append('\n');
        text.Append("clusters:\n");
        text.Append("- name: ").Append(name).Append("\n  cluster:\n    server: ").Append(HttpsUrl.AbsoluteUri.TrimEnd('/')).Append("\n    certificate-authority-data: ").Append(ca).Append('\n');
        if (includeHttp)
        {
            text.Append("- name: ").Append(name).Append("-http\n  cluster:\n    server: ").Append(HttpUrl.AbsoluteUri.TrimEnd('/')).Append('\n');
        }

        text.Append("users:\n- name: ").Append(name).Append("-user\n  user:\n    token: ").Append(Token).Append('\n');
        text.Append("contexts:\n- name: ").Append(name).Append("\n  context:\n    cluster: ").Append(name).Append("\n    user: ").Append(name).Append("-user\n");
        if (includeHttp)
        {
            text.Append("- name: ").Append(name).Append("-http\n  context:\n    cluster: ").Append(name).Append("-http\n    user: ").Append(name).Append("-user\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes what a pod's service-account volume holds (token, ca.crt, namespace) into a folder, for the module's
    /// -InCluster mode; KUBERNETES_SERVICE_HOST/PORT are 127.0.0.1 and <see cref="HttpsUrl"/>'s port. The token
    /// is the cluster's default one unless given; the namespace is the default user's service-account namespace.
    /// </summary>
    public void WriteServiceAccountDirectory(string directory, string? token = null, string? ns = null)
    {
        Directory.CreateDirectory(directory);
        if (ns is null)
        {
            ns = Auth.UserInfo.TrySplitServiceAccount(Cluster.Options.User, out var userNamespace, out _) ? userNamespace : "default";
        }

        File.WriteAllText(Path.Combine(directory, "token"), token ?? Token);
        File.WriteAllText(Path.Combine(directory, "ca.crt"), Certificates.AuthorityPem);
        File.WriteAllText(Path.Combine(directory, "namespace"), ns);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        Certificates.Dispose();
    }
}

using System.Net.Security;
using System.Net.Sockets;

namespace HostNetAudit.Engine.Connection;

/// <summary>
/// A kubeconfig's <c>tls-server-name</c>, as kubectl uses it: the TLS server name (SNI) and the name the
/// certificate must hold, while the HTTP Host header stays the server URL's. SocketsHttpHandler takes the SNI
/// from the Host header (KubernetesClient sets that header to tls-server-name, changing both), so here requests
/// reach the socket handler as http:// URLs with the URL's Host header, and the handler's ConnectCallback opens
/// every connection with TLS itself, for that name. Nothing leaves unencrypted: every connection of that handler
/// is made by the callback, and it does not use a proxy.
/// </summary>
internal sealed class TlsServerNameHandler : DelegatingHandler
{
    /// <summary>Makes <paramref name="sockets"/> open TLS connections for <paramref name="serverName"/>.</summary>
    public static void Configure(SocketsHttpHandler sockets, string serverName, RemoteCertificateValidationCallback validate)
    {
        sockets.UseProxy = false;
        sockets.ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
                try
                {
                    await tls.AuthenticateAsClientAsync(
                        new SslClientAuthenticationOptions
                        {
                            TargetHost = serverName,
                            RemoteCertificateValidationCallback = validate,
                            ClientCertificates = sockets.SslOptions.ClientCertificates,
                            ApplicationProtocols = new List<SslApplicationProtocol> { SslApplicationProtocol.Http11 },
                        },
                        cancellationToken).ConfigureAwait(false);
                    return tls;
                }
                catch
                {
                    await tls.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
    }

    /// <summary>The URL's host as the wire carries it: IPv6 in brackets, international names in punycode.</summary>
    public static string HostOf(Uri url) => url.HostNameType == UriHostNameType.IPv6 ? url.Host : url.IdnHost;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!;
        var host = HostOf(url);
        request.Headers.Host = url.IsDefaultPort ? host : host + ":" + url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        request.RequestUri = new UriBuilder(url) { Scheme = Uri.UriSchemeHttp, Port = url.Port }.Uri;
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Retries and messages see the URL as given.
            request.RequestUri = url;
            request.Headers.Host = null;
        }
    }
}

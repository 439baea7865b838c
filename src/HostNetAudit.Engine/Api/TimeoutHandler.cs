using System.Security.Authentication;
using System.Net.Sockets;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Connection;

namespace HostNetAudit.Engine.Api;

/// <summary>
/// One attempt of a request, bounded by the timeout: it sends, then reads the answer's body (a 2xx body through
/// the exchange's reader, any other buffered for the error message), so the timeout covers the body too. What
/// ends an attempt without an answer becomes a <see cref="KubeApiException"/> with its error ID: RequestTimeout,
/// ConnectionReset (which the retry handler retries), ClusterUnreachable (retried too when the connection was not set
/// up within the socket handler's ConnectTimeout: nothing was sent), TlsVerificationFailed.
/// </summary>
internal sealed class TimeoutHandler : DelegatingHandler
{
    private readonly TimeSpan timeout;
    private readonly TimeSpan connectTimeout;
    private readonly string server;
    private readonly string context;

    public TimeoutHandler(TimeSpan timeout, TimeSpan connectTimeout, string server, string context)
    {
        this.timeout = timeout;
        this.connectTimeout = connectTimeout;
        this.server = server;
        this.context = context;
    }

    public TimeSpan Timeout => timeout;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var exchange = ApiExchange.Of(request);
        exchange.Body = Array.Empty<byte>();
        exchange.BodyBytes = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        HttpResponseMessage? response = null;
        try
        {
            response = await base.SendAsync(request, deadline.Token).ConfigureAwait(false);
            var counting = new CountingStream(await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false));
            await using (counting.ConfigureAwait(false))
            {
                if (response.IsSuccessStatusCode && exchange.ReadBody is not null)
                {
                    await exchange.ReadBody(counting, deadline.Token).ConfigureAwait(false);
                }
                else
                {
                    using var buffer = new MemoryStream();
                    await counting.CopyToAsync(buffer, deadline.Token).ConfigureAwait(false);
                    exchange.Body = buffer.ToArray();
                }

                exchange.BodyBytes = counting.BytesRead;
            }

            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            response?.Dispose();
            throw new KubeApiException(
                "RequestTimeout",
                FailureCategory.OperationTimeout,
                exchange.Request.Target,
                $"The API server {server} (context '{context}') did not answer {exchange.Describe()} within {timeout.TotalSeconds:0} s.",
                null,
                null,
                null);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && ex.InnerException is TimeoutException)
        {
            // The socket handler's ConnectTimeout: the connection was not set up, so nothing was sent (retried).
            response?.Dispose();
            throw new KubeApiException(
                "ClusterUnreachable",
                FailureCategory.ConnectionError,
                server,
                $"The connection to {server} (context '{context}') was not set up (TCP and TLS) within {connectTimeout.TotalSeconds:0.#} s, so {exchange.Describe()} was not sent.",
                null,
                null,
                null,
                ex)
            {
                NotSent = true,
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // IOException: the connection broke while the body was streaming in.
            response?.Dispose();
            throw Map(ex, exchange);
        }
        catch
        {
            response?.Dispose();
            throw;
        }
    }

    private KubeApiException Map(Exception ex, ApiExchange exchange)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is CertificateVerificationException refused)
            {
                return new KubeApiException(
                    "TlsVerificationFailed",
                    FailureCategory.SecurityError,
                    server,
                    $"The TLS certificate of {server} (context '{context}') was refused: {refused.Message}.",
                    null,
                    null,
                    null,
                    ex)
                {
                    RecommendedAction = refused.Problem switch
                    {
                        CertificateProblem.Name => "Connect by a name the certificate holds: change the server URL, or set the kubeconfig's tls-server-name to one of its names. -SkipTlsVerify turns verification off for test clusters only.",
                        CertificateProblem.Usage => "The server presents a certificate that is not a serving certificate: check the API server's --tls-cert-file (or what answers at this address).",
                        _ => "Give the cluster's CA (certificate-authority-data in the kubeconfig, or -CertificateAuthority). -SkipTlsVerify turns verification off for test clusters only.",
                    },
                };
            }

            if (inner is AuthenticationException)
            {
                return new KubeApiException(
                    "TlsVerificationFailed",
                    FailureCategory.SecurityError,
                    server,
                    $"The TLS connection to {server} (context '{context}') failed: {ClusterConnector.Describe(inner)}",
                    null,
                    null,
                    null,
                    ex)
                {
                    RecommendedAction = "Check that the server URL is the API server's HTTPS address. -SkipTlsVerify turns certificate verification off for test clusters only.",
                };
            }

            if (inner is SocketException socket)
            {
                if (socket.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    return new KubeApiException("ConnectionReset", FailureCategory.ConnectionError, server, $"The connection to {server} (context '{context}') was reset during {exchange.Describe()}.", null, null, null, ex);
                }

                return new KubeApiException("ClusterUnreachable", FailureCategory.ConnectionError, server, $"The API server {server} (context '{context}') cannot be reached: {socket.Message}", null, null, null, ex);
            }

            if (inner is IOException && inner.InnerException is null)
            {
                return new KubeApiException("ConnectionReset", FailureCategory.ConnectionError, server, $"The connection to {server} (context '{context}') was closed during {exchange.Describe()}.", null, null, null, ex);
            }
        }

        return new KubeApiException("ClusterUnreachable", FailureCategory.ConnectionError, server, $"The API server {server} (context '{context}') cannot be reached: {ClusterConnector.Describe(ex)}", null, null, null, ex);
    }
}

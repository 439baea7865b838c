using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Connection;
using k8s;

namespace HostNetAudit.Engine.Api;

/// <summary>
/// Sends API requests through KubernetesClient's pipeline (its authentication, client certificates and socket
/// handler) with the module's handlers in it: <see cref="RetryHandler"/> (bounded retries of transient faults, one
/// backoff gate per cluster), <see cref="RequestLogHandler"/> (one verbose line per attempt, counts) and
/// <see cref="TimeoutHandler"/> (a timeout over headers and body); TLS is verified by
/// <see cref="ServerCertificateVerifier"/> for the server URL's host or the kubeconfig's tls-server-name
/// (<see cref="TlsServerNameHandler"/> sends that name as SNI). Errors are mapped to stable IDs. Headers (tokens)
/// are never logged.
/// </summary>
internal sealed class KubeApiClient : IDisposable
{
    /// <summary>
    /// Requests in flight to one cluster at most: an audit's first round is about 16 lists, and the Fix's check of a
    /// few namespaces 8 lists each, which should go out in one round. HTTP/2 servers allow far more streams (Go's
    /// default, which the apiserver keeps unless told otherwise, is 250 per connection); API Priority and Fairness
    /// queues the rest on the server.
    /// </summary>
    public const int MaxConcurrentRequests = 32;

    private readonly Kubernetes client;
    private readonly IEngineLog log;
    private readonly Uri baseUri;
    private readonly RequestLogHandler requestLog;
    private readonly bool allowInsecureTokenTransport;
    private readonly bool skipTlsVerify;

    // The independent lists of one audit go out together, but a cluster is never sent more than this many at once.
    private readonly SemaphoreSlim inFlight = new(MaxConcurrentRequests, MaxConcurrentRequests);
    private int warned;

    public KubeApiClient(KubernetesClientConfiguration configuration, string context, IEngineLog log, TimeSpan timeout, RetryPolicy? retry = null, string? userAgent = null, bool allowInsecureTokenTransport = false)
    {
        Context = context;
        UserAgent = string.IsNullOrEmpty(userAgent) ? "HostNetAudit" : userAgent!;
        this.log = log;
        this.allowInsecureTokenTransport = allowInsecureTokenTransport;
        Retry = retry ?? RetryPolicy.Default;
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan; // the timeout handler covers each attempt, body included
        if (!Uri.TryCreate(configuration.Host, UriKind.Absolute, out var url))
        {
            throw new HostNetAuditException("KubeConfigInvalid", FailureCategory.InvalidData, context, $"The connection settings of '{context}' cannot be used: the server URL '{configuration.Host}' is not an absolute URL.");
        }

        Server = url.GetLeftPart(UriPartial.Authority);
        HasCredentials = !string.IsNullOrEmpty(configuration.AccessToken) || configuration.TokenProvider is not null || !string.IsNullOrEmpty(configuration.Username);
        var https = url.Scheme == Uri.UriSchemeHttps;
        skipTlsVerify = configuration.SkipTlsVerify && https;
        var urlHost = TlsServerNameHandler.HostOf(url);
        var serverName = string.IsNullOrEmpty(configuration.TlsServerName) ? urlHost : configuration.TlsServerName!;
        var ownServerName = https && !string.Equals(serverName, urlHost, StringComparison.OrdinalIgnoreCase);

        requestLog = new RequestLogHandler(log, context, timeout);
        var handlers = new List<DelegatingHandler>
        {
            new RetryHandler(Retry, new BackoffGate(), log, context),
            requestLog,
            new TimeoutHandler(timeout, ConnectTimeout(timeout), Server, context),
        };
        if (ownServerName)
        {
            handlers.Add(new TlsServerNameHandler());
        }

        SocketsHttpHandler? sockets = null;
        configuration.FirstMessageHandlerSetup = handler => sockets = handler as SocketsHttpHandler;
        try
        {
            client = new Kubernetes(configuration, handlers.ToArray());
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or System.Security.Cryptography.CryptographicException or IOException or k8s.Exceptions.KubeConfigException)
        {
            throw new HostNetAuditException("KubeConfigInvalid", FailureCategory.InvalidData, context, $"The connection settings of '{context}' cannot be used: {ClusterConnector.Describe(ex)}", ex);
        }

        baseUri = client.BaseUri;
        if (sockets is not null)
        {
            sockets.ConnectTimeout = ConnectTimeout(timeout);
        }

        if (https)
        {
            // KubernetesClient's own check trusts any chain that ends at the CA, whatever name the certificate holds.
            var handler = sockets ?? throw new InvalidOperationException("KubernetesClient did not expose its socket handler.");
            RemoteCertificateValidationCallback validate = skipTlsVerify
                ? (_, _, _, _) => true
                : new ServerCertificateVerifier(configuration.SslCaCerts, serverName).Validate;
            handler.SslOptions.RemoteCertificateValidationCallback = validate;
            if (ownServerName)
            {
                TlsServerNameHandler.Configure(handler, serverName, validate);
            }
        }
    }

    public string Context { get; }

    /// <summary>
    /// How long a new connection's set-up (TCP and TLS) may take: half the request timeout (15 s by default), so a
    /// set-up that stalls is retried once on a new connection (<see cref="RetryHandler"/>) and the two attempts
    /// together still end near the request timeout a server that never answers would take.
    /// </summary>
    internal static TimeSpan ConnectTimeout(TimeSpan requestTimeout) =>
        requestTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromSeconds(15) : requestTimeout / 2;

    public string Server { get; }

    /// <summary>Sent with every request (the module version and the cmdlet).</summary>
    public string UserAgent { get; }

    public RetryPolicy Retry { get; }

    public bool HasCredentials { get; }

    /// <summary>Requests sent (each attempt counts).</summary>
    public long RequestCount => requestLog.Requests;

    public long BytesReceived => requestLog.Bytes;

    public async Task<ApiResponse> SendAsync(ApiRequest request, CancellationToken cancellationToken) =>
        (await SendCoreAsync<object>(request, null, cancellationToken).ConfigureAwait(false)).Buffered!;

    /// <summary>
    /// Sends and parses the JSON body as it streams in, into pooled buffers: a list page is never copied
    /// into a byte array of its own, so paging a large cluster does not churn the large-object heap.
    /// </summary>
    public async Task<JsonDocument> SendJsonAsync(ApiRequest request, CancellationToken cancellationToken) =>
        (await SendCoreAsync(request, (stream, token) => ParseJsonAsync(request, stream, token), cancellationToken).ConfigureAwait(false)).Parsed!;

    /// <summary>
    /// Sends a list request and reads the page into <paramref name="buffer"/>, where it stays valid until the
    /// buffer's next use (a paged listing reads every page into one buffer).
    /// </summary>
    public async Task<ListPage> SendPageAsync(ApiRequest request, PageBuffer buffer, int page, CancellationToken cancellationToken) =>
        (await SendCoreAsync(request, async (stream, token) => ReadPage(request, await buffer.ReadAsync(stream, token).ConfigureAwait(false), page), cancellationToken).ConfigureAwait(false)).Parsed!;

    private async Task<(ApiResponse? Buffered, T? Parsed)> SendCoreAsync<T>(ApiRequest request, Func<Stream, CancellationToken, Task<T>>? parse, CancellationToken cancellationToken)
        where T : class
    {
        CheckTransport();
        cancellationToken.ThrowIfCancellationRequested();
        await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SendOnceAsync(request, parse, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            inFlight.Release();
        }
    }

    private async Task<(ApiResponse? Buffered, T? Parsed)> SendOnceAsync<T>(ApiRequest request, Func<Stream, CancellationToken, Task<T>>? parse, CancellationToken cancellationToken)
        where T : class
    {
        T? parsed = null;
        var exchange = new ApiExchange(request, parse is null ? null : async (stream, token) => parsed = await parse(stream, token).ConfigureAwait(false));
        // HTTP/2 where the server offers it (every apiserver does, over TLS): concurrent requests share one
        // connection, so they cost no TCP and TLS set-up of their own. Plain HTTP stays HTTP/1.1.
        using var message = new HttpRequestMessage(request.Method, new Uri(baseUri, request.Path.TrimStart('/')))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        exchange.AttachTo(message);
        message.Headers.TryAddWithoutValidation("Accept", request.Accept);
        message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (request.Body is not null)
        {
            message.Content = new StringContent(request.Body, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(request.ContentType);
        }

        if (client.Credentials is not null)
        {
            await client.Credentials.ProcessHttpRequestAsync(message, cancellationToken).ConfigureAwait(false);
        }

        using var response = await client.HttpClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return parse is not null ? (null, parsed) : (new ApiResponse(response.StatusCode, exchange.Body, ParseWarnings(response.Headers)), null);
        }

        throw MapStatus(request, response.StatusCode, exchange.Body, exchange.Attempts);
    }

    private async Task<JsonDocument> ParseJsonAsync(ApiRequest request, Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw NotJson(request, ex);
        }
    }

    private ListPage ReadPage(ApiRequest request, ReadOnlyMemory<byte> bytes, int page)
    {
        try
        {
            return ListPage.Read(bytes, page);
        }
        catch (MalformedListException ex)
        {
            throw new KubeApiException("InvalidApiResponse", FailureCategory.InvalidData, request.Target, $"The API server {Server} (context '{Context}') answered the list of {request.Resource} ({PathOnly(request.Path)}) with {ex.Message}.", null, null, null);
        }
        catch (JsonException ex)
        {
            throw NotJson(request, ex);
        }
    }

    private KubeApiException NotJson(ApiRequest request, JsonException ex) =>
        new("InvalidApiResponse", FailureCategory.InvalidData, request.Target, $"The API server {Server} answered {request.Method} {PathOnly(request.Path)} with a body that is not JSON.", null, null, null, ex);

    public void Dispose()
    {
        client.Dispose();
        inFlight.Dispose();
    }

    /// <summary>
    /// Refuses to send credentials over plain HTTP unless the user allowed it (InsecureTokenTransport, before any
    /// byte leaves), and warns once per session about what is allowed but insecure.
    /// </summary>
    private void CheckTransport()
    {
        var plainHttp = HasCredentials && baseUri.Scheme == Uri.UriSchemeHttp;
        if (plainHttp && !allowInsecureTokenTransport)
        {
            throw new KubeApiException(
                "InsecureTokenTransport",
                FailureCategory.SecurityError,
                Server,
                $"Context '{Context}': the server {Server} is plain HTTP, so the credentials (a bearer token or password) would cross the network unencrypted. Refused; nothing was sent.",
                null,
                null,
                null)
            {
                RecommendedAction = "Use the server's https:// address with its certificate authority. For a test cluster only, pass -AllowInsecureTokenTransport to send the token anyway.",
            };
        }

        if ((plainHttp || skipTlsVerify) && Interlocked.Exchange(ref warned, 1) == 0)
        {
            log.Warning(plainHttp
                ? $"Context '{Context}': credentials are sent to {Server} over unencrypted HTTP (-AllowInsecureTokenTransport)."
                : $"Context '{Context}': TLS verification is off (-SkipTlsVerify or the kubeconfig's insecure-skip-tls-verify): the identity of {Server} is not checked, and whoever answers there receives the credentials.");
        }
    }

    private KubeApiException MapStatus(ApiRequest request, HttpStatusCode statusCode, byte[] body, int attempts)
    {
        string? reason = null;
        string? message = null;
        string? freshContinue = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object &&
                    meta.TryGetProperty("continue", out var c) && c.ValueKind == JsonValueKind.String)
                {
                    freshContinue = c.GetString();
                }
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 512)).Trim();
        }

        var code = (int)statusCode;
        var statusText = $"{code} {reason ?? statusCode.ToString()}";
        var detail = string.IsNullOrEmpty(message) ? statusText : message;
        var target = request.Target;
        return code switch
        {
            401 => new KubeApiException(
                "Unauthorized",
                FailureCategory.AuthenticationError,
                Context,
                $"The API server {Server} rejected the credentials of context '{Context}' (401 Unauthorized). The token may have expired or be wrong.",
                statusCode,
                reason,
                message),
            403 => new KubeApiException(
                request.Operation + "Forbidden",
                FailureCategory.PermissionDenied,
                target,
                $"{detail} (context '{Context}': RBAC must allow '{request.Verb}' on '{request.Resource}').",
                statusCode,
                reason,
                message),
            404 => new KubeApiException(request.Operation + "NotFound", FailureCategory.ObjectNotFound, target, $"{detail} (context '{Context}').", statusCode, reason, message),
            409 => new KubeApiException(request.Operation + "Conflict", FailureCategory.InvalidOperation, target, $"{detail} (context '{Context}').", statusCode, reason, message),
            410 => new KubeApiException(request.Operation + "Expired", FailureCategory.InvalidOperation, target, $"{detail} (context '{Context}').", statusCode, reason, message) { FreshContinue = freshContinue },
            422 => new KubeApiException(request.Operation + "Invalid", FailureCategory.InvalidData, target, $"{detail} (context '{Context}').", statusCode, reason, message),
            400 => new KubeApiException(request.Operation + "BadRequest", FailureCategory.InvalidArgument, target, $"{detail} (context '{Context}').", statusCode, reason, message),
            429 => new KubeApiException("TooManyRequests", FailureCategory.LimitsExceeded, target, $"The API server {Server} kept answering 429 Too Many Requests to {request.Method} {PathOnly(request.Path)} after {attempts} attempts.", statusCode, reason, message),
            >= 500 => new KubeApiException("ApiServerError", FailureCategory.ResourceUnavailable, target, $"The API server {Server} answered {request.Method} {PathOnly(request.Path)} with {statusText} after {attempts} attempts: {detail}", statusCode, reason, message),
            _ => new KubeApiException(request.Operation + "Failed", FailureCategory.NotSpecified, target, $"{request.Method} {PathOnly(request.Path)} failed with {statusText}: {detail}", statusCode, reason, message),
        };
    }

    private static IReadOnlyList<string> ParseWarnings(HttpResponseHeaders headers)
    {
        if (!headers.TryGetValues("Warning", out var values))
        {
            return Array.Empty<string>();
        }

        var result = new List<string>();
        foreach (var value in values)
        {
            result.AddRange(WarningHeader.Parse(value));
        }

        return result;
    }

    private static string PathOnly(string path) => ApiExchange.PathOnly(path);
}

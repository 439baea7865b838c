using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Connection;
using k8s;

namespace HostNetAudit.Engine.Api;

/// <summary>Retry settings for transient faults (429, 5xx, connection resets).</summary>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan MaxRetryAfter)
{
    public static readonly RetryPolicy Default = new(6, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
}

/// <summary>
/// Sends API requests with KubernetesClient's authentication and TLS, a timeout on every request,
/// bounded retries of transient faults, one verbose line per call, and errors mapped to stable IDs.
/// Headers (tokens) are never logged.
/// </summary>
internal sealed class KubeApiClient : IDisposable
{
    private readonly Kubernetes client;
    private readonly IEngineLog log;
    private readonly TimeSpan timeout;
    private readonly Uri baseUri;
    private long requests;
    private long bytesReceived;
    private int plainHttpWarned;

    public KubeApiClient(KubernetesClientConfiguration configuration, string context, IEngineLog log, TimeSpan timeout, RetryPolicy? retry = null, string? userAgent = null)
    {
        Context = context;
        UserAgent = string.IsNullOrEmpty(userAgent) ? "HostNetAudit" : userAgent!;
        this.log = log;
        this.timeout = timeout;
        Retry = retry ?? RetryPolicy.Default;
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan; // our own per-request timeout covers the body too
        try
        {
            client = new Kubernetes(configuration);
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new HostNetAuditException("KubeConfigInvalid", FailureCategory.InvalidData, context, $"The connection settings of '{context}' cannot be used: {ClusterConnector.Describe(ex)}", ex);
        }

        baseUri = client.BaseUri;
        Server = baseUri.GetLeftPart(UriPartial.Authority);
        HasCredentials = !string.IsNullOrEmpty(configuration.AccessToken) || configuration.TokenProvider is not null;
    }

    public string Context { get; }

    public string Server { get; }

    /// <summary>Sent with every request (the module version and the cmdlet).</summary>
    public string UserAgent { get; }

    public RetryPolicy Retry { get; }

    public bool HasCredentials { get; }

    /// <summary>Requests sent (each attempt counts).</summary>
    public long RequestCount => Interlocked.Read(ref requests);

    public long BytesReceived => Interlocked.Read(ref bytesReceived);

    public async Task<ApiResponse> SendAsync(ApiRequest request, CancellationToken cancellationToken) =>
        (await SendCoreAsync<object>(request, null, cancellationToken).ConfigureAwait(false)).Buffered!;

    /// <summary>
    /// Sends and parses the JSON body as it streams in, into pooled buffers: a list page is never copied
    /// into a byte array of its own, so paging a large cluster does not churn the large-object heap.
    /// </summary>
    public async Task<JsonDocument> SendJsonAsync(ApiRequest request, CancellationToken cancellationToken) =>
        (await SendCoreAsync(request, (stream, token) => ParseJsonAsync(request, stream, null, token), cancellationToken).ConfigureAwait(false)).Parsed!;

    /// <summary>
    /// Sends and parses the JSON body read into <paramref name="buffer"/>: the document refers to the buffer
    /// and is valid until the buffer's next use (a paged listing reads every page into one buffer).
    /// </summary>
    public async Task<JsonDocument> SendJsonAsync(ApiRequest request, PageBuffer buffer, CancellationToken cancellationToken) =>
        (await SendCoreAsync(request, (stream, token) => ParseJsonAsync(request, stream, buffer, token), cancellationToken).ConfigureAwait(false)).Parsed!;

    private async Task<(ApiResponse? Buffered, T? Parsed)> SendCoreAsync<T>(ApiRequest request, Func<Stream, CancellationToken, Task<T>>? parse, CancellationToken cancellationToken)
        where T : class
    {
        WarnPlainHttpOnce();
        var attempt = 0;
        while (true)
        {
            attempt++;
            cancellationToken.ThrowIfCancellationRequested();
            var stopwatch = Stopwatch.StartNew();
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            HttpResponseMessage? response = null;
            byte[] body = Array.Empty<byte>();
            T? parsed = null;
            long length;
            try
            {
                using var message = new HttpRequestMessage(request.Method, new Uri(baseUri, request.Path.TrimStart('/')));
                message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
                if (request.Body is not null)
                {
                    message.Content = new StringContent(request.Body, Encoding.UTF8);
                    message.Content.Headers.ContentType = new MediaTypeHeaderValue(request.ContentType);
                }

                if (client.Credentials is not null)
                {
                    await client.Credentials.ProcessHttpRequestAsync(message, timeoutSource.Token).ConfigureAwait(false);
                }

                Interlocked.Increment(ref requests);
                response = await client.HttpClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token).ConfigureAwait(false);
                if (parse is not null && response.IsSuccessStatusCode)
                {
                    var counting = new CountingStream(await response.Content.ReadAsStreamAsync(timeoutSource.Token).ConfigureAwait(false));
                    await using (counting.ConfigureAwait(false))
                    {
                        parsed = await parse(counting, timeoutSource.Token).ConfigureAwait(false);
                    }

                    length = counting.BytesRead;
                }
                else
                {
                    body = await response.Content.ReadAsByteArrayAsync(timeoutSource.Token).ConfigureAwait(false);
                    length = body.Length;
                }

                Interlocked.Add(ref bytesReceived, length);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                log.Verbose($"{Context}: {request.Method} {request.Path} -> timed out after {timeout.TotalSeconds:0} s");
                throw new KubeApiException(
                    "RequestTimeout",
                    FailureCategory.OperationTimeout,
                    request.Target,
                    $"The API server {Server} (context '{Context}') did not answer {request.Method} {PathOnly(request.Path)} within {timeout.TotalSeconds:0} s.",
                    null,
                    null,
                    null);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                // IOException: the connection broke while the body was streaming in.
                response?.Dispose();
                var failure = MapTransportFailure(ex, request);
                if (failure.ErrorId == "ConnectionReset" && attempt < Retry.MaxAttempts)
                {
                    var delay = Backoff(attempt);
                    log.Verbose($"{Context}: {request.Method} {request.Path} -> connection reset; retry {attempt}/{Retry.MaxAttempts - 1} in {delay.TotalMilliseconds:0} ms");
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                log.Verbose($"{Context}: {request.Method} {request.Path} -> {failure.ErrorId}");
                throw failure;
            }
            catch
            {
                response?.Dispose();
                throw;
            }

            using (response)
            {
                var warnings = ParseWarnings(response.Headers);
                var status = (int)response.StatusCode;
                log.Verbose($"{Context}: {request.Method} {request.Path} -> {status} {response.ReasonPhrase} ({stopwatch.ElapsedMilliseconds} ms, {FormatBytes(length)})");
                if (response.IsSuccessStatusCode)
                {
                    return parsed is not null ? (null, parsed) : (new ApiResponse(response.StatusCode, body, warnings), null);
                }

                var transient = status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
                if (transient && attempt < Retry.MaxAttempts)
                {
                    var delay = RetryDelay(response, attempt);
                    log.Verbose($"{Context}: retry {attempt}/{Retry.MaxAttempts - 1} of {request.Method} {PathOnly(request.Path)} in {delay.TotalMilliseconds:0} ms");
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw MapStatus(request, response.StatusCode, body, attempt);
            }
        }
    }

    private async Task<JsonDocument> ParseJsonAsync(ApiRequest request, Stream stream, PageBuffer? buffer, CancellationToken cancellationToken)
    {
        try
        {
            return buffer is null
                ? await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false)
                : JsonDocument.Parse(await buffer.ReadAsync(stream, cancellationToken).ConfigureAwait(false));
        }
        catch (JsonException ex)
        {
            throw new KubeApiException("InvalidApiResponse", FailureCategory.InvalidData, request.Target, $"The API server {Server} answered {request.Method} {PathOnly(request.Path)} with a body that is not JSON.", null, null, null, ex);
        }
    }

    public void Dispose() => client.Dispose();

    private void WarnPlainHttpOnce()
    {
        if (HasCredentials && baseUri.Scheme == Uri.UriSchemeHttp && Interlocked.Exchange(ref plainHttpWarned, 1) == 0)
        {
            log.Warning($"Context '{Context}': credentials are sent to {Server} over unencrypted HTTP.");
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var milliseconds = Retry.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        return TimeSpan.FromMilliseconds(Math.Min(milliseconds, Retry.MaxDelay.TotalMilliseconds));
    }

    private TimeSpan RetryDelay(HttpResponseMessage response, int attempt)
    {
        var retryAfter = response.Headers.RetryAfter;
        TimeSpan? requested = null;
        if (retryAfter?.Delta is { } delta)
        {
            requested = delta;
        }
        else if (retryAfter?.Date is { } date)
        {
            requested = date - DateTimeOffset.UtcNow;
        }

        if (requested is { } value && value > TimeSpan.Zero)
        {
            return value > Retry.MaxRetryAfter ? Retry.MaxRetryAfter : value;
        }

        return Backoff(attempt);
    }

    private KubeApiException MapTransportFailure(Exception ex, ApiRequest request)
    {
        var target = Server;
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return new KubeApiException(
                    "TlsVerificationFailed",
                    FailureCategory.SecurityError,
                    target,
                    $"The TLS certificate of {Server} (context '{Context}') could not be verified: {ClusterConnector.Describe(inner)}",
                    null,
                    null,
                    null,
                    ex)
                {
                    RecommendedAction = "Give the cluster's CA (certificate-authority-data in the kubeconfig, or -CertificateAuthority). -SkipTlsVerify turns verification off for test clusters only.",
                };
            }

            if (inner is SocketException socket)
            {
                if (socket.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    return new KubeApiException("ConnectionReset", FailureCategory.ConnectionError, target, $"The connection to {Server} (context '{Context}') was reset during {request.Method} {PathOnly(request.Path)}.", null, null, null, ex);
                }

                return new KubeApiException("ClusterUnreachable", FailureCategory.ConnectionError, target, $"The API server {Server} (context '{Context}') cannot be reached: {socket.Message}", null, null, null, ex);
            }

            if (inner is IOException && inner.InnerException is null)
            {
                return new KubeApiException("ConnectionReset", FailureCategory.ConnectionError, target, $"The connection to {Server} (context '{Context}') was closed during {request.Method} {PathOnly(request.Path)}.", null, null, null, ex);
            }
        }

        return new KubeApiException("ClusterUnreachable", FailureCategory.ConnectionError, target, $"The API server {Server} (context '{Context}') cannot be reached: {ClusterConnector.Describe(ex)}", null, null, null, ex);
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

    private static string PathOnly(string path)
    {
        var query = path.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? path : path[..query];
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / 1024.0 / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };
}

using System.Diagnostics;
using System.Globalization;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Engine.Api;

/// <summary>
/// One verbose line per attempt (status, time, body size, or the error ID that ended it) and the session's
/// counts of requests and bytes. Only the method and path are logged: never a header (the token is one).
/// </summary>
internal sealed class RequestLogHandler : DelegatingHandler
{
    private readonly IEngineLog log;
    private readonly string context;
    private readonly TimeSpan timeout;
    private long requests;
    private long bytes;

    public RequestLogHandler(IEngineLog log, string context, TimeSpan timeout)
    {
        this.log = log;
        this.context = context;
        this.timeout = timeout;
    }

    /// <summary>Attempts sent.</summary>
    public long Requests => Interlocked.Read(ref requests);

    /// <summary>Bytes of the answers' bodies.</summary>
    public long Bytes => Interlocked.Read(ref bytes);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var exchange = ApiExchange.Of(request);
        var line = $"{context}: {exchange.Request.Method} {exchange.Request.Path}";
        var stopwatch = Stopwatch.StartNew();
        Interlocked.Increment(ref requests);
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref bytes, exchange.BodyBytes);
            log.Verbose($"{line} -> {(int)response.StatusCode} {response.ReasonPhrase} ({stopwatch.ElapsedMilliseconds} ms, {FormatBytes(exchange.BodyBytes)})");
            return response;
        }
        catch (KubeApiException ex)
        {
            log.Verbose(ex.ErrorId == "RequestTimeout" ? $"{line} -> timed out after {timeout.TotalSeconds:0} s" : $"{line} -> {ex.ErrorId}");
            throw;
        }
    }

    private static string FormatBytes(long count) => count switch
    {
        < 1024 => count.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (count / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (count / 1024.0 / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };
}

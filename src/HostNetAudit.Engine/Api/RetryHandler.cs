using System.Diagnostics;
using System.Net;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Engine.Api;

/// <summary>Retry settings for transient faults (429, 5xx, connection resets).</summary>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan MaxRetryAfter)
{
    public static readonly RetryPolicy Default = new(6, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));

    /// <summary>Exponential backoff from <see cref="BaseDelay"/>, capped at <see cref="MaxDelay"/>.</summary>
    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1), MaxDelay.TotalMilliseconds));
}

/// <summary>
/// The pause a cluster asked for. A 429 with Retry-After says the API server is overloaded, not that one request
/// was unlucky: every request to that cluster waits until the pause ends before its next attempt, not only the
/// one that was refused. One gate per session (per cluster).
/// </summary>
internal sealed class BackoffGate
{
    private long reopensAt; // Stopwatch timestamp

    /// <summary>Holds every later attempt back for <paramref name="delay"/> from now (a longer hold wins).</summary>
    public void Hold(TimeSpan delay)
    {
        var until = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        long current;
        do
        {
            current = Interlocked.Read(ref reopensAt);
            if (current >= until)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref reopensAt, until, current) != current);
    }

    /// <summary>Completes when the gate is open.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Interlocked.Read(ref reopensAt));
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Retries what is transient, a bounded number of times: 429 (after its Retry-After, which holds the whole
/// cluster's requests through the <see cref="BackoffGate"/>), 500/502/503/504 (after Retry-After or an
/// exponential backoff), reset connections and connections not set up in time (nothing was sent). The last answer or
/// failure is returned as it came.
/// </summary>
internal sealed class RetryHandler : DelegatingHandler
{
    private readonly RetryPolicy policy;
    private readonly BackoffGate gate;
    private readonly IEngineLog log;
    private readonly string context;

    public RetryHandler(RetryPolicy policy, BackoffGate gate, IEngineLog log, string context)
    {
        this.policy = policy;
        this.gate = gate;
        this.log = log;
        this.context = context;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var exchange = ApiExchange.Of(request);
        for (var attempt = 1; ; attempt++)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            exchange.Attempts = attempt;
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when ((ex.ErrorId == "ConnectionReset" || (ex.NotSent && attempt == 1)) && attempt < policy.MaxAttempts)
            {
                var backoff = policy.Backoff(attempt);
                log.Verbose($"{context}: retry {attempt}/{policy.MaxAttempts - 1} of {exchange.Describe()} in {backoff.TotalMilliseconds:0} ms ({(ex.NotSent ? "connection not set up in time" : "connection reset")})");
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var status = (int)response.StatusCode;
            if (status is not (429 or 500 or 502 or 503 or 504) || attempt >= policy.MaxAttempts)
            {
                return response;
            }

            var asked = RetryAfter(response);
            response.Dispose();
            var delay = asked ?? policy.Backoff(attempt);
            var holdsCluster = asked is not null && status == (int)HttpStatusCode.TooManyRequests;
            if (holdsCluster)
            {
                gate.Hold(delay);
            }

            log.Verbose($"{context}: retry {attempt}/{policy.MaxAttempts - 1} of {exchange.Describe()} in {delay.TotalMilliseconds:0} ms{(holdsCluster ? " (the server asked: every request to it waits)" : string.Empty)}");
            if (!holdsCluster)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The server's Retry-After (seconds or a date), capped; null when it gave none.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var requested = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (requested is not { } value || value <= TimeSpan.Zero)
        {
            return null;
        }

        return value > policy.MaxRetryAfter ? policy.MaxRetryAfter : value;
    }
}

using System.Collections.Concurrent;

namespace HostNetAudit.Simulator.Infrastructure;

/// <summary>What a fault does.</summary>
public enum FaultKind
{
    /// <summary>Answer with Status (a metav1.Status body; 429 gets the plain-text body of the apiserver's throttling filter).</summary>
    Status,

    /// <summary>410 Expired on a request with a continue token, offering a fresh token.</summary>
    Expired,

    /// <summary>Abort the connection (the client sees a reset).</summary>
    Reset,

    /// <summary>Delay the answer.</summary>
    Latency,

    /// <summary>Answer StatusCode (set it: 200 for a malformed success) with <see cref="FaultRule.Body"/> as a JSON body, in place of the cluster's.</summary>
    Body,
}

/// <summary>A fault injected into matching requests.</summary>
public sealed class FaultRule
{
    public FaultKind Kind { get; set; } = FaultKind.Status;

    /// <summary>HTTP method to match (null = any).</summary>
    public string? Method { get; set; }

    /// <summary>Kubernetes verb to match (list, get, patch, create ...; null = any).</summary>
    public string? Verb { get; set; }

    /// <summary>Resource to match (pods, namespaces ...; null = any).</summary>
    public string? Resource { get; set; }

    /// <summary>Request path must contain this (null = any).</summary>
    public string? PathContains { get; set; }

    /// <summary>Only requests carrying a continue token.</summary>
    public bool OnlyWithContinue { get; set; }

    /// <summary>Let this many matching requests through before firing.</summary>
    public int Skip { get; set; }

    /// <summary>Fire this many times (0 = every time).</summary>
    public int Times { get; set; } = 1;

    /// <summary>Fire on every Nth matching request after Skip (1 = each one).</summary>
    public int Every { get; set; } = 1;

    public int StatusCode { get; set; } = 500;

    public int RetryAfterSeconds { get; set; }

    public int LatencyMilliseconds { get; set; }

    /// <summary>The body a Body fault answers with, sent as it is (it need not be valid JSON).</summary>
    public string? Body { get; set; }

    internal int Seen;
    internal int Fired;

    public string Describe() => Kind switch
    {
        FaultKind.Status => $"status {StatusCode}",
        FaultKind.Expired => "410 expired",
        FaultKind.Reset => "connection reset",
        FaultKind.Latency => $"latency {LatencyMilliseconds} ms",
        FaultKind.Body => $"body replaced ({StatusCode})",
        _ => Kind.ToString(),
    };
}

/// <summary>The active fault rules.</summary>
public sealed class FaultInjector
{
    private readonly ConcurrentQueue<FaultRule> rules = new();

    public void Add(FaultRule rule) => rules.Enqueue(rule);

    public void Clear() => rules.Clear();

    public IReadOnlyList<FaultRule> Rules => rules.ToList();

    /// <summary>The faults that fire for this request (latency may combine with one other fault).</summary>
    public List<FaultRule> Match(string method, string path, string? verb, string? resource, bool hasContinue)
    {
        var fired = new List<FaultRule>();
        foreach (var rule in rules)
        {
            if ((rule.Method is not null && !string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase)) ||
                (rule.Verb is not null && !string.Equals(rule.Verb, verb, StringComparison.Ordinal)) ||
                (rule.Resource is not null && !string.Equals(rule.Resource, resource, StringComparison.Ordinal)) ||
                (rule.PathContains is not null && !path.Contains(rule.PathContains, StringComparison.Ordinal)) ||
                ((rule.OnlyWithContinue || rule.Kind == FaultKind.Expired) && !hasContinue))
            {
                continue;
            }

            lock (rule)
            {
                var seen = ++rule.Seen;
                if (seen <= rule.Skip || (rule.Times > 0 && rule.Fired >= rule.Times) || (seen - rule.Skip - 1) % Math.Max(1, rule.Every) != 0)
                {
                    continue;
                }

                rule.Fired++;
            }

            fired.Add(rule);
        }

        return fired;
    }
}

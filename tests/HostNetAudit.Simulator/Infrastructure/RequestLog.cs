using System.Collections.Concurrent;

namespace HostNetAudit.Simulator.Infrastructure;

/// <summary>One request the simulated apiserver received, as tests assert on it.</summary>
public sealed class RequestRecord
{
    public long Sequence { get; init; }

    public DateTimeOffset Time { get; init; }

    public string Method { get; init; } = string.Empty;

    public string Path { get; init; } = string.Empty;

    public string Query { get; init; } = string.Empty;

    /// <summary>Kubernetes verb: get, list, watch, create, update, patch, delete; null for discovery and /_sim.</summary>
    public string? Verb { get; set; }

    public string? Group { get; set; }

    public string? Resource { get; set; }

    public string? Namespace { get; set; }

    public string? Name { get; set; }

    /// <summary>The subresource (ephemeralcontainers, status), or null.</summary>
    public string? Subresource { get; set; }

    public bool DryRun { get; set; }

    /// <summary>The user the request acts as (after impersonation).</summary>
    public string? User { get; set; }

    /// <summary>That user's groups.</summary>
    public IReadOnlyList<string>? Groups { get; set; }

    /// <summary>The authenticated user who impersonated <see cref="User"/>, or null.</summary>
    public string? ImpersonatedBy { get; set; }

    /// <summary>Audit annotations admission added (a ValidatingAdmissionPolicy binding with the Audit action).</summary>
    public Dictionary<string, string>? AuditAnnotations { get; set; }

    public string? ContentType { get; init; }

    /// <summary>The client's User-Agent (the module sends "HostNetAudit/&lt;version&gt; (&lt;cmdlet&gt;)").</summary>
    public string? UserAgent { get; set; }

    /// <summary>The HTTP Host header.</summary>
    public string? Host { get; set; }

    /// <summary>The TLS server name (SNI) the client sent; null over plain HTTP or when it sent none (an IP address).</summary>
    public string? TlsServerName { get; set; }

    /// <summary>The body of mutating requests.</summary>
    public string? Body { get; set; }

    public int Status { get; set; }

    /// <summary>A fault that answered this request instead of the cluster, if any.</summary>
    public string? Fault { get; set; }

    public long ResponseBytes { get; set; }

    /// <summary>A mutating request without dryRun=All.</summary>
    public bool IsWrite => Verb is "create" or "update" or "patch" or "delete" or "deletecollection" && !DryRun;
}

/// <summary>Everything the server received, in order.</summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<RequestRecord> records = new();
    private long sequence;

    public RequestRecord Start(string method, string path, string query, string? contentType) =>
        new()
        {
            Sequence = Interlocked.Increment(ref sequence),
            Time = DateTimeOffset.UtcNow,
            Method = method,
            Path = path,
            Query = query,
            ContentType = contentType,
        };

    public void Add(RequestRecord record) => records.Enqueue(record);

    public IReadOnlyList<RequestRecord> All => records.OrderBy(r => r.Sequence).ToList();

    public void Clear() => records.Clear();
}

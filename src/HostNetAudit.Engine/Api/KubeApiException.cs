using System.Net;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Engine.Api;

/// <summary>An API request that failed, with the apiserver's Status details.</summary>
internal sealed class KubeApiException : HostNetAuditException
{
    public KubeApiException(string errorId, FailureCategory category, object? target, string message, HttpStatusCode? statusCode, string? reason, string? statusMessage, Exception? inner = null)
        : base(errorId, category, target, message, inner)
    {
        StatusCode = statusCode;
        Reason = reason;
        StatusMessage = statusMessage;
    }

    /// <summary>The HTTP status, or null when no response arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Status.reason (Forbidden, NotFound, Expired, Invalid, Conflict, ...).</summary>
    public string? Reason { get; }

    /// <summary>Status.message as the apiserver wrote it.</summary>
    public string? StatusMessage { get; }

    /// <summary>
    /// True when the request never left: its connection was not set up in time. Retried like a reset, whatever the
    /// method, since the server saw nothing.
    /// </summary>
    public bool NotSent { get; init; }

    /// <summary>The continue token a 410 Expired Status offers.</summary>
    public string? FreshContinue { get; init; }
}

namespace HostNetAudit.Abstractions;

/// <summary>
/// The kind of failure, named like PowerShell's ErrorCategory members so the cmdlet layer maps it by name.
/// The engine never references System.Management.Automation.
/// </summary>
public enum FailureCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    ReadError,
    WriteError,
    PermissionDenied,
    AuthenticationError,
    SecurityError,
    ConnectionError,
    OperationTimeout,
    ResourceUnavailable,
    LimitsExceeded,
    ResourceExists,
    OperationStopped,
}

/// <summary>
/// A failure the user can act on: a stable PascalCase error ID, a category, the real target (a context,
/// namespace, file path) and a message without secrets or stack traces.
/// </summary>
public class HostNetAuditException : Exception
{
    public HostNetAuditException(string errorId, FailureCategory category, object? target, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public HostNetAuditException()
        : this("Unknown", FailureCategory.NotSpecified, null, "Unknown error.")
    {
    }

    public HostNetAuditException(string message)
        : this("Unknown", FailureCategory.NotSpecified, null, message)
    {
    }

    public HostNetAuditException(string message, Exception innerException)
        : this("Unknown", FailureCategory.NotSpecified, null, message, innerException)
    {
    }

    /// <summary>Stable error ID; scripts and tests match FullyQualifiedErrorId on it.</summary>
    public string ErrorId { get; }

    public FailureCategory Category { get; }

    /// <summary>The object the failure is about (never the cmdlet).</summary>
    public object? Target { get; }

    /// <summary>An optional recommended action shown in ErrorDetails.</summary>
    public string? RecommendedAction { get; init; }
}

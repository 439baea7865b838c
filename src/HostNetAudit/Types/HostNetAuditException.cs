using HostNetAudit.Abstractions;

namespace HostNetAudit;

/// <summary>
/// A failure the user can act on: a stable PascalCase error ID, a category, the real target (a context,
/// namespace, file path) and a message without secrets or stack traces. Every error record the module writes
/// carries one as its exception, so scripts can catch it by type; they match FullyQualifiedErrorId on the ID.
/// </summary>
public class HostNetAuditException : Exception
{
    internal HostNetAuditException(string errorId, FailureCategory category, object? target, string message, Exception? innerException = null)
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

    /// <summary>The error record's category (its CategoryInfo shows it to users).</summary>
    internal FailureCategory Category { get; }

    /// <summary>The object the failure is about (never the cmdlet).</summary>
    public object? Target { get; }

    /// <summary>An optional recommended action shown in ErrorDetails.</summary>
    public string? RecommendedAction { get; init; }
}

using System.Management.Automation;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>Turns engine failures into ErrorRecords: stable ID, mapped category, real target.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(HostNetAuditException error)
    {
        var category = Enum.TryParse<ErrorCategory>(error.Category.ToString(), out var parsed) ? parsed : ErrorCategory.NotSpecified;
        var record = new ErrorRecord(error, error.ErrorId, category, error.Target);
        if (error.RecommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(error.Message) { RecommendedAction = error.RecommendedAction };
        }

        return record;
    }

    public static ErrorRecord Create(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null) =>
        new(new HostNetAuditException(errorId, Enum.TryParse<FailureCategory>(category.ToString(), out var c) ? c : FailureCategory.NotSpecified, target, message, inner), errorId, category, target);
}

namespace HostNetAudit.Abstractions;

/// <summary>
/// The kind of failure, named like PowerShell's ErrorCategory members so the cmdlet layer maps it by name.
/// The engine never references System.Management.Automation.
/// </summary>
internal enum FailureCategory
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

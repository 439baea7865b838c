using System.Globalization;
using System.Management.Automation;

namespace HostNetAudit.Internal;

/// <summary>
/// Accepts a record's timestamp however it travelled: a DateTimeOffset or DateTime, ISO 8601 text, or the property bag
/// Import-Clixml makes of a DateTimeOffset (Deserialized.System.DateTimeOffset), which PowerShell cannot convert on its
/// own; without this, a record read back from Clixml would bind no timestamp and undo its changes in the wrong order.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class TimestampTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (inputData is PSObject { BaseObject: PSCustomObject } bag && bag.Properties["UtcDateTime"]?.Value is DateTime utc)
        {
            return new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
        }

        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case DateTimeOffset offset:
                return offset;
            case DateTime time:
                return time.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(time, TimeSpan.Zero) : new DateTimeOffset(time);
            case string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed):
                return parsed;
            default:
                throw new ArgumentTransformationMetadataException($"'{inputData}' is not a timestamp.");
        }
    }
}

using System.Text.Json;

namespace HostNetAudit.Engine.Policy;

/// <summary>JSON helpers the policy evaluators share.</summary>
internal static class PolicyJson
{
    /// <summary>The raw JSON of a present element, else "".</summary>
    public static string GetRawTextOrEmpty(this JsonElement element) =>
        element.ValueKind is JsonValueKind.Undefined ? string.Empty : element.GetRawText();
}

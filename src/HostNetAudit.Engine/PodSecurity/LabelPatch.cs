using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Engine.PodSecurity;

/// <summary>
/// The JSON patch (RFC 6902) that turns a namespace's pod-security labels into the desired ones and touches
/// nothing else: a test of the resourceVersion and of every pod-security label as read, so that any
/// concurrent change makes the apiserver refuse the patch instead of overwriting it, then add, replace
/// or remove operations for the labels that differ.
/// </summary>
internal static class LabelPatch
{
    public const string ContentType = "application/json-patch+json";

    public static string Build(
        bool hasLabelsObject,
        IReadOnlyDictionary<string, string> currentPsa,
        IReadOnlyDictionary<string, string> desiredPsa,
        string? resourceVersion)
    {
        var operations = new JsonArray();
        if (resourceVersion is not null)
        {
            operations.Add(Op("test", "/metadata/resourceVersion", resourceVersion));
        }

        foreach (var (key, value) in currentPsa.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            operations.Add(Op("test", LabelPath(key), value));
        }

        if (!hasLabelsObject)
        {
            operations.Add(new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = new JsonObject() });
        }

        foreach (var key in currentPsa.Keys.Union(desiredPsa.Keys).Distinct(StringComparer.Ordinal).OrderBy(k => k, StringComparer.Ordinal))
        {
            var had = currentPsa.TryGetValue(key, out var before);
            var wants = desiredPsa.TryGetValue(key, out var after);
            if (had && wants && string.Equals(before, after, StringComparison.Ordinal))
            {
                continue;
            }

            if (!wants)
            {
                operations.Add(new JsonObject { ["op"] = "remove", ["path"] = LabelPath(key) });
            }
            else
            {
                operations.Add(Op(had ? "replace" : "add", LabelPath(key), after!));
            }
        }

        return operations.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>JSON pointer to a label: "/" in the key is written "~1" (and "~" "~0").</summary>
    public static string LabelPath(string key) => "/metadata/labels/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static JsonObject Op(string op, string path, string value) => new() { ["op"] = op, ["path"] = path, ["value"] = value };
}

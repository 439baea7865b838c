using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;
using Xunit;

namespace HostNetAudit.Tests.Support;

/// <summary>
/// The policy report CRDs of ../shared/schemas/policyreport (PROVENANCE.md beside them), read in place: the
/// simulator serves them, and the report tests validate against their <c>openAPIV3Schema</c>. Tests that need them
/// are <see cref="PolicyReportFactAttribute"/>s, skipped where they are absent.
/// </summary>
internal static class PolicyReportSchemas
{
    private static readonly Lazy<Dictionary<string, JsonNode>> Schemas = new(Load);

    public static string? Path { get; } = Find();

    /// <summary>The openAPIV3Schema the CRD of an apiVersion and kind declares.</summary>
    public static JsonNode For(string apiVersion, string kind)
    {
        Assert.True(Schemas.Value.TryGetValue(apiVersion + "/" + kind, out var schema), $"no CRD for {apiVersion} {kind} in {Path}");
        return schema!;
    }

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "schemas", "policyreport");
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "HostNetAudit.slnx")))
            {
                return Directory.Exists(candidate) ? System.IO.Path.GetFullPath(candidate) : null;
            }
        }

        return null;
    }

    private static Dictionary<string, JsonNode> Load()
    {
        var result = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path!, "*.yaml"))
        {
            foreach (var document in YamlDocuments.Read(File.ReadAllText(file)))
            {
                if (document.Node?["spec"] is not JsonObject spec)
                {
                    continue;
                }

                foreach (var version in spec["versions"]!.AsArray())
                {
                    result[$"{spec["group"]}/{version!["name"]}/{spec["names"]!["kind"]}"] = version["schema"]!["openAPIV3Schema"]!;
                }
            }
        }

        return result;
    }
}

/// <summary>A test that needs the policy report CRDs: skipped, with the reason, where they are absent.</summary>
public sealed class PolicyReportFactAttribute : FactAttribute
{
    public PolicyReportFactAttribute()
    {
        if (PolicyReportSchemas.Path is null)
        {
            Skip = "The policy report CRDs (../shared/schemas/policyreport) are absent.";
        }
    }
}

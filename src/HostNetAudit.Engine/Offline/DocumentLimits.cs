using System.Text.Json;

namespace HostNetAudit.Engine.Offline;

/// <summary>
/// The bounds every file the user names is read within (evidence, exemptions, AdmissionConfiguration), so a
/// hostile or broken file costs a clear error, never the whole command, the machine's memory or a hang.
/// </summary>
internal static class DocumentLimits
{
    /// <summary>Files larger than this are refused (kubectl exports of whole large clusters: export per namespace or kind).</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Nesting of mappings and sequences, YAML and JSON alike: System.Text.Json's own default, which every
    /// later step of the engine keeps.</summary>
    public const int MaxDepth = 64;

    // Alias expansion, bounded the way Kubernetes' YAML reader (go-yaml) bounds it: past a small document, the share of
    // nodes that come from expanding aliases may not exceed a ratio that shrinks as the document grows, from 99% of
    // 400,000 nodes down to 10% from 4,000,000 on. A few-hundred-byte "billion laughs" file is refused after a few
    // thousand nodes; real manifests, whose anchors are reused a handful of times, never come near.
    private const long AliasFreeNodes = 1000;
    private const long AliasFreeAliased = 100;
    private const long RatioFullUntil = 400_000;
    private const long RatioSmallFrom = 4_000_000;

    public static readonly JsonSerializerOptions SerializerOptions = new() { MaxDepth = MaxDepth };

    public static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = MaxDepth,
    };

    /// <summary>The largest share of <paramref name="decoded"/> nodes that may come from alias expansion.</summary>
    public static double AllowedAliasShare(long decoded) => decoded switch
    {
        <= RatioFullUntil => 0.99,
        >= RatioSmallFrom => 0.10,
        _ => 0.99 - (0.89 * (decoded - RatioFullUntil) / (RatioSmallFrom - RatioFullUntil)),
    };

    /// <summary>True when <paramref name="aliased"/> of <paramref name="decoded"/> nodes is more aliasing than allowed.</summary>
    public static bool IsExcessiveAliasing(long decoded, long aliased) =>
        aliased > AliasFreeAliased && decoded > AliasFreeNodes && (double)aliased / decoded > AllowedAliasShare(decoded);

    /// <summary>A YAML document's tree as the JSON the engine reads, or null with the <paramref name="problem"/>.</summary>
    public static JsonElement? ToElement(System.Text.Json.Nodes.JsonNode node, out string? problem)
    {
        JsonElement element;
        try
        {
            element = JsonSerializer.SerializeToElement(node, SerializerOptions);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException)
        {
            // A lone surrogate from a "\ud800" escape cannot be written as JSON text.
            problem = "it holds text that is not valid UTF-16 (a lone surrogate escape?)";
            return null;
        }

        problem = Problem(element, refuseDuplicateNames: false);
        return problem is null ? element : null;
    }

    /// <summary>
    /// What System.Text.Json accepts but the engine cannot use, found once at reading instead of as a crash later:
    /// a string or name with a lone UTF-16 surrogate escape (\ud800), and, for configuration files, a name given
    /// twice in one object (the last would silently win). Null when the element is fine.
    /// </summary>
    public static string? Problem(JsonElement element, bool refuseDuplicateNames)
    {
        var pending = new Stack<(JsonElement Element, string Path)>();
        pending.Push((element, "$"));
        while (pending.Count > 0)
        {
            var (current, path) = pending.Pop();
            switch (current.ValueKind)
            {
                case JsonValueKind.Object:
                    var names = refuseDuplicateNames ? new HashSet<string>(StringComparer.Ordinal) : null;
                    foreach (var property in current.EnumerateObject())
                    {
                        string name;
                        try
                        {
                            name = property.Name;
                        }
                        catch (InvalidOperationException)
                        {
                            return $"a field name under {path} holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text";
                        }

                        if (names is not null && !names.Add(name))
                        {
                            return $"{path}.{name} is given twice";
                        }

                        pending.Push((property.Value, path + "." + name));
                    }

                    break;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in current.EnumerateArray())
                    {
                        pending.Push((item, $"{path}[{index++}]"));
                    }

                    break;
                case JsonValueKind.String:
                    try
                    {
                        _ = current.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        return $"the string at {path} holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text";
                    }

                    break;
            }
        }

        return null;
    }
}

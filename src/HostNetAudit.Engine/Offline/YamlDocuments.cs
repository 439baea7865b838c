using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace HostNetAudit.Engine.Offline;

/// <summary>One document of a YAML stream, parsed or not.</summary>
internal sealed record YamlDocumentResult(int Index, int FirstLine, JsonNode? Node, string? Error)
{
    /// <summary>The document holds template placeholders ({{ ... }} of Helm/Go templates, Salt/Jinja {% ... %}).</summary>
    public bool HasTemplatePlaceholders { get; init; }

    /// <summary>The 1-based line of the document's first content (not a comment or blank), for locating it.</summary>
    public int ContentLine { get; init; }
}

/// <summary>
/// Reads multi-document YAML into JSON nodes the way Kubernetes reads manifests (YAML 1.1 scalars as
/// sigs.k8s.io/yaml resolves them). Documents are separated first, so one malformed document is
/// reported with its index and line and the others are still read.
/// </summary>
internal static partial class YamlDocuments
{
    private const int MaxNodes = 2_000_000;

    /// <param name="text">The YAML stream.</param>
    /// <param name="scalarsAsText">Keep every scalar as its text (null stays null), as a reader into typed string
    /// fields needs it (a kubeconfig's names, tokens and paths); otherwise scalars resolve as Kubernetes resolves them.</param>
    public static IEnumerable<YamlDocumentResult> Read(string text, bool scalarsAsText = false)
    {
        var index = 0;
        foreach (var (chunk, firstLine) in Split(text))
        {
            if (!HasContent(chunk))
            {
                continue;
            }

            index++;
            JsonNode? node;
            string? error;
            try
            {
                node = Parse(chunk, scalarsAsText);
                error = null;
            }
            catch (YamlException ex)
            {
                node = null;
                error = $"line {ex.Start.Line + firstLine - 1}: {FirstLine(ex.Message)}";
            }
            catch (InvalidDataException ex)
            {
                node = null;
                error = ex.Message;
            }

            yield return new YamlDocumentResult(index, firstLine, node, error)
            {
                ContentLine = firstLine + FirstContentOffset(chunk),
                HasTemplatePlaceholders = error is not null && (chunk.Contains("{{", StringComparison.Ordinal) || chunk.Contains("{%", StringComparison.Ordinal)),
            };
        }
    }

    /// <summary>Splits on document markers (--- and ...) at the start of a line.</summary>
    internal static IEnumerable<(string Chunk, int FirstLine)> Split(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var current = new StringBuilder();
        var start = 1;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("---", StringComparison.Ordinal) && (line.Length == 3 || char.IsWhiteSpace(line[3])))
            {
                yield return (current.ToString(), start);
                current.Clear();
                start = i + 1;
                var rest = line.Length > 3 ? line[4..] : string.Empty;
                current.Append(rest).Append('\n');
                continue;
            }

            if (line.StartsWith("...", StringComparison.Ordinal) && line.Trim() == "...")
            {
                yield return (current.ToString(), start);
                current.Clear();
                start = i + 2;
                continue;
            }

            current.Append(line).Append('\n');
        }

        yield return (current.ToString(), start);
    }

    /// <summary>The 0-based line of a chunk's first content line.</summary>
    private static int FirstContentOffset(string chunk)
    {
        var lines = chunk.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length > 0 && !line.StartsWith('#') && !line.StartsWith('%'))
            {
                return i;
            }
        }

        return 0;
    }

    private static bool HasContent(string chunk)
    {
        foreach (var raw in chunk.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length > 0 && !line.StartsWith('#') && !line.StartsWith('%'))
            {
                return true;
            }
        }

        return false;
    }

    private static JsonNode? Parse(string chunk, bool scalarsAsText)
    {
        var parser = new Parser(new StringReader(chunk));
        var builder = new Builder(parser, scalarsAsText);
        parser.Consume<StreamStart>();
        if (!parser.Accept<DocumentStart>(out _))
        {
            return null;
        }

        parser.Consume<DocumentStart>();
        var node = builder.ReadNode();
        parser.Consume<DocumentEnd>();
        return node;
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        var text = newline < 0 ? message : message[..newline];
        // YamlDotNet prefixes "(Line: x, Col: y, Idx: z) - (Line: ...): "
        var colon = text.IndexOf("): ", StringComparison.Ordinal);
        return colon >= 0 ? text[(colon + 3)..] : text;
    }

    private sealed class Builder
    {
        private readonly IParser parser;
        private readonly bool scalarsAsText;
        private readonly Dictionary<string, JsonNode?> anchors = new(StringComparer.Ordinal);
        private int nodes;

        public Builder(IParser parser, bool scalarsAsText)
        {
            this.parser = parser;
            this.scalarsAsText = scalarsAsText;
        }

        public JsonNode? ReadNode()
        {
            if (++nodes > MaxNodes)
            {
                throw new InvalidDataException($"the document has more than {MaxNodes} nodes (alias expansion?)");
            }

            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlException(alias.Start, alias.End, $"unknown alias '{alias.Value.Value}'");
                }

                return target?.DeepClone();
            }

            if (parser.TryConsume<Scalar>(out var scalar))
            {
                var value = scalarsAsText ? TextScalar(scalar) : ResolveScalar(scalar);
                Remember(scalar.Anchor, value);
                return value;
            }

            if (parser.TryConsume<SequenceStart>(out var sequenceStart))
            {
                var array = new JsonArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    array.Add(ReadNode());
                }

                Remember(sequenceStart.Anchor, array);
                return array;
            }

            if (parser.TryConsume<MappingStart>(out var mappingStart))
            {
                var obj = new JsonObject();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    // Keys are names: a scalar key stays its text ("y", "on", "80"), whatever its YAML type.
                    var keyEvent = parser.Current;
                    if (keyEvent is MappingStart or SequenceStart)
                    {
                        // sigs.k8s.io/yaml refuses these ("invalid map key"); an unquoted {{ ... }} reads as one.
                        throw new YamlException(keyEvent.Start, keyEvent.End, "a mapping key must be a scalar, as Kubernetes requires (an unquoted {{ ... }} template placeholder reads as a mapping)");
                    }

                    var key = ReadNode();
                    var value = ReadNode();
                    if (keyEvent is Scalar { Value: "<<", Style: ScalarStyle.Plain })
                    {
                        Merge(obj, value);
                        continue;
                    }

                    var name = keyEvent switch
                    {
                        Scalar scalarKey => scalarKey.Value,
                        _ => key?.ToJsonString() ?? "null",
                    };
                    obj[name] = value;
                }

                Remember(mappingStart.Anchor, obj);
                return obj;
            }

            var unexpected = parser.Current;
            throw new YamlException(unexpected?.Start ?? Mark.Empty, unexpected?.End ?? Mark.Empty, $"unexpected {unexpected?.GetType().Name}");
        }

        private void Remember(AnchorName anchor, JsonNode? value)
        {
            if (!anchor.IsEmpty)
            {
                anchors[anchor.Value] = value?.DeepClone();
            }
        }

        private static void Merge(JsonObject target, JsonNode? source)
        {
            var sources = source is JsonArray list ? list.OfType<JsonObject>() : source is JsonObject single ? new[] { single } : Enumerable.Empty<JsonObject>();
            foreach (var map in sources)
            {
                foreach (var (key, value) in map)
                {
                    if (!target.ContainsKey(key))
                    {
                        target[key] = value?.DeepClone();
                    }
                }
            }
        }
    }

    /// <summary>A scalar's text; a plain null (empty, ~, null) stays null.</summary>
    internal static JsonNode? TextScalar(Scalar scalar) =>
        scalar.Style is ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL" ? null : JsonValue.Create(scalar.Value);

    /// <summary>YAML 1.1 plain scalars as Kubernetes resolves them; quoted scalars and !!str stay strings.</summary>
    internal static JsonNode? ResolveScalar(Scalar scalar)
    {
        var text = scalar.Value;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (scalar.Style is not ScalarStyle.Plain || tag is "tag:yaml.org,2002:str" or "!!str" or "!")
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE" or "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                return JsonValue.Create(false);
        }

        var plain = text.Replace("_", string.Empty, StringComparison.Ordinal);
        if (IntPattern().IsMatch(plain) && long.TryParse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (OctalPattern().IsMatch(plain))
        {
            var digits = plain.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? plain[2..] : plain[1..];
            return JsonValue.Create(Convert.ToInt64(digits, 8));
        }

        if (plain.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(plain[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (FloatPattern().IsMatch(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^0[oO]?[0-7]+$")]
    private static partial Regex OctalPattern();

    [GeneratedRegex(@"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}

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
/// Reads multi-document YAML into JSON nodes the way Kubernetes reads manifests (sigs.k8s.io/yaml over go-yaml v2:
/// YAML 1.1 scalars, explicit tags, merge keys). Documents are separated first, so one malformed document is
/// reported with its index and line and the others are still read. Every document is read within
/// <see cref="DocumentLimits"/>: nesting depth, alias expansion (as go-yaml bounds it) and cancellation.
/// </summary>
internal static partial class YamlDocuments
{
    /// <param name="text">The YAML stream.</param>
    /// <param name="scalarsAsText">Keep every scalar as its text (null stays null), as a reader into typed string
    /// fields needs it (a kubeconfig's names, tokens and paths); otherwise scalars resolve as Kubernetes resolves them.</param>
    /// <param name="refuseDuplicateKeys">A key given twice in one mapping is an error (configuration files: the last
    /// one would silently win); otherwise the last wins, as Kubernetes' lenient reading does.</param>
    /// <param name="cancellationToken">Checked between documents and while a document is built.</param>
    public static IEnumerable<YamlDocumentResult> Read(string text, bool scalarsAsText = false, bool refuseDuplicateKeys = false, CancellationToken cancellationToken = default)
    {
        var index = 0;
        foreach (var (chunk, firstLine) in Split(text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!HasContent(chunk))
            {
                continue;
            }

            index++;
            JsonNode? node = null;
            string? error = null;
            var builder = new Builder(new Parser(new StringReader(chunk)), scalarsAsText, refuseDuplicateKeys, cancellationToken);
            try
            {
                node = builder.ReadDocument();
            }
            catch (YamlException ex)
            {
                error = $"line {ex.Start.Line + firstLine - 1}: {FirstLine(ex.Message)}";
            }
            catch (InvalidDataException ex)
            {
                error = $"line {builder.Line + firstLine - 1}: {ex.Message}";
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's parser gives up this way on some malformed flow collections (an unclosed [ or {
                // followed by a plain line) instead of throwing a YamlException.
                error = $"line {builder.Line + firstLine - 1}: the YAML cannot be read past this point (an unclosed '[' or '{{'?)";
            }
            catch (ArgumentException ex)
            {
                // And this way on escapes that are not UTF-16 ("\udc00\ud800", a surrogate pair the wrong way round).
                error = $"line {builder.Line + firstLine - 1}: the YAML cannot be read past this point ({FirstLine(ex.Message)})";
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

    private static string FirstLine(string message)
    {
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        var text = newline < 0 ? message : message[..newline];
        // YamlDotNet prefixes "(Line: x, Col: y, Idx: z) - (Line: ...): "
        var colon = text.IndexOf("): ", StringComparison.Ordinal);
        return colon >= 0 ? text[(colon + 3)..] : text;
    }

    /// <summary>Builds one document's JSON tree from parser events, counting what go-yaml counts.</summary>
    private sealed class Builder
    {
        private readonly IParser parser;
        private readonly bool scalarsAsText;
        private readonly bool refuseDuplicateKeys;
        private readonly CancellationToken cancellationToken;
        private readonly Dictionary<string, Anchored> anchors = new(StringComparer.Ordinal);

        // Where the builder is ("$", ".spec", "[0]" ...), for naming a duplicate key's place.
        private readonly List<string> path = new();

        // Nodes built, and how many of them came from expanding aliases.
        private long decoded;
        private long aliased;

        public Builder(IParser parser, bool scalarsAsText, bool refuseDuplicateKeys, CancellationToken cancellationToken)
        {
            this.parser = parser;
            this.scalarsAsText = scalarsAsText;
            this.refuseDuplicateKeys = refuseDuplicateKeys;
            this.cancellationToken = cancellationToken;
        }

        /// <summary>The 1-based line (within the chunk) of the last event looked at, for errors without a position.</summary>
        public long Line { get; private set; } = 1;

        public JsonNode? ReadDocument()
        {
            parser.Consume<StreamStart>();
            if (!parser.Accept<DocumentStart>(out _))
            {
                return null;
            }

            parser.Consume<DocumentStart>();
            var node = ReadNode(depth: 0, out _);
            parser.Consume<DocumentEnd>();
            return node;
        }

        /// <param name="depth">Mappings and sequences around this node.</param>
        /// <param name="height">Mappings and sequences nested in this node (0 for a scalar).</param>
        private JsonNode? ReadNode(int depth, out int height)
        {
            Count(1, fromAlias: false);
            if (parser.Current is { } current)
            {
                Line = current.Start.Line;
            }

            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlException(alias.Start, alias.End, $"unknown alias '{alias.Value.Value}'");
                }

                if (depth + target.Height > DocumentLimits.MaxDepth)
                {
                    throw new InvalidDataException($"the alias '{alias.Value.Value}' nests it deeper than {DocumentLimits.MaxDepth} levels");
                }

                // Counted before the copy is made, so an alias bomb is refused before it takes memory.
                Count(target.Nodes, fromAlias: true);
                height = target.Height;
                return target.Node?.DeepClone();
            }

            if (parser.TryConsume<Scalar>(out var scalar))
            {
                var value = scalarsAsText ? TextScalar(scalar) : ResolveScalar(scalar);
                height = 0;
                Remember(scalar.Anchor, value, 1, 0);
                return value;
            }

            if (depth >= DocumentLimits.MaxDepth)
            {
                throw new InvalidDataException($"it is nested deeper than {DocumentLimits.MaxDepth} levels");
            }

            var first = decoded;
            if (parser.TryConsume<SequenceStart>(out var sequenceStart))
            {
                var array = new JsonArray();
                var deepest = 0;
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    path.Add("[" + array.Count.ToString(CultureInfo.InvariantCulture) + "]");
                    array.Add(ReadNode(depth + 1, out var itemHeight));
                    path.RemoveAt(path.Count - 1);
                    deepest = Math.Max(deepest, itemHeight);
                }

                height = deepest + 1;
                Remember(sequenceStart.Anchor, array, decoded - first + 1, height);
                return array;
            }

            if (parser.TryConsume<MappingStart>(out var mappingStart))
            {
                var obj = new JsonObject();
                var deepest = 0;
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    // Keys are names: a scalar key stays its text ("y", "on", "80"), whatever its YAML type.
                    var keyEvent = parser.Current;
                    if (keyEvent is MappingStart or SequenceStart)
                    {
                        // sigs.k8s.io/yaml refuses these ("invalid map key"); an unquoted {{ ... }} reads as one.
                        throw new YamlException(keyEvent.Start, keyEvent.End, "a mapping key must be a scalar, as Kubernetes requires (an unquoted {{ ... }} template placeholder reads as a mapping)");
                    }

                    var key = ReadNode(depth + 1, out _);
                    var name = keyEvent switch
                    {
                        Scalar scalarKey => scalarKey.Value,
                        _ => key?.ToJsonString() ?? "null",
                    };
                    if (refuseDuplicateKeys && obj.ContainsKey(name))
                    {
                        throw new YamlException(keyEvent!.Start, keyEvent.End, $"${string.Concat(path)}.{name} is given twice (the last one would silently win)");
                    }

                    path.Add("." + name);
                    var value = ReadNode(depth + 1, out var valueHeight);
                    path.RemoveAt(path.Count - 1);
                    deepest = Math.Max(deepest, valueHeight);
                    if (keyEvent is Scalar { Value: "<<", Style: ScalarStyle.Plain })
                    {
                        Merge(obj, value);
                        continue;
                    }

                    obj[name] = value;
                }

                height = deepest + 1;
                Remember(mappingStart.Anchor, obj, decoded - first + 1, height);
                return obj;
            }

            var unexpected = parser.Current;
            throw new YamlException(unexpected?.Start ?? Mark.Empty, unexpected?.End ?? Mark.Empty, $"unexpected {unexpected?.GetType().Name}");
        }

        private void Count(long nodes, bool fromAlias)
        {
            var before = decoded;
            decoded += nodes;
            if (fromAlias)
            {
                aliased += nodes;
                if (DocumentLimits.IsExcessiveAliasing(decoded, aliased))
                {
                    throw new InvalidDataException($"it contains excessive aliasing: {aliased:N0} of {decoded:N0} nodes would come from expanding aliases (a YAML bomb?); Kubernetes refuses it too");
                }
            }

            // A check every 4,096 nodes: Ctrl+C stops a long document without slowing a short one.
            if ((before >> 12) != (decoded >> 12))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        private void Remember(AnchorName anchor, JsonNode? value, long nodes, int height)
        {
            if (!anchor.IsEmpty)
            {
                anchors[anchor.Value] = new Anchored(value?.DeepClone(), nodes, height);
            }
        }

        /// <summary>Merge keys (&lt;&lt;): the keys the mapping lacks, moved from the merged mapping(s) (copies already).</summary>
        private static void Merge(JsonObject target, JsonNode? source)
        {
            var sources = source is JsonArray list ? list.OfType<JsonObject>().ToList() : source is JsonObject single ? new List<JsonObject> { single } : new List<JsonObject>();
            foreach (var map in sources)
            {
                foreach (var key in map.Select(p => p.Key).ToList())
                {
                    if (!target.ContainsKey(key))
                    {
                        var value = map[key];
                        map.Remove(key);
                        target[key] = value;
                    }
                }
            }
        }

        /// <summary>An anchored node, with the nodes it holds and its height, for counting its aliases.</summary>
        private sealed record Anchored(JsonNode? Node, long Nodes, int Height);
    }

    /// <summary>A scalar's text; a plain null (empty, ~, null) stays null.</summary>
    internal static JsonNode? TextScalar(Scalar scalar) =>
        scalar.Style is ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL" ? null : JsonValue.Create(scalar.Value);

    /// <summary>
    /// A scalar as Kubernetes' YAML reader resolves it: untagged quoted scalars are strings; untagged plain ones are
    /// YAML 1.1 null, booleans, integers (decimal, 0x, 0o, 0b, leading-zero octal, with underscores) or floats, else
    /// strings; an explicit !!str, !!bool, !!int, !!float, !!null or !!timestamp resolves the text (quoted or not) and
    /// must match the tag; !!binary is base64; any other tag leaves the text a string.
    /// </summary>
    internal static JsonNode? ResolveScalar(Scalar scalar)
    {
        var text = scalar.Value;
        var tag = scalar.Tag.IsEmpty ? string.Empty : scalar.Tag.Value;
        if (tag.StartsWith(LongTagPrefix, StringComparison.Ordinal))
        {
            tag = "!!" + tag[LongTagPrefix.Length..];
        }

        if (tag.Length == 0)
        {
            return scalar.Style is ScalarStyle.Plain ? Implicit(scalar, text).Value : JsonValue.Create(text);
        }

        switch (tag)
        {
            case "!!str":
                return JsonValue.Create(text);
            case "!!binary":
                try
                {
                    return JsonValue.Create(Encoding.UTF8.GetString(Convert.FromBase64String(text)));
                }
                catch (FormatException)
                {
                    throw new YamlException(scalar.Start, scalar.End, "a !!binary value holds invalid base64 data");
                }

            case "!!bool" or "!!int" or "!!float" or "!!null" or "!!timestamp":
                var (resolved, value) = Implicit(scalar, text);
                return (tag, resolved) switch
                {
                    ("!!bool", "!!bool") or ("!!int", "!!int") or ("!!float", "!!float") or ("!!null", "!!null") => value,
                    ("!!float", "!!int") => JsonValue.Create(double.Parse(value!.ToJsonString(), CultureInfo.InvariantCulture)),
                    ("!!timestamp", _) when IsTimestamp(text) => JsonValue.Create(text),
                    _ => throw new YamlException(scalar.Start, scalar.End, $"cannot read the {resolved} '{text}' as a {tag}, as Kubernetes cannot"),
                };
            default:
                // The non-specific tag "!" and application tags: the text, as go-yaml leaves it.
                return JsonValue.Create(text);
        }
    }

    private const string LongTagPrefix = "tag:yaml.org,2002:";

    /// <summary>What a plain scalar's text means in YAML 1.1 as go-yaml v2 reads it, with the tag it resolves to.</summary>
    private static (string Tag, JsonNode? Value) Implicit(Scalar scalar, string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return ("!!null", null);
            case "true" or "True" or "TRUE" or "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                return ("!!bool", JsonValue.Create(true));
            case "false" or "False" or "FALSE" or "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                return ("!!bool", JsonValue.Create(false));
            case ".nan" or ".NaN" or ".NAN" or ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF":
                // A float JSON cannot hold: kubectl fails to convert the document, and so does this reader.
                throw new YamlException(scalar.Start, scalar.End, $"'{text}' is a float that JSON cannot hold (NaN or infinity); Kubernetes cannot read it");
        }

        if (text[0] == '.')
        {
            return IsFinite(text, out var fraction) ? ("!!float", JsonValue.Create(fraction)) : ("!!str", JsonValue.Create(text));
        }

        if (text[0] is not ('+' or '-' or (>= '0' and <= '9')))
        {
            return ("!!str", JsonValue.Create(text));
        }

        // Integers first (signed, then unsigned), then floats; what overflows both, or is out of a double's range,
        // stays the text it is.
        var plain = text.Replace("_", string.Empty, StringComparison.Ordinal);
        if (TryParseInteger(plain, out var magnitude, out var negative))
        {
            if (negative && magnitude <= (ulong)long.MaxValue + 1)
            {
                return ("!!int", JsonValue.Create(magnitude == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)magnitude));
            }

            if (!negative && magnitude <= long.MaxValue)
            {
                return ("!!int", JsonValue.Create((long)magnitude));
            }

            if (!negative && plain[0] != '+')
            {
                return ("!!int", JsonValue.Create(magnitude));
            }
        }

        if (FloatPattern().IsMatch(plain) && IsFinite(plain, out var number))
        {
            return ("!!float", JsonValue.Create(number));
        }

        return ("!!str", JsonValue.Create(text));
    }

    /// <summary>
    /// An integer as Go's strconv reads one with base 0: an optional sign, then 0x (hex), 0o or a leading 0 (octal),
    /// 0b (binary) or decimal digits. False when it is not an integer or does not fit 64 bits.
    /// </summary>
    private static bool TryParseInteger(string text, out ulong magnitude, out bool negative)
    {
        magnitude = 0;
        var i = 0;
        negative = text.Length > 0 && text[0] == '-';
        if (text.Length > 0 && text[0] is '+' or '-')
        {
            i++;
        }

        var radix = 10u;
        if (text.Length - i >= 2 && text[i] == '0')
        {
            (radix, i) = char.ToLowerInvariant(text[i + 1]) switch
            {
                'x' => (16u, i + 2),
                'o' => (8u, i + 2),
                'b' => (2u, i + 2),
                _ => (8u, i + 1),
            };
        }

        if (i >= text.Length)
        {
            return false;
        }

        for (; i < text.Length; i++)
        {
            var digit = text[i] switch
            {
                >= '0' and <= '9' => (uint)(text[i] - '0'),
                >= 'a' and <= 'f' => (uint)(text[i] - 'a' + 10),
                >= 'A' and <= 'F' => (uint)(text[i] - 'A' + 10),
                _ => uint.MaxValue,
            };
            if (digit >= radix || magnitude > (ulong.MaxValue - digit) / radix)
            {
                return false;
            }

            magnitude = (magnitude * radix) + digit;
        }

        return true;
    }

    private static bool IsFinite(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>The YAML 1.1 timestamp forms go-yaml reads (date, date and time).</summary>
    private static bool IsTimestamp(string text) => TimestampPattern().IsMatch(text);

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{1,2}(:[0-9]{2})?)?)?$")]
    private static partial Regex TimestampPattern();
}

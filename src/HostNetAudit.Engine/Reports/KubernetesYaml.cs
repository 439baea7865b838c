using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// Writes Kubernetes objects as multi-document YAML that kubectl reads back as the same JSON: a string is written
/// plain only where Kubernetes' YAML 1.1 reading (<see cref="YamlDocuments.ResolveScalar"/>) gives back that string,
/// else quoted ("true", "80", "2026-01-31", "no" stay strings).
/// </summary>
internal static class KubernetesYaml
{
    public static void Write(IEnumerable<JsonNode> documents, TextWriter output)
    {
        var emitter = new Emitter(output, new EmitterSettings().WithBestWidth(int.MaxValue));
        emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            Emit(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        emitter.Emit(new StreamEnd());
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case null:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            default:
                if (node.GetValueKind() == JsonValueKind.String)
                {
                    EmitString(emitter, node.GetValue<string>());
                }
                else
                {
                    // Numbers and booleans: their JSON text is their YAML text.
                    emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, node.ToJsonString(), ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                }

                break;
        }
    }

    private static void EmitString(IEmitter emitter, string text)
    {
        // Text that starts like a number, a date or a time is quoted whatever it resolves to: YAML 1.1 readers
        // differ on those (sexagesimal 1:20, timestamps). The emitter quotes on its own what plain cannot hold.
        var plain = text.Length > 0 && !char.IsAsciiDigit(text[0]) && text[0] is not ('-' or '+' or '.')
            && YamlDocuments.ResolveScalar(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false)) is JsonValue value && value.TryGetValue<string>(out var read) && read == text;
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, plain ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted, isPlainImplicit: true, isQuotedImplicit: true));
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// What a policy's expressions read, worked out once per <see cref="CelPolicy"/> instance (the caller judges
/// one policy in many namespaces): whether the judgement can differ between namespaces or with params, and
/// the params as CEL values.
/// </summary>
internal sealed class CelPolicyFacts
{
    private static readonly ConditionalWeakTable<CelPolicy, CelPolicyFacts> Known = new();

    private CelPolicyFacts(CelPolicy policy, CelRuntime runtime)
    {
        var texts = policy.Validations.Select(v => v.Expression)
            .Concat(policy.Validations.Select(v => v.MessageExpression).OfType<string>())
            .Concat(policy.Variables.Select(v => v.Expression))
            .Concat(policy.MatchConditions.Select(m => m.Expression))
            .ToList();
        var syntaxes = texts.Select(t => (Text: t, Syntax: runtime.Prepare(t).Syntax)).ToList();

        // Text that does not parse is judged Unknown anyway; treat it as reading whatever it mentions.
        DependsOnNamespace = syntaxes.Any(s => s.Syntax is null
            ? s.Text.Contains("namespace", StringComparison.OrdinalIgnoreCase)
            : ReadsNamespace(s.Syntax, policy));
        DependsOnParams = syntaxes.Any(s => s.Syntax is null
            ? s.Text.Contains("params", StringComparison.Ordinal)
            : CelTree.ReadsIdentifier(s.Syntax, "params")
                || (policy.Dialect == CelDialect.Gatekeeper && CelTree.ReferencedVariables(s.Syntax).Contains("params", StringComparer.Ordinal)));

        Params = CelValues.FromJson(policy.Params);
        GatekeeperParameters = policy.Dialect == CelDialect.Gatekeeper
            && policy.Params is { } constraint
            && constraint.Get("spec", "parameters").ValueKind == JsonValueKind.Object
                ? CelValues.FromJson(constraint.Get("spec", "parameters"))
                : null;
    }

    /// <summary>
    /// Some expression may read the namespace: <c>namespaceObject</c>, a field named <c>namespace</c>
    /// (<c>request.namespace</c>, <c>object.metadata.namespace</c>), an index by a computed key, or a comparison
    /// of whole objects, metadata or the request. When false, the judgement is the same in every namespace for
    /// pods that differ only in their namespace: judge once and reuse it.
    /// </summary>
    public bool DependsOnNamespace { get; }

    /// <summary>Some expression reads <c>params</c> (or Gatekeeper's <c>variables.params</c>).</summary>
    public bool DependsOnParams { get; }

    /// <summary>The policy's params as a CEL value (null when none).</summary>
    public object? Params { get; }

    /// <summary>Gatekeeper: the constraint's spec.parameters as a CEL value, or null.</summary>
    public object? GatekeeperParameters { get; }

    public static CelPolicyFacts For(CelPolicy policy, CelRuntime runtime) =>
        Known.GetValue(policy, p => new CelPolicyFacts(p, runtime));

    private const int JudgementLimit = 256;

    /// <summary>Judgements already made for this policy, by <see cref="Fingerprint"/> of their input.</summary>
    public ConcurrentDictionary<string, CelJudgement> Judgements { get; } = new(StringComparer.Ordinal);

    public void Remember(string key, CelJudgement judgement)
    {
        if (Judgements.Count >= JudgementLimit)
        {
            Judgements.Clear();
        }

        Judgements.TryAdd(key, judgement);
    }

    /// <summary>
    /// The input as text: both pods, oldObject, operation and identity — without the pods' namespace, and
    /// without the Namespace object unless the policy may read the namespace.
    /// </summary>
    public static string Fingerprint(CelAdmissionInput input, bool withNamespace)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            WriteWithoutNamespace(writer, input.ReferencePod, withNamespace, depth: 0, underMetadata: false);
            WriteWithoutNamespace(writer, input.TwinPod, withNamespace, depth: 0, underMetadata: false);
            WriteOptional(writer, input.OldObject);
            WriteOptional(writer, withNamespace ? input.NamespaceObject : null);
            writer.WriteStringValue(input.Operation);
            writer.WriteStringValue(input.UserInfo.Username);
            writer.WriteStringValue(input.UserInfo.Uid);
            foreach (var group in input.UserInfo.Groups)
            {
                writer.WriteStringValue(group);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteOptional(Utf8JsonWriter writer, JsonElement? element)
    {
        if (element is { ValueKind: not JsonValueKind.Undefined } e)
        {
            e.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void WriteWithoutNamespace(Utf8JsonWriter writer, JsonElement element, bool withNamespace, int depth, bool underMetadata)
    {
        if (withNamespace || element.ValueKind != JsonValueKind.Object || depth > 1)
        {
            element.WriteTo(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var property in element.EnumerateObject())
        {
            if (underMetadata && property.NameEquals("namespace"))
            {
                continue;
            }

            writer.WritePropertyName(property.Name);
            WriteWithoutNamespace(writer, property.Value, withNamespace, depth + 1, depth == 0 && property.NameEquals("metadata"));
        }

        writer.WriteEndObject();
    }

    private static bool ReadsNamespace(CelNode syntax, CelPolicy policy)
    {
        foreach (var node in CelTree.Descendants(syntax))
        {
            switch (node)
            {
                case CelIdent { Name: "namespaceObject" }:
                case CelSelect { Field: "namespace" }:
                case CelIndex { Index: not CelLiteral { Kind: CelLiteralKind.String } }:
                case CelIndex { Index: CelLiteral { Value: "namespace" } }:
                    return true;
                case CelBinary { Operator: "==" or "!=" or "in" } comparison
                    when MayHoldNamespace(comparison.Left, policy) || MayHoldNamespace(comparison.Right, policy):
                    return true;
            }
        }

        return false;
    }

    // A value that may be a whole object, its metadata or the request (maps that carry the namespace).
    private static bool MayHoldNamespace(CelNode node, CelPolicy policy) => node switch
    {
        CelIdent { Name: "object" or "oldObject" or "request" } => true,
        CelSelect { Field: "metadata" } => true,
        CelSelect { Operand: CelIdent { Name: "variables" }, Field: "anyObject" } => policy.Dialect == CelDialect.Gatekeeper,
        CelSelect { Operand: CelIdent { Name: "variables" } } variable =>
            policy.Variables.FirstOrDefault(v => v.Name == variable.Field) is { } declared
                && CelParser.TryParse(declared.Expression, out _) is { } defined
                && defined is not CelSelect { Operand: CelIdent { Name: "variables" } }
                && MayHoldNamespace(defined, policy),
        _ => false,
    };
}

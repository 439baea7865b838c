using System.Globalization;
using System.Text;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// Writes a syntax tree back as CEL text for the evaluator: every operator parenthesised, strings
/// double-quoted with escapes, so the evaluator's own parser never has to guess (it accepts some malformed
/// text silently, which is why it only ever sees text printed here).
/// </summary>
internal static class CelPrinter
{
    public static string Print(CelNode node)
    {
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    private static void Write(StringBuilder b, CelNode node)
    {
        switch (node)
        {
            case CelLiteral literal:
                WriteLiteral(b, literal);
                break;
            case CelIdent ident:
                b.Append(ident.Name);
                break;
            case CelSelect select:
                if (select.Optional)
                {
                    throw new InvalidOperationException("Optional selection must be rewritten before printing.");
                }

                WriteOperand(b, select.Operand);
                b.Append('.').Append(select.Field);
                break;
            case CelIndex index:
                if (index.Optional)
                {
                    throw new InvalidOperationException("Optional indexing must be rewritten before printing.");
                }

                WriteOperand(b, index.Operand);
                b.Append('[');
                Write(b, index.Index);
                b.Append(']');
                break;
            case CelCall call:
                if (call.Target is not null)
                {
                    WriteOperand(b, call.Target);
                    b.Append('.');
                }

                b.Append(call.Function).Append('(');
                WriteList(b, call.Args);
                b.Append(')');
                break;
            case CelList list:
                b.Append('[');
                WriteList(b, list.Elements);
                b.Append(']');
                break;
            case CelMap map:
                b.Append('{');
                for (var i = 0; i < map.Entries.Count; i++)
                {
                    if (i > 0)
                    {
                        b.Append(", ");
                    }

                    Write(b, map.Entries[i].Key);
                    b.Append(": ");
                    Write(b, map.Entries[i].Value);
                }

                b.Append('}');
                break;
            case CelUnary unary:
                b.Append('(').Append(unary.Operator);
                WriteOperand(b, unary.Operand);
                b.Append(')');
                break;
            case CelBinary binary:
                b.Append('(');
                Write(b, binary.Left);
                b.Append(' ').Append(binary.Operator).Append(' ');
                Write(b, binary.Right);
                b.Append(')');
                break;
            case CelConditional conditional:
                b.Append('(');
                Write(b, conditional.Condition);
                b.Append(" ? ");
                Write(b, conditional.WhenTrue);
                b.Append(" : ");
                Write(b, conditional.WhenFalse);
                b.Append(')');
                break;
            default:
                throw new InvalidOperationException($"Unknown CEL node {node.GetType().Name}.");
        }
    }

    private static void WriteOperand(StringBuilder b, CelNode node)
    {
        // A negative number as a receiver: "(-1).f", not "-1.f".
        var needsParentheses = node is CelLiteral { Value: long l } && l < 0
            || node is CelLiteral { Value: double d } && double.IsNegative(d);

        // Unary, binary and conditional nodes print their own parentheses.
        if (needsParentheses)
        {
            b.Append('(');
            Write(b, node);
            b.Append(')');
        }
        else
        {
            Write(b, node);
        }
    }

    private static void WriteList(StringBuilder b, IReadOnlyList<CelNode> items)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                b.Append(", ");
            }

            Write(b, items[i]);
        }
    }

    private static void WriteLiteral(StringBuilder b, CelLiteral literal)
    {
        switch (literal.Kind)
        {
            case CelLiteralKind.Null:
                b.Append("null");
                break;
            case CelLiteralKind.Bool:
                b.Append((bool)literal.Value! ? "true" : "false");
                break;
            case CelLiteralKind.Int:
                b.Append(((long)literal.Value!).ToString(CultureInfo.InvariantCulture));
                break;
            case CelLiteralKind.Uint:
                b.Append(((ulong)literal.Value!).ToString(CultureInfo.InvariantCulture)).Append('u');
                break;
            case CelLiteralKind.Double:
                var d = (double)literal.Value!;
                if (!double.IsFinite(d))
                {
                    throw new InvalidOperationException("A double literal must be finite.");
                }

                var text = d.ToString("R", CultureInfo.InvariantCulture);
                b.Append(text);
                if (!text.Contains('.', StringComparison.Ordinal) && !text.Contains('E', StringComparison.OrdinalIgnoreCase))
                {
                    b.Append(".0");
                }

                break;
            case CelLiteralKind.String:
                WriteString(b, (string)literal.Value!);
                break;
            case CelLiteralKind.Bytes:
                b.Append("b\"");
                foreach (var octet in (byte[])literal.Value!)
                {
                    b.Append("\\x").Append(octet.ToString("x2", CultureInfo.InvariantCulture));
                }

                b.Append('"');
                break;
        }
    }

    private static void WriteString(StringBuilder b, string value)
    {
        b.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    b.Append("\\\\");
                    break;
                case '"':
                    b.Append("\\\"");
                    break;
                case '\n':
                    b.Append("\\n");
                    break;
                case '\r':
                    b.Append("\\r");
                    break;
                case '\t':
                    b.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        b.Append('"');
    }
}

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// The syntax tree of a CEL expression, as written in a policy. The module reads CEL into its own tree (CelParser) so
/// that it can rewrite what the evaluator lacks with certainty (CelRewriter), hand the evaluator only
/// well-formed text (CelPrinter), and read expressions it cannot evaluate (CelTextReader).
/// </summary>
internal abstract record CelNode;

internal enum CelLiteralKind
{
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
}

/// <summary>A literal; <see cref="Value"/> is null, bool, long, ulong, double, string, or byte[] for bytes.</summary>
internal sealed record CelLiteral(CelLiteralKind Kind, object? Value) : CelNode
{
    public static readonly CelLiteral True = new(CelLiteralKind.Bool, true);
    public static readonly CelLiteral False = new(CelLiteralKind.Bool, false);
}

/// <summary>An identifier (<c>object</c>, <c>variables</c>, a macro's iteration variable, ...).</summary>
internal sealed record CelIdent(string Name) : CelNode;

/// <summary>Field selection <c>a.f</c>, or optional selection <c>a.?f</c> when <see cref="Optional"/>.</summary>
internal sealed record CelSelect(CelNode Operand, string Field, bool Optional) : CelNode;

/// <summary>Indexing <c>a[i]</c>, or optional indexing <c>a[?i]</c> when <see cref="Optional"/>.</summary>
internal sealed record CelIndex(CelNode Operand, CelNode Index, bool Optional) : CelNode;

/// <summary>
/// A function call: global (<c>size(x)</c>, <c>has(x.f)</c>; <see cref="Target"/> null) or receiver-style
/// (<c>x.startsWith(y)</c>, macros such as <c>x.all(v, p)</c>).
/// </summary>
internal sealed record CelCall(CelNode? Target, string Function, IReadOnlyList<CelNode> Args) : CelNode;

internal sealed record CelList(IReadOnlyList<CelNode> Elements) : CelNode;

internal sealed record CelMapEntry(CelNode Key, CelNode Value);

internal sealed record CelMap(IReadOnlyList<CelMapEntry> Entries) : CelNode;

/// <summary><c>!x</c> or <c>-x</c>.</summary>
internal sealed record CelUnary(string Operator, CelNode Operand) : CelNode;

/// <summary>Binary operators: <c>|| &amp;&amp; == != &lt; &lt;= &gt; &gt;= in + - * / %</c>.</summary>
internal sealed record CelBinary(string Operator, CelNode Left, CelNode Right) : CelNode;

/// <summary><c>c ? a : b</c>.</summary>
internal sealed record CelConditional(CelNode Condition, CelNode WhenTrue, CelNode WhenFalse) : CelNode;

/// <summary>Helpers over the tree.</summary>
internal static class CelTree
{
    /// <summary>Every node of the tree, the root first.</summary>
    public static IEnumerable<CelNode> Descendants(CelNode node)
    {
        var stack = new Stack<CelNode>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            yield return current;
            foreach (var child in Children(current))
            {
                stack.Push(child);
            }
        }
    }

    public static IEnumerable<CelNode> Children(CelNode node)
    {
        switch (node)
        {
            case CelSelect s:
                yield return s.Operand;
                break;
            case CelIndex i:
                yield return i.Operand;
                yield return i.Index;
                break;
            case CelCall c:
                if (c.Target is not null)
                {
                    yield return c.Target;
                }

                foreach (var a in c.Args)
                {
                    yield return a;
                }

                break;
            case CelList l:
                foreach (var e in l.Elements)
                {
                    yield return e;
                }

                break;
            case CelMap m:
                foreach (var e in m.Entries)
                {
                    yield return e.Key;
                    yield return e.Value;
                }

                break;
            case CelUnary u:
                yield return u.Operand;
                break;
            case CelBinary b:
                yield return b.Left;
                yield return b.Right;
                break;
            case CelConditional k:
                yield return k.Condition;
                yield return k.WhenTrue;
                yield return k.WhenFalse;
                break;
        }
    }

    /// <summary>The names <c>variables.NAME</c> that the expression reads.</summary>
    public static IEnumerable<string> ReferencedVariables(CelNode node) =>
        Descendants(node)
            .OfType<CelSelect>()
            .Where(s => s.Operand is CelIdent { Name: "variables" })
            .Select(s => s.Field)
            .Distinct(StringComparer.Ordinal);

    /// <summary>True when the expression reads the top-level identifier (object, params, namespaceObject, ...).</summary>
    public static bool ReadsIdentifier(CelNode node, string name) =>
        Descendants(node).OfType<CelIdent>().Any(i => string.Equals(i.Name, name, StringComparison.Ordinal));

    /// <summary>True for the macros that bind an iteration variable as their first argument.</summary>
    public static bool IsComprehension(CelCall call) =>
        call.Target is not null
        && call.Args.Count >= 2
        && call.Args[0] is CelIdent
        && (call.Args.Count == 2 ? call.Function is "all" or "exists" or "exists_one" or "map" or "filter" : call.Args.Count == 3 && call.Function == "map");
}

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>The expression uses a construct that the module cannot rewrite into what the evaluator supports.</summary>
internal sealed class CelRewriteException : Exception
{
    public CelRewriteException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Rewrites constructs that the evaluator (Cel 0.3.3) lacks into equivalent ones it has, only where the
/// meaning is certain on Kubernetes objects (JSON maps and lists):
/// <list type="bullet">
/// <item><c>x.?f.orValue(d)</c> → <c>has(x.f) ? x.f : d</c>; chains <c>x.?a.?b</c> test every step
/// (<c>has(x.a) &amp;&amp; has(x.a.b)</c>); <c>.hasValue()</c> → the presence test; <c>.value()</c> → the value;
/// <c>o1.or(o2)</c> → the first present one.</item>
/// <item><c>m[?"key"]</c> (a map key) → <c>"key" in m</c> / <c>m["key"]</c>.</item>
/// <item><c>optional.of(e)</c> → present with value e; <c>optional.none()</c> → absent.</item>
/// </list>
/// Anything else optional (a plain selection on an optional, an optional list index, an optional value
/// used as a value) throws <see cref="CelRewriteException"/>: its meaning is not certain enough to guess.
/// </summary>
internal static class CelRewriter
{
    public const string OptionalSelection = "optional field selection (x.?f.orValue(d) → has(x.f) ? x.f : d)";
    public const string OptionalIndex = "optional map index (m[?k] → k in m)";
    public const string OptionalLiterals = "optional.of/optional.none";

    /// <summary>Rewrites the tree; adds the names of the rewrites applied to <paramref name="applied"/>.</summary>
    public static CelNode Rewrite(CelNode node, ISet<string> applied)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(applied);
        return new Rewriting(applied).Plain(node);
    }

    private static bool IsOptional(CelNode node) => node switch
    {
        CelSelect s => s.Optional || IsOptional(s.Operand),
        CelIndex i => i.Optional || IsOptional(i.Operand),
        CelCall { Target: CelIdent { Name: "optional" }, Function: "of" or "none" or "ofNonZeroValue" } => true,
        CelCall { Function: "or" or "optMap" or "optFlatMap" } call => call.Target is not null && IsOptional(call.Target),
        _ => false,
    };

    private static CelNode And(CelNode left, CelNode right) => left switch
    {
        CelLiteral { Value: true } => right,
        CelLiteral { Value: false } => left,
        _ => new CelBinary("&&", left, right),
    };

    private static CelNode Or(CelNode left, CelNode right) => left switch
    {
        CelLiteral { Value: true } => left,
        CelLiteral { Value: false } => right,
        _ => new CelBinary("||", left, right),
    };

    /// <summary>An optional value: present when <see cref="Present"/> is true; <see cref="Value"/> null means none.</summary>
    private sealed record OptionalForm(CelNode Present, CelNode? Value)
    {
        public static readonly OptionalForm None = new(CelLiteral.False, null);
    }

    private sealed class Rewriting
    {
        private readonly ISet<string> applied;

        public Rewriting(ISet<string> applied)
        {
            this.applied = applied;
        }

        /// <summary>Rewrites a node whose value is not optional.</summary>
        public CelNode Plain(CelNode node)
        {
            if (node is CelCall { Target: not null } call && IsOptional(call.Target))
            {
                return Consume(call);
            }

            if (IsOptional(node))
            {
                throw new CelRewriteException($"an optional value is used as a plain value in '{CelPrinterSafe(node)}'");
            }

            return node switch
            {
                CelLiteral or CelIdent => node,
                CelSelect s => s with { Operand = Plain(s.Operand) },
                CelIndex i => i with { Operand = Plain(i.Operand), Index = Plain(i.Index) },
                CelCall c => c with { Target = c.Target is null ? null : Plain(c.Target), Args = c.Args.Select(Plain).ToList() },
                CelList l => new CelList(l.Elements.Select(Plain).ToList()),
                CelMap m => new CelMap(m.Entries.Select(e => new CelMapEntry(Plain(e.Key), Plain(e.Value))).ToList()),
                CelUnary u => u with { Operand = Plain(u.Operand) },
                CelBinary b => b with { Left = Plain(b.Left), Right = Plain(b.Right) },
                CelConditional k => new CelConditional(Plain(k.Condition), Plain(k.WhenTrue), Plain(k.WhenFalse)),
                _ => throw new CelRewriteException($"unknown construct {node.GetType().Name}"),
            };
        }

        /// <summary>orValue / hasValue / value on an optional.</summary>
        private CelNode Consume(CelCall call)
        {
            var optional = Optional(call.Target!);
            switch (call.Function)
            {
                case "orValue" when call.Args.Count == 1:
                    var fallback = Plain(call.Args[0]);
                    return optional.Value is null
                        ? fallback
                        : optional.Present is CelLiteral { Value: true }
                            ? optional.Value
                            : new CelConditional(optional.Present, optional.Value, fallback);
                case "hasValue" when call.Args.Count == 0:
                    return optional.Present;
                case "value" when call.Args.Count == 0 && optional.Value is not null:
                    // Selecting an absent field is an error in the evaluator too, as value() on none is.
                    return optional.Value;
                default:
                    throw new CelRewriteException($"'{call.Function}' on an optional value is not supported");
            }
        }

        /// <summary>The presence test and value of an optional-producing node.</summary>
        private OptionalForm Optional(CelNode node)
        {
            switch (node)
            {
                case CelSelect { Optional: true } select:
                {
                    applied.Add(OptionalSelection);
                    var (present, value) = Base(select.Operand);
                    if (value is null)
                    {
                        return OptionalForm.None;
                    }

                    var selected = new CelSelect(value, select.Field, false);
                    return new OptionalForm(And(present, new CelCall(null, "has", new CelNode[] { selected })), selected);
                }

                case CelIndex { Optional: true } index:
                {
                    if (index.Index is not CelLiteral { Kind: CelLiteralKind.String } key)
                    {
                        throw new CelRewriteException("optional indexing is rewritten only for a string map key");
                    }

                    applied.Add(OptionalIndex);
                    var (present, value) = Base(index.Operand);
                    if (value is null)
                    {
                        return OptionalForm.None;
                    }

                    return new OptionalForm(And(present, new CelBinary("in", key, value)), new CelIndex(value, key, false));
                }

                case CelCall { Target: CelIdent { Name: "optional" }, Function: "of", Args.Count: 1 } of:
                    applied.Add(OptionalLiterals);
                    return new OptionalForm(CelLiteral.True, Plain(of.Args[0]));

                case CelCall { Target: CelIdent { Name: "optional" }, Function: "none", Args.Count: 0 }:
                    applied.Add(OptionalLiterals);
                    return OptionalForm.None;

                case CelCall { Function: "or", Args.Count: 1 } either when either.Target is not null && IsOptional(either.Args[0]):
                {
                    var first = Optional(either.Target);
                    var second = Optional(either.Args[0]);
                    if (first.Value is null)
                    {
                        return second;
                    }

                    if (second.Value is null || first.Present is CelLiteral { Value: true })
                    {
                        return first;
                    }

                    return new OptionalForm(Or(first.Present, second.Present), new CelConditional(first.Present, first.Value, second.Value));
                }

                default:
                    throw new CelRewriteException($"the optional construct '{CelPrinterSafe(node)}' is not supported");
            }
        }

        /// <summary>The operand of an optional selection: itself optional (a chain) or a plain value.</summary>
        private (CelNode Present, CelNode? Value) Base(CelNode operand)
        {
            if (IsOptional(operand))
            {
                var inner = Optional(operand);
                return (inner.Present, inner.Value);
            }

            return (CelLiteral.True, Plain(operand));
        }
    }

    // For messages only: the original text may contain optional syntax the printer refuses.
    private static string CelPrinterSafe(CelNode node) => node switch
    {
        CelSelect s => CelPrinterSafe(s.Operand) + (s.Optional ? ".?" : ".") + s.Field,
        CelIdent i => i.Name,
        CelCall c => (c.Target is null ? string.Empty : CelPrinterSafe(c.Target) + ".") + c.Function + "(...)",
        CelIndex x => CelPrinterSafe(x.Operand) + (x.Optional ? "[?...]" : "[...]"),
        _ => "...",
    };
}

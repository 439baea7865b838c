using System.Globalization;
using Antlr4.Runtime;
using AntlrCel = Cel.Internal;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>The syntax of a CEL expression is not understood (malformed, or a construct the module does not read).</summary>
internal sealed class CelSyntaxException : Exception
{
    public CelSyntaxException(string message, int position)
        : base(string.Create(CultureInfo.InvariantCulture, $"{message} (at character {position + 1})"))
    {
        Position = position;
    }

    public int Position { get; }
}

/// <summary>
/// Reads CEL text into the module's syntax tree. The grammar is the one the evaluator package (Cel 0.3.3) ships as
/// an ANTLR parser, the CEL specification's grammar with optional selection and indexing; this class only turns its
/// parse tree into <see cref="CelNode"/>s, so the module and the evaluator can never disagree on what text means.
/// Message construction (<c>Type{field: v}</c>), optional list and map entries and leading-dot names are not read:
/// they throw <see cref="CelSyntaxException"/>, as malformed text does.
/// </summary>
internal static class CelParser
{
    // The apiserver limits nesting too. ANTLR's parser recurses about ten frames per bracket or '?', so hostile
    // nesting is refused before it reaches the parser (a stack overflow cannot be caught). Member and operator
    // chains it builds iteratively, but the tree they make is as deep as they are long, and the printer, the
    // rewriter and the text reader recurse through it: the tree's depth is bounded while it is read.
    private const int MaxNesting = 200;
    private const int MaxTreeDepth = 1000;

    private static readonly HashSet<string> ReservedWords = new(StringComparer.Ordinal)
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    };

    /// <summary>Parses a whole expression; throws <see cref="CelSyntaxException"/>.</summary>
    public static CelNode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new CelSyntaxException("Empty expression", 0);
        }

        CheckNesting(text);
        var errors = new ThrowingErrorListener(text);
        var lexer = new AntlrCel.CelLexer(new AntlrInputStream(text));
        lexer.RemoveErrorListeners();
        lexer.AddErrorListener(errors);
        var parser = new AntlrCel.CelParser(new CommonTokenStream(lexer));
        parser.RemoveErrorListeners();
        parser.AddErrorListener(errors);
        return new TreeReader().Expr(parser.start().e);
    }

    /// <summary>Parses, or returns null with the reason.</summary>
    public static CelNode? TryParse(string text, out string? error)
    {
        try
        {
            error = null;
            return Parse(text);
        }
        catch (CelSyntaxException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>Refuses text nested deeper than <see cref="MaxNesting"/> (brackets, plus conditionals, which nest to the right).</summary>
    private static void CheckNesting(string text)
    {
        var depth = 0;
        var conditionals = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '"' or '\'')
            {
                i = SkipQuoted(text, i);
                continue;
            }

            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            switch (c)
            {
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    depth = Math.Max(0, depth - 1);
                    break;
                case '?' when i == 0 || text[i - 1] is not ('.' or '['):
                    conditionals++;
                    break;
            }

            if (depth + conditionals > MaxNesting)
            {
                throw new CelSyntaxException("Expression nested too deeply", i);
            }
        }
    }

    // A raw string cannot escape its quote, but treating '\' as an escape there only shortens what is skipped.
    private static int SkipQuoted(string text, int start)
    {
        var quote = text[start];
        var triple = start + 2 < text.Length && text[start + 1] == quote && text[start + 2] == quote;
        var i = start + (triple ? 3 : 1);
        while (i < text.Length)
        {
            if (text[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (text[i] == quote && (!triple || (i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote)))
            {
                return i + (triple ? 2 : 0);
            }

            i++;
        }

        return text.Length;
    }

    /// <summary>Turns the first error either recognizer reports into a <see cref="CelSyntaxException"/> (ANTLR would recover and go on).</summary>
    private sealed class ThrowingErrorListener : IAntlrErrorListener<IToken>, IAntlrErrorListener<int>
    {
        private readonly string text;

        public ThrowingErrorListener(string text) => this.text = text;

        public void SyntaxError(TextWriter output, IRecognizer recognizer, IToken offendingSymbol, int line, int charPositionInLine, string msg, RecognitionException e)
        {
            var position = Position(line, charPositionInLine);
            var atEnd = offendingSymbol.Type == TokenConstants.EOF;

            // Where one token only could follow, say which: "Expected ')'" reads better than "Unexpected end".
            if (recognizer is Parser parser && parser.GetExpectedTokens() is { Count: 1 } expected
                && parser.Vocabulary.GetLiteralName(expected.MinElement) is { } only)
            {
                throw new CelSyntaxException(atEnd ? $"Expected {only} before the end" : $"Expected {only} but found '{offendingSymbol.Text}'", position);
            }

            throw atEnd
                ? new CelSyntaxException("Unexpected end of expression", position)
                : new CelSyntaxException($"Unexpected '{offendingSymbol.Text}'", position);
        }

        public void SyntaxError(TextWriter output, IRecognizer recognizer, int offendingSymbol, int line, int charPositionInLine, string msg, RecognitionException e)
        {
            var position = Position(line, charPositionInLine);
            var c = position < text.Length ? text[position] : '\0';
            throw c is '"' or '\'' or 'r' or 'R' or 'b' or 'B'
                ? new CelSyntaxException(WhatIsWrongWithString(position), position)
                : new CelSyntaxException($"Unexpected character '{c}'", position);
        }

        // The lexer only says that no token matched at a quote; find out why, for the message.
        private string WhatIsWrongWithString(int start)
        {
            var i = start;
            var raw = false;
            while (i < text.Length && text[i] is 'r' or 'R' or 'b' or 'B')
            {
                raw |= text[i] is 'r' or 'R';
                i++;
            }

            if (i >= text.Length || text[i] is not ('"' or '\''))
            {
                return $"Unexpected character '{text[start]}'";
            }

            var quote = text[i];
            var triple = i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote;
            for (i += triple ? 3 : 1; i < text.Length; i++)
            {
                if (text[i] == '\\' && !raw)
                {
                    if (i + 1 < text.Length && "abfnrtv\\'\"`?xXuU0123".IndexOf(text[i + 1], StringComparison.Ordinal) < 0)
                    {
                        return $"Unknown escape sequence '\\{text[i + 1]}'";
                    }

                    i++;
                }
                else if (!triple && text[i] is '\n' or '\r')
                {
                    return "Line break in a single-quoted string literal";
                }
                else if (text[i] == quote && (!triple || (i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote)))
                {
                    return "Invalid string literal";
                }
            }

            return "Unterminated string literal";
        }

        private int Position(int line, int column)
        {
            var index = 0;
            for (var l = 1; l < line && index < text.Length; l++)
            {
                var next = text.IndexOf('\n', index);
                index = next < 0 ? text.Length : next + 1;
            }

            return Math.Min(index + column, text.Length);
        }
    }

    /// <summary>Reads ANTLR's parse tree into <see cref="CelNode"/>s, bounding the depth it recurses to.</summary>
    private sealed class TreeReader
    {
        private int depth;

        public CelNode Expr(AntlrCel.CelParser.ExprContext context)
        {
            Enter(context);
            try
            {
                var condition = Or(context.e);
                return context.op is null ? condition : new CelConditional(condition, Or(context.e1), Expr(context.e2));
            }
            finally
            {
                depth--;
            }
        }

        // '||' and '&&' chains (and '!'/'-' runs) arrive as lists; folded, each element is a level of the tree that
        // the printer and readers recurse through, so it counts towards the bound.
        private CelNode Or(AntlrCel.CelParser.ConditionalOrContext context) =>
            Chain(context, context._e1.Count, () => context._e1.Aggregate(And(context.e), (left, right) => new CelBinary("||", left, And(right))));

        private CelNode And(AntlrCel.CelParser.ConditionalAndContext context) =>
            Chain(context, context._e1.Count, () => context._e1.Aggregate(Relation(context.e), (left, right) => new CelBinary("&&", left, Relation(right))));

        private CelNode Chain(ParserRuleContext context, int length, Func<CelNode> fold)
        {
            depth += length;
            try
            {
                if (depth > MaxTreeDepth)
                {
                    throw new CelSyntaxException("Expression nested too deeply", context.Start.StartIndex);
                }

                return fold();
            }
            finally
            {
                depth -= length;
            }
        }

        private CelNode Relation(AntlrCel.CelParser.RelationContext context)
        {
            if (context.calc() is { } calc)
            {
                return Calc(calc);
            }

            Enter(context);
            try
            {
                return new CelBinary(context.op.Text, Relation(context.relation(0)), Relation(context.relation(1)));
            }
            finally
            {
                depth--;
            }
        }

        private CelNode Calc(AntlrCel.CelParser.CalcContext context)
        {
            if (context.unary() is { } unary)
            {
                return Unary(unary);
            }

            Enter(context);
            try
            {
                return new CelBinary(context.op.Text, Calc(context.calc(0)), Calc(context.calc(1)));
            }
            finally
            {
                depth--;
            }
        }

        private CelNode Unary(AntlrCel.CelParser.UnaryContext context)
        {
            switch (context)
            {
                case AntlrCel.CelParser.LogicalNotContext not:
                    return Chain(not, not._ops.Count, () => not._ops.Aggregate(Member(not.member()), (operand, _) => new CelUnary("!", operand)));
                case AntlrCel.CelParser.NegateContext negate:
                    return Chain(negate, negate._ops.Count, () => Negate(negate));
                case AntlrCel.CelParser.MemberExprContext member:
                    return Member(member.member());
                default:
                    throw Unsupported(context);
            }
        }

        // The grammar reads one minus before a number as part of the literal; with more ("--1"), the last minus
        // is kept with the number as well, so that what the printer writes, "(-(-1))", reads back as the same tree.
        private CelNode Negate(AntlrCel.CelParser.NegateContext negate)
        {
            var count = negate._ops.Count;
            var member = negate.member();
            CelNode operand;
            if (member is AntlrCel.CelParser.PrimaryExprContext { } primary && primary.primary() is AntlrCel.CelParser.ConstantLiteralContext constant
                && constant.literal() is AntlrCel.CelParser.IntContext { sign: null } or AntlrCel.CelParser.DoubleContext { sign: null })
            {
                var literal = constant.literal();
                operand = literal is AntlrCel.CelParser.IntContext i
                    ? CelLiterals.Int(i.tok.Text, negative: true, literal.Start.StartIndex)
                    : CelLiterals.Double(((AntlrCel.CelParser.DoubleContext)literal).tok.Text, negative: true, literal.Start.StartIndex);
                count--;
            }
            else
            {
                operand = Member(member);
            }

            for (var i = 0; i < count; i++)
            {
                operand = new CelUnary("-", operand);
            }

            return operand;
        }

        private CelNode Member(AntlrCel.CelParser.MemberContext context)
        {
            Enter(context);
            try
            {
                return context switch
                {
                    AntlrCel.CelParser.PrimaryExprContext primary => Primary(primary.primary()),
                    AntlrCel.CelParser.SelectContext select => new CelSelect(Member(select.member()), select.id.Text, select.opt is not null),
                    AntlrCel.CelParser.MemberCallContext call => new CelCall(Member(call.member()), call.id.Text, Arguments(call.args)),
                    AntlrCel.CelParser.IndexContext index => new CelIndex(Member(index.member()), Expr(index.index), index.opt is not null),
                    _ => throw Unsupported(context),
                };
            }
            finally
            {
                depth--;
            }
        }

        private CelNode Primary(AntlrCel.CelParser.PrimaryContext context)
        {
            switch (context)
            {
                case AntlrCel.CelParser.IdentOrGlobalCallContext ident:
                    if (ident.leadingDot is not null)
                    {
                        throw new CelSyntaxException("Leading-dot names are not supported", ident.Start.StartIndex);
                    }

                    if (ReservedWords.Contains(ident.id.Text))
                    {
                        throw new CelSyntaxException($"'{ident.id.Text}' is a reserved word", ident.id.StartIndex);
                    }

                    return ident.op is null ? new CelIdent(ident.id.Text) : new CelCall(null, ident.id.Text, Arguments(ident.args));
                case AntlrCel.CelParser.NestedContext nested:
                    return Expr(nested.e);
                case AntlrCel.CelParser.CreateListContext list:
                    return new CelList((list.elems?._elems ?? new List<AntlrCel.CelParser.OptExprContext>())
                        .Select(e => e.opt is null ? Expr(e.e) : throw new CelSyntaxException("Optional list elements are not supported", e.opt.StartIndex))
                        .ToList());
                case AntlrCel.CelParser.CreateStructContext map:
                    return Map(map.entries);
                case AntlrCel.CelParser.CreateMessageContext message:
                    throw new CelSyntaxException("Message construction is not supported", message.op?.StartIndex ?? message.Start.StartIndex);
                case AntlrCel.CelParser.ConstantLiteralContext constant:
                    return Literal(constant.literal());
                default:
                    throw Unsupported(context);
            }
        }

        private CelMap Map(AntlrCel.CelParser.MapInitializerListContext? entries)
        {
            var result = new List<CelMapEntry>();
            if (entries is null)
            {
                return new CelMap(result);
            }

            for (var i = 0; i < entries._keys.Count; i++)
            {
                var key = entries._keys[i];
                if (key.opt is not null)
                {
                    throw new CelSyntaxException("Optional map entries are not supported", key.opt.StartIndex);
                }

                result.Add(new CelMapEntry(Expr(key.e), Expr(entries._values[i])));
            }

            return new CelMap(result);
        }

        private List<CelNode> Arguments(AntlrCel.CelParser.ExprListContext? args) =>
            args is null ? new List<CelNode>() : args._e.Select(Expr).ToList();

        private static CelLiteral Literal(AntlrCel.CelParser.LiteralContext context)
        {
            var position = context.Start.StartIndex;
            return context switch
            {
                AntlrCel.CelParser.IntContext i => CelLiterals.Int(i.tok.Text, i.sign is not null, position),
                AntlrCel.CelParser.UintContext u => CelLiterals.Uint(u.tok.Text, position),
                AntlrCel.CelParser.DoubleContext d => CelLiterals.Double(d.tok.Text, d.sign is not null, position),
                AntlrCel.CelParser.StringContext s => CelLiterals.Quoted(s.tok.Text, position),
                AntlrCel.CelParser.BytesContext b => CelLiterals.Quoted(b.tok.Text, position),
                AntlrCel.CelParser.BoolTrueContext => CelLiteral.True,
                AntlrCel.CelParser.BoolFalseContext => CelLiteral.False,
                AntlrCel.CelParser.NullContext => new CelLiteral(CelLiteralKind.Null, null),
                _ => throw Unsupported(context),
            };
        }

        private void Enter(ParserRuleContext context)
        {
            if (++depth > MaxTreeDepth)
            {
                depth--;
                throw new CelSyntaxException("Expression nested too deeply", context.Start.StartIndex);
            }
        }

        // Only a grammar newer than the one this reader was written for gets here.
        private static CelSyntaxException Unsupported(ParserRuleContext context) =>
            new($"Unsupported construct '{context.GetText()}'", context.Start.StartIndex);
    }
}

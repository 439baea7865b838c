namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// A recursive-descent parser for CEL expressions (the grammar of the CEL specification, with optional
/// field selection and indexing). Message construction (<c>Type{field: v}</c>) and optional list/map entries
/// are not read: they throw <see cref="CelSyntaxException"/>, as malformed text does.
/// </summary>
internal sealed class CelLegacyParser
{
    // The apiserver limits nesting too; this only keeps a hostile expression from exhausting the stack.
    private const int MaxDepth = 200;

    private static readonly HashSet<string> RelationOperators = new(StringComparer.Ordinal) { "==", "!=", "<", "<=", ">", ">=" };
    private static readonly HashSet<string> ReservedWords = new(StringComparer.Ordinal)
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    };

    private readonly List<CelToken> tokens;
    private int position;
    private int depth;

    private CelLegacyParser(List<CelToken> tokens)
    {
        this.tokens = tokens;
    }

    /// <summary>Parses a whole expression; throws <see cref="CelSyntaxException"/>.</summary>
    public static CelNode Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new CelSyntaxException("Empty expression", 0);
        }

        var parser = new CelLegacyParser(CelLexer.Tokenize(text));
        var node = parser.ParseExpression();
        if (parser.Current.Kind != CelTokenKind.End)
        {
            throw new CelSyntaxException($"Unexpected '{parser.Current.Text}'", parser.Current.Position);
        }

        return node;
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

    private CelToken Current => tokens[position];

    private bool IsPunctuation(string text) => Current.Kind == CelTokenKind.Punctuation && Current.Text == text;

    private bool IsKeyword(string word) => Current.Kind == CelTokenKind.Identifier && Current.Text == word;

    private CelToken Advance() => tokens[position++];

    private bool Accept(string punctuation)
    {
        if (IsPunctuation(punctuation))
        {
            position++;
            return true;
        }

        return false;
    }

    private void Expect(string punctuation)
    {
        if (!Accept(punctuation))
        {
            throw new CelSyntaxException(
                Current.Kind == CelTokenKind.End ? $"Expected '{punctuation}' before the end" : $"Expected '{punctuation}' but found '{Current.Text}'",
                Current.Position);
        }
    }

    private CelNode ParseExpression()
    {
        if (++depth > MaxDepth)
        {
            throw new CelSyntaxException("Expression nested too deeply", Current.Position);
        }

        try
        {
            var condition = ParseOr();
            if (!Accept("?"))
            {
                return condition;
            }

            var whenTrue = ParseOr();
            Expect(":");
            var whenFalse = ParseExpression();
            return new CelConditional(condition, whenTrue, whenFalse);
        }
        finally
        {
            depth--;
        }
    }

    private CelNode ParseOr()
    {
        var left = ParseAnd();
        while (Accept("||"))
        {
            left = new CelBinary("||", left, ParseAnd());
        }

        return left;
    }

    private CelNode ParseAnd()
    {
        var left = ParseRelation();
        while (Accept("&&"))
        {
            left = new CelBinary("&&", left, ParseRelation());
        }

        return left;
    }

    private CelNode ParseRelation()
    {
        var left = ParseAddition();
        while (true)
        {
            string op;
            if (Current.Kind == CelTokenKind.Punctuation && RelationOperators.Contains(Current.Text))
            {
                op = Advance().Text;
            }
            else if (IsKeyword("in"))
            {
                Advance();
                op = "in";
            }
            else
            {
                return left;
            }

            left = new CelBinary(op, left, ParseAddition());
        }
    }

    private CelNode ParseAddition()
    {
        var left = ParseMultiplication();
        while (IsPunctuation("+") || IsPunctuation("-"))
        {
            var op = Advance().Text;
            left = new CelBinary(op, left, ParseMultiplication());
        }

        return left;
    }

    private CelNode ParseMultiplication()
    {
        var left = ParseUnary();
        while (IsPunctuation("*") || IsPunctuation("/") || IsPunctuation("%"))
        {
            var op = Advance().Text;
            left = new CelBinary(op, left, ParseUnary());
        }

        return left;
    }

    private CelNode ParseUnary()
    {
        if (IsPunctuation("!"))
        {
            Advance();
            return new CelUnary("!", ParseUnary());
        }

        if (IsPunctuation("-"))
        {
            var minus = Advance();

            // A negative literal is one literal: -9223372036854775808 is a valid int.
            if (Current.Kind is CelTokenKind.Int or CelTokenKind.Double && !IsSelectionAfterLiteral())
            {
                var literal = Advance();
                return ParseMemberSuffix(literal.Value switch
                {
                    long l => new CelLiteral(CelLiteralKind.Int, -l),
                    ulong => new CelLiteral(CelLiteralKind.Int, long.MinValue),
                    double d => new CelLiteral(CelLiteralKind.Double, -d),
                    _ => throw new CelSyntaxException("Invalid number", minus.Position),
                });
            }

            return new CelUnary("-", ParseUnary());
        }

        return ParseMember();
    }

    // "-1.foo()" would apply the call to 1, not to -1; keep the general path for such (odd) text.
    private bool IsSelectionAfterLiteral() =>
        tokens[position + 1].Kind == CelTokenKind.Punctuation && tokens[position + 1].Text is "." or ".?" or "[" or "[?";

    private CelNode ParseMember() => ParseMemberSuffix(ParsePrimary());

    private CelNode ParseMemberSuffix(CelNode node)
    {
        while (true)
        {
            if (IsPunctuation(".") || IsPunctuation(".?"))
            {
                var optional = Advance().Text == ".?";
                var name = ExpectIdentifier();
                if (!optional && IsPunctuation("("))
                {
                    Advance();
                    node = new CelCall(node, name, ParseArguments(")"));
                }
                else
                {
                    node = new CelSelect(node, name, optional);
                }
            }
            else if (IsPunctuation("[") || IsPunctuation("[?"))
            {
                var optional = Advance().Text == "[?";
                var index = ParseExpression();
                Expect("]");
                node = new CelIndex(node, index, optional);
            }
            else if (IsPunctuation("{"))
            {
                throw new CelSyntaxException("Message construction is not supported", Current.Position);
            }
            else
            {
                return node;
            }
        }
    }

    private string ExpectIdentifier()
    {
        if (Current.Kind != CelTokenKind.Identifier)
        {
            throw new CelSyntaxException($"Expected a field name but found '{Current.Text}'", Current.Position);
        }

        return Advance().Text;
    }

    private CelNode ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case CelTokenKind.Int:
                Advance();
                return token.Value is long l ? new CelLiteral(CelLiteralKind.Int, l) : throw new CelSyntaxException("Integer literal out of range", token.Position);
            case CelTokenKind.Uint:
                Advance();
                return new CelLiteral(CelLiteralKind.Uint, token.Value);
            case CelTokenKind.Double:
                Advance();
                return new CelLiteral(CelLiteralKind.Double, token.Value);
            case CelTokenKind.String:
                Advance();
                return new CelLiteral(CelLiteralKind.String, token.Value);
            case CelTokenKind.Bytes:
                Advance();
                return new CelLiteral(CelLiteralKind.Bytes, token.Value);
            case CelTokenKind.Identifier:
                return ParseIdentifier();
            case CelTokenKind.End:
                throw new CelSyntaxException("Unexpected end of expression", token.Position);
        }

        if (Accept("("))
        {
            var inner = ParseExpression();
            Expect(")");
            return inner;
        }

        if (Accept("["))
        {
            if (IsPunctuation("?"))
            {
                throw new CelSyntaxException("Optional list elements are not supported", Current.Position);
            }

            return new CelList(ParseArguments("]"));
        }

        if (IsPunctuation("[?"))
        {
            throw new CelSyntaxException("Optional list elements are not supported", Current.Position);
        }

        if (Accept("{"))
        {
            return ParseMapLiteral();
        }

        if (IsPunctuation("."))
        {
            throw new CelSyntaxException("Leading-dot names are not supported", token.Position);
        }

        throw new CelSyntaxException($"Unexpected '{token.Text}'", token.Position);
    }

    private CelNode ParseIdentifier()
    {
        var token = Advance();
        switch (token.Text)
        {
            case "true":
                return CelLiteral.True;
            case "false":
                return CelLiteral.False;
            case "null":
                return new CelLiteral(CelLiteralKind.Null, null);
            case "in":
                throw new CelSyntaxException("Unexpected 'in'", token.Position);
        }

        if (ReservedWords.Contains(token.Text))
        {
            throw new CelSyntaxException($"'{token.Text}' is a reserved word", token.Position);
        }

        if (Accept("("))
        {
            return new CelCall(null, token.Text, ParseArguments(")"));
        }

        return new CelIdent(token.Text);
    }

    private List<CelNode> ParseArguments(string close)
    {
        var items = new List<CelNode>();
        if (Accept(close))
        {
            return items;
        }

        while (true)
        {
            items.Add(ParseExpression());
            if (Accept(close))
            {
                return items;
            }

            Expect(",");

            // A trailing comma is allowed in list and map literals (and harmless in calls).
            if (Accept(close))
            {
                return items;
            }
        }
    }

    private CelMap ParseMapLiteral()
    {
        var entries = new List<CelMapEntry>();
        if (Accept("}"))
        {
            return new CelMap(entries);
        }

        while (true)
        {
            if (IsPunctuation("?"))
            {
                throw new CelSyntaxException("Optional map entries are not supported", Current.Position);
            }

            var key = ParseExpression();
            Expect(":");
            entries.Add(new CelMapEntry(key, ParseExpression()));
            if (Accept("}"))
            {
                return new CelMap(entries);
            }

            Expect(",");
            if (Accept("}"))
            {
                return new CelMap(entries);
            }
        }
    }
}

using System.Globalization;
using System.Text;

namespace HostNetAudit.Engine.Policy.Gatekeeper;

/// <summary>A Rego token. Comments are dropped by the lexer; newlines are kept (they end statements).</summary>
internal sealed record RegoToken(RegoTokenKind Kind, string Text, int Line);

internal enum RegoTokenKind
{
    Identifier,
    String,
    Number,
    Operator,
    Newline,
}

/// <summary>A Rego expression, as far as the recognizer reads them.</summary>
internal abstract record RegoExpr;

internal sealed record RegoLiteral(object? Value) : RegoExpr;

/// <summary>A variable or a reference root (input, data, a rule, an import alias).</summary>
internal sealed record RegoVar(string Name) : RegoExpr;

/// <summary><c>a.b</c> (Key a string literal) or <c>a[k]</c>.</summary>
internal sealed record RegoIndex(RegoExpr Operand, RegoExpr Key) : RegoExpr;

/// <summary>A call: <c>f(x)</c>, <c>core.format(x)</c> (the function as a dotted name).</summary>
internal sealed record RegoCall(string Function, IReadOnlyList<RegoExpr> Args) : RegoExpr;

internal sealed record RegoBinary(string Operator, RegoExpr Left, RegoExpr Right) : RegoExpr;

internal sealed record RegoNot(RegoExpr Operand) : RegoExpr;

internal sealed record RegoArray(IReadOnlyList<RegoExpr> Items) : RegoExpr;

internal sealed record RegoSetLiteral(IReadOnlyList<RegoExpr> Items) : RegoExpr;

internal sealed record RegoObject(IReadOnlyList<(RegoExpr Key, RegoExpr Value)> Entries) : RegoExpr;

/// <summary><c>some x in xs</c> (or <c>some k, v in xs</c>): iteration over a collection.</summary>
internal sealed record RegoSomeIn(string? Key, string Value, RegoExpr Collection) : RegoExpr;

/// <summary>A construct the recognizer does not read (comprehensions, every, with ...): evaluating it is Unknown.</summary>
internal sealed record RegoUnsupported(string Construct) : RegoExpr;

/// <summary>
/// One definition of a rule: <c>name</c>, <c>name[key]</c> / <c>name contains key</c> (a partial set),
/// <c>name(args)</c> (a function), its value (<c>= v</c> / <c>:= v</c>, else true), its body (empty = always),
/// and the <c>else</c> definitions tried when the body fails.
/// </summary>
internal sealed record RegoRule(string Name, IReadOnlyList<RegoExpr>? Args, RegoExpr? Key, RegoExpr? Value, IReadOnlyList<RegoExpr> Body, bool IsDefault, int Line)
{
    public List<RegoRule> Else { get; } = new();

    public bool HasBraceBody { get; init; }
}

/// <summary>A Rego module: its package, its imports (alias → path) and its rules.</summary>
internal sealed class RegoModule
{
    public string Package { get; set; } = string.Empty;

    public Dictionary<string, string> Imports { get; } = new(StringComparer.Ordinal);

    public List<RegoRule> Rules { get; } = new();
}

/// <summary>
/// Reads Rego text into modules: a string-aware lexer (a <c>#</c> inside a "string" or a `raw string` is no
/// comment) and a parser for the rule heads and body statements policies use. Never throws: what it cannot read
/// becomes <see cref="RegoUnsupported"/> (or, for the module, the error <see cref="Parse"/> names).
/// </summary>
internal static class RegoSyntax
{
    private static readonly string[] Operators = { ":=", "==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "|", "&", ".", ",", ";", ":", "(", ")", "[", "]", "{", "}" };

    /// <summary>Tokens of a Rego text without its comments; null when the text cannot be tokenized (an unterminated string).</summary>
    public static List<RegoToken>? Lex(string text)
    {
        var tokens = new List<RegoToken>();
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n')
            {
                tokens.Add(new RegoToken(RegoTokenKind.Newline, "\n", line++));
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '"')
            {
                var value = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\n')
                    {
                        return null;
                    }

                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                        value.Append(text[i] switch { 'n' => '\n', 't' => '\t', var e => e });
                    }
                    else
                    {
                        value.Append(text[i]);
                    }

                    i++;
                }

                if (i >= text.Length)
                {
                    return null;
                }

                tokens.Add(new RegoToken(RegoTokenKind.String, value.ToString(), line));
                i++;
            }
            else if (c == '`')
            {
                var end = text.IndexOf('`', i + 1);
                if (end < 0)
                {
                    return null;
                }

                var raw = text[(i + 1)..end];
                tokens.Add(new RegoToken(RegoTokenKind.String, raw, line));
                line += raw.Count(ch => ch == '\n');
                i = end + 1;
            }
            else if (char.IsDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.' || text[i] is 'e' or 'E'))
                {
                    i++;
                }

                tokens.Add(new RegoToken(RegoTokenKind.Number, text[start..i], line));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new RegoToken(RegoTokenKind.Identifier, text[start..i], line));
            }
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0);
                if (op is null)
                {
                    return null;
                }

                tokens.Add(new RegoToken(RegoTokenKind.Operator, op, line));
                i += op.Length;
            }
        }

        return tokens;
    }

    /// <summary>Parses one module; a problem the parser meets is <paramref name="error"/> (the construct and its line).</summary>
    public static RegoModule? Parse(string text, out string? error)
    {
        var tokens = Lex(text);
        if (tokens is null)
        {
            error = "a string that does not end";
            return null;
        }

        var parser = new Parser(tokens);
        try
        {
            var module = parser.Module();
            error = null;
            return module;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>A recursive-descent parser over the tokens; problems are FormatExceptions caught by <see cref="Parse"/>.</summary>
    private sealed class Parser
    {
        private readonly List<RegoToken> tokens;
        private int position;

        public Parser(List<RegoToken> tokens)
        {
            this.tokens = tokens;
        }

        private RegoToken? Current => position < tokens.Count ? tokens[position] : null;

        private int Line => Current?.Line ?? (tokens.Count > 0 ? tokens[^1].Line : 1);

        public RegoModule Module()
        {
            var module = new RegoModule();
            SkipNewlines();
            Expect("package");
            module.Package = DottedName();
            while (true)
            {
                SkipNewlines();
                if (Current is null)
                {
                    return module;
                }

                if (Accept("import"))
                {
                    var path = DottedName();
                    var alias = Accept("as") ? Identifier() : path[(path.LastIndexOf('.') + 1)..];
                    module.Imports[alias] = path;
                    continue;
                }

                var rule = Rule();
                if (rule.Name == "else")
                {
                    throw new FormatException($"an else without a rule before it (line {rule.Line})");
                }

                module.Rules.Add(rule);
                while (true)
                {
                    var save = position;
                    SkipNewlines();
                    if (!Accept("else"))
                    {
                        position = save;
                        break;
                    }

                    var line = Line;
                    RegoExpr? value = null;
                    if (Accept("=") || Accept(":="))
                    {
                        value = Expression();
                    }

                    var body = RuleBody(out var braces);
                    rule.Else.Add(new RegoRule(rule.Name, rule.Args, null, value, body, false, line) { HasBraceBody = braces });
                }
            }
        }

        private RegoRule Rule()
        {
            var line = Line;
            var isDefault = Accept("default");
            var name = DottedName();
            IReadOnlyList<RegoExpr>? args = null;
            RegoExpr? key = null;
            RegoExpr? value = null;
            if (Accept("("))
            {
                args = List(")");
            }
            else if (Accept("["))
            {
                key = Expression();
                Expect("]");
            }
            else if (Accept("contains"))
            {
                key = Expression();
            }

            if (Accept("=") || Accept(":="))
            {
                value = Expression();
            }

            if (isDefault)
            {
                return new RegoRule(name, args, key, value, Array.Empty<RegoExpr>(), true, line);
            }

            var body = RuleBody(out var braces);
            return new RegoRule(name, args, key, value, body, false, line) { HasBraceBody = braces };
        }

        /// <summary>A body in braces (optionally after "if"), an "if" followed by one expression, or none (a constant).</summary>
        private List<RegoExpr> RuleBody(out bool braces)
        {
            braces = false;
            var hasIf = Accept("if");
            if (Current is { Text: "{" } && (hasIf || Current.Kind == RegoTokenKind.Operator))
            {
                position++;
                braces = true;
                var statements = new List<RegoExpr>();
                while (true)
                {
                    SkipSeparators();
                    if (Accept("}"))
                    {
                        return statements;
                    }

                    if (Current is null)
                    {
                        throw new FormatException($"a rule body that does not end (line {Line})");
                    }

                    statements.Add(Statement());
                }
            }

            return hasIf ? new List<RegoExpr> { Statement() } : new List<RegoExpr>();
        }

        private RegoExpr Statement()
        {
            if (Accept("not"))
            {
                return new RegoNot(Expression());
            }

            if (Accept("some"))
            {
                var first = Identifier();
                string? second = null;
                if (Accept(","))
                {
                    second = Identifier();
                }

                if (Accept("in"))
                {
                    var collection = Expression();
                    return second is null ? new RegoSomeIn(null, first, collection) : new RegoSomeIn(first, second, collection);
                }

                while (Accept(","))
                {
                    Identifier();
                }

                return new RegoLiteral(true); // a declaration of local variables
            }

            if (Current is { Text: "every" })
            {
                SkipStatement();
                return new RegoUnsupported("every");
            }

            var expression = Expression();
            if (Current is { Text: "with" })
            {
                SkipStatement();
                return new RegoUnsupported("with");
            }

            return expression;
        }

        private void SkipStatement()
        {
            var depth = 0;
            while (Current is { } token && (depth > 0 || (token.Kind != RegoTokenKind.Newline && token.Text is not (";" or "}"))))
            {
                depth += token.Text is "(" or "[" or "{" ? 1 : token.Text is ")" or "]" or "}" ? -1 : 0;
                position++;
            }
        }

        private RegoExpr Expression() => Binary(0);

        private static int Precedence(string op) => op switch
        {
            ":=" or "=" => 1,
            "|" => 2,
            "&" => 3,
            "==" or "!=" or "<" or "<=" or ">" or ">=" or "in" => 4,
            "+" or "-" => 5,
            "*" or "/" or "%" => 6,
            _ => -1,
        };

        private RegoExpr Binary(int minimum)
        {
            var left = Postfix();
            while (Current is { } token && (token.Kind == RegoTokenKind.Operator || token.Text == "in") && Precedence(token.Text) >= minimum && Precedence(token.Text) > 0)
            {
                var op = token.Text;
                position++;
                SkipNewlines();
                var right = Binary(Precedence(op) + (op is ":=" or "=" ? 0 : 1));
                left = new RegoBinary(op, left, right);
            }

            return left;
        }

        private RegoExpr Postfix()
        {
            var expression = Primary();
            while (true)
            {
                if (Current is { Text: "." } && position + 1 < tokens.Count && tokens[position + 1].Kind == RegoTokenKind.Identifier)
                {
                    position++;
                    var field = Identifier();
                    if (Accept("("))
                    {
                        var args = List(")");
                        return Name(expression) is { } receiver ? new RegoCall(receiver + "." + field, args) : new RegoUnsupported("a method call");
                    }

                    expression = new RegoIndex(expression, new RegoLiteral(field));
                }
                else if (Current is { Text: "[" })
                {
                    position++;
                    SkipNewlines();
                    var key = Expression();
                    SkipNewlines();
                    Expect("]");
                    expression = new RegoIndex(expression, key);
                }
                else if (Current is { Text: "(" } && Name(expression) is { } function)
                {
                    position++;
                    expression = new RegoCall(function, List(")"));
                }
                else
                {
                    return expression;
                }
            }
        }

        /// <summary>The dotted name of a reference made of a variable and string keys ("core.format"), else null.</summary>
        private static string? Name(RegoExpr expression) => expression switch
        {
            RegoVar v => v.Name,
            RegoIndex { Key: RegoLiteral { Value: string field } } index when Name(index.Operand) is { } operand => operand + "." + field,
            _ => null,
        };

        private RegoExpr Primary()
        {
            var token = Current ?? throw new FormatException($"an expression that ends early (line {Line})");
            position++;
            switch (token.Kind)
            {
                case RegoTokenKind.String:
                    return new RegoLiteral(token.Text);
                case RegoTokenKind.Number:
                    return double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                        ? new RegoLiteral(number)
                        : throw new FormatException($"the number {token.Text} (line {token.Line})");
                case RegoTokenKind.Identifier:
                    return token.Text switch
                    {
                        "true" => new RegoLiteral(true),
                        "false" => new RegoLiteral(false),
                        "null" => new RegoLiteral(null),
                        "not" => new RegoNot(Postfix()),
                        _ => new RegoVar(token.Text),
                    };
            }

            switch (token.Text)
            {
                case "-" when Current is { Kind: RegoTokenKind.Number } next:
                    position++;
                    return new RegoLiteral(-double.Parse(next.Text, CultureInfo.InvariantCulture));
                case "(":
                    SkipNewlines();
                    var inner = Expression();
                    SkipNewlines();
                    Expect(")");
                    return inner;
                case "[":
                    return Comprehension("]") ?? new RegoArray(List("]"));
                case "{":
                    return Comprehension("}") ?? Braces();
                default:
                    throw new FormatException($"'{token.Text}' where an expression belongs (line {token.Line})");
            }
        }

        /// <summary>A comprehension ([x | ...], {x | ...}): skipped as unsupported; null when the bracket holds no "|".</summary>
        private RegoExpr? Comprehension(string close)
        {
            var depth = 0;
            for (var i = position; i < tokens.Count; i++)
            {
                var text = tokens[i].Text;
                if (depth == 0 && text == "|")
                {
                    var open = close == "]" ? "[" : "{";
                    var level = 1;
                    while (position < tokens.Count && level > 0)
                    {
                        level += tokens[position].Text == open ? 1 : tokens[position].Text == close ? -1 : 0;
                        position++;
                    }

                    return new RegoUnsupported("a comprehension");
                }

                if (depth == 0 && text == close)
                {
                    return null;
                }

                depth += text is "(" or "[" or "{" ? 1 : text is ")" or "]" or "}" ? -1 : 0;
            }

            return null;
        }

        /// <summary>An object ({"k": v}) or a set ({a, b}); "{" was read.</summary>
        private RegoExpr Braces()
        {
            SkipNewlines();
            if (Accept("}"))
            {
                return new RegoObject(Array.Empty<(RegoExpr, RegoExpr)>());
            }

            var first = Expression();
            SkipNewlines();
            if (Accept(":"))
            {
                SkipNewlines();
                var entries = new List<(RegoExpr, RegoExpr)> { (first, Expression()) };
                while (true)
                {
                    SkipNewlines();
                    if (Accept("}"))
                    {
                        return new RegoObject(entries);
                    }

                    Expect(",");
                    SkipNewlines();
                    if (Accept("}"))
                    {
                        return new RegoObject(entries);
                    }

                    var key = Expression();
                    SkipNewlines();
                    Expect(":");
                    SkipNewlines();
                    entries.Add((key, Expression()));
                }
            }

            var items = new List<RegoExpr> { first };
            while (Accept(","))
            {
                SkipNewlines();
                if (Current is { Text: "}" })
                {
                    break;
                }

                items.Add(Expression());
                SkipNewlines();
            }

            Expect("}");
            return new RegoSetLiteral(items);
        }

        private List<RegoExpr> List(string close)
        {
            var items = new List<RegoExpr>();
            SkipNewlines();
            if (Accept(close))
            {
                return items;
            }

            while (true)
            {
                SkipNewlines();
                items.Add(Expression());
                SkipNewlines();
                if (Accept(close))
                {
                    return items;
                }

                Expect(",");
                SkipNewlines();
                if (Accept(close))
                {
                    return items;
                }
            }
        }

        private string DottedName()
        {
            var name = Identifier();
            while (Current is { Text: "." } && position + 1 < tokens.Count && tokens[position + 1].Kind == RegoTokenKind.Identifier)
            {
                position++;
                name += "." + Identifier();
            }

            return name;
        }

        private string Identifier()
        {
            if (Current is not { Kind: RegoTokenKind.Identifier } token)
            {
                throw new FormatException($"a name expected (line {Line})");
            }

            position++;
            return token.Text;
        }

        private bool Accept(string text)
        {
            if (Current is { } token && token.Text == text && token.Kind != RegoTokenKind.String)
            {
                position++;
                return true;
            }

            return false;
        }

        private void Expect(string text)
        {
            if (!Accept(text))
            {
                throw new FormatException($"'{text}' expected, found '{Current?.Text.Trim() ?? "the end"}' (line {Line})");
            }
        }

        private void SkipNewlines()
        {
            while (Current is { Kind: RegoTokenKind.Newline })
            {
                position++;
            }
        }

        private void SkipSeparators()
        {
            while (Current is { Kind: RegoTokenKind.Newline } or { Text: ";" })
            {
                position++;
            }
        }
    }
}

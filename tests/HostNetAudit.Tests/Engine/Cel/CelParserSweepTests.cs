using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Cel;
using Xunit;
using Xunit.Abstractions;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>
/// Every CEL expression of the corpus and of the tests through the front end: what it reads prints as text that it
/// reads back as the same tree. (Before the module's own lexer and parser were removed, this sweep compared them
/// with the front end: see the CHANGELOG.)
/// </summary>
public class CelParserSweepTests
{
    private static readonly Regex JsonExpression = new("\"(?:expression|messageExpression)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"", RegexOptions.Compiled);
    private static readonly Regex CSharpString = new("(?<![@$\"])\"((?:[^\"\\\\\\n]|\\\\.)+)\"", RegexOptions.Compiled);

    // Where a grammar and a printer could part: signs and literals, optional syntax, ternaries, escapes, reserved words.
    private static readonly string[] EdgeCases =
    {
        "-1", "--1", "- 1", "-1.5", "-x", "!!x", "-9223372036854775808", "9223372036854775807", "18446744073709551615u",
        "0x7fffffffffffffff", "-0x8000000000000000", "0xFFu", "1e3", "1.5e-3", ".5", "1.", "c ?.5 : 1", "a ? b : c ? d : e",
        "a.?b.c", "a[?0]", "a.?b.orValue(1)", "[?a]", "{?'k': v}", "x.y{z: 1}", ".x", "a.b(c)[d].e", "f()", "f(,)", "[1, 2,]",
        "{'a': 1,}", "a in b in c", "a < b < c", "1 + 2 * 3 % 4 - 5 / 6", @"'\x41\101\u00e9\U0001F600'", @"b'\377\x00'",
        @"r'\d+'", "'''a\nb'''", "\"\"\"q\"\"\"", @"'a\'b'", "'unterminated", @"'bad \q'", "if", "in", "a.in", "x.while",
        "null == null", "true && false || true", "a // comment\n && b", "(((a)))", "a +", "a b", "()", "a..b", "a.1",
        "'line\nbreak'", "1 ? 2 : 3 ? 4 : 5", "x.all(c, c > 0) && y.exists_one(d, d)",
    };

    private readonly ITestOutputHelper output;

    public CelParserSweepTests(ITestOutputHelper output) => this.output = output;

    [Fact]
    public void Every_expression_of_the_corpus_and_the_tests_prints_as_text_that_reads_back_the_same()
    {
        var corpus = CorpusExpressions().ToList();
        var expressions = TestExpressions().Concat(corpus).Concat(EdgeCases).Distinct(StringComparer.Ordinal).ToList();
        Assert.True(expressions.Count > 3000, $"expected the tests' CEL expressions, found {expressions.Count}");

        var differences = new List<string>();
        var refused = 0;
        var optional = 0;
        foreach (var expression in expressions)
        {
            var first = Outcome(() => CelParser.Parse(expression));
            if (first.Node is null)
            {
                refused++;
                continue;
            }

            // Optional syntax prints only after the rewriter has replaced it.
            if (CelTree.Descendants(first.Node).Any(n => n is CelSelect { Optional: true } or CelIndex { Optional: true }))
            {
                optional++;
                continue;
            }

            var again = Outcome(() => CelParser.Parse(CelPrinter.Print(first.Node)));
            if (again.Tree != first.Tree)
            {
                differences.Add($"{expression}\n  first: {first.Tree}\n  again: {again.Tree ?? again.Error}");
            }
        }

        output.WriteLine($"{corpus.Count} from the corpus; {expressions.Count} distinct expressions, {refused} refused, {optional} with optional syntax, {differences.Count} read back differently");
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    private static (CelNode? Node, string? Tree, string? Error) Outcome(Func<CelNode> parse)
    {
        try
        {
            var node = parse();
            return (node, Dump(node), null);
        }
        catch (CelSyntaxException ex)
        {
            return (null, null, ex.Message);
        }
    }

    /// <summary>The tree, with what printing hides: optional markers and literal kinds.</summary>
    private static string Dump(CelNode node)
    {
        var b = new StringBuilder();
        Write(b, node);
        return b.ToString();
    }

    private static void Write(StringBuilder b, CelNode node)
    {
        switch (node)
        {
            case CelLiteral l:
                b.Append(l.Kind).Append(':').Append(l.Value switch
                {
                    byte[] bytes => Convert.ToHexString(bytes),
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    var v => JsonSerializer.Serialize(v),
                });
                break;
            case CelIdent i:
                b.Append(i.Name);
                break;
            case CelSelect s:
                b.Append("sel(");
                Write(b, s.Operand);
                b.Append(s.Optional ? ",?" : ",").Append(s.Field).Append(')');
                break;
            case CelIndex x:
                b.Append("idx(");
                Write(b, x.Operand);
                b.Append(x.Optional ? ",?" : ",");
                Write(b, x.Index);
                b.Append(')');
                break;
            case CelCall c:
                b.Append("call(");
                if (c.Target is not null)
                {
                    Write(b, c.Target);
                }

                b.Append(',').Append(c.Function);
                WriteAll(b, c.Args);
                break;
            case CelList list:
                b.Append("list(");
                WriteAll(b, list.Elements);
                break;
            case CelMap map:
                b.Append("map(");
                WriteAll(b, map.Entries.SelectMany(e => new[] { e.Key, e.Value }).ToList());
                break;
            case CelUnary u:
                b.Append(u.Operator).Append('(');
                Write(b, u.Operand);
                b.Append(')');
                break;
            case CelBinary bin:
                b.Append(bin.Operator).Append('(');
                Write(b, bin.Left);
                b.Append(',');
                Write(b, bin.Right);
                b.Append(')');
                break;
            case CelConditional cond:
                b.Append("cond(");
                WriteAll(b, new[] { cond.Condition, cond.WhenTrue, cond.WhenFalse });
                break;
        }
    }

    private static void WriteAll(StringBuilder b, IReadOnlyList<CelNode> nodes)
    {
        foreach (var n in nodes)
        {
            b.Append(',');
            Write(b, n);
        }

        b.Append(')');
    }

    private static IEnumerable<string> CorpusExpressions()
    {
        if (Support.Corpus.Directory is null)
        {
            return Array.Empty<string>();
        }

        return CelCorpusSweepTests.CorpusPolicies().SelectMany(p => p.Policy.Validations.Select(v => v.Expression)
            .Concat(p.Policy.Validations.Select(v => v.MessageExpression).OfType<string>())
            .Concat(p.Policy.Variables.Select(v => v.Expression))
            .Concat(p.Policy.MatchConditions.Select(m => m.Expression)))
            .Concat(Directory.EnumerateFiles(Support.Corpus.Directory)
                .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .SelectMany(f => YamlExpressions(File.ReadAllText(f))));
    }

    /// <summary>
    /// The expressions the tests hold: "expression" fields of JSON in C# and PowerShell sources and fixtures,
    /// YAML fixtures' expression fields, and and every ordinary string literal of the C# tests.
    /// </summary>
    private static IEnumerable<string> TestExpressions()
    {
        var tests = Path.Combine(RepositoryRoot(), "tests");
        foreach (var file in Directory.EnumerateFiles(tests, "*", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            var extension = Path.GetExtension(file);
            if (extension is not (".cs" or ".ps1" or ".psm1" or ".json" or ".yaml" or ".yml"))
            {
                continue;
            }

            var text = File.ReadAllText(file);
            foreach (Match m in JsonExpression.Matches(text))
            {
                if (TryJsonString(m.Groups[1].Value) is { } value)
                {
                    yield return value;
                }

                // The same JSON inside an ordinary C# string carries one more level of escapes.
                if (extension == ".cs" && TryJsonString(Regex.Unescape(m.Groups[1].Value)) is { } unescaped)
                {
                    yield return unescaped;
                }
            }

            if (extension is ".yaml" or ".yml" && text.Contains("expression", StringComparison.Ordinal))
            {
                foreach (var value in YamlExpressions(text))
                {
                    yield return value;
                }
            }

            // Every other C# string too: text that is not CEL must be refused by both, which is worth checking.
            if (extension == ".cs")
            {
                foreach (Match m in CSharpString.Matches(text))
                {
                    if (TryUnescape(m.Groups[1].Value) is { } value)
                    {
                        yield return value;
                    }
                }
            }
        }
    }

    private static string? TryUnescape(string body)
    {
        try
        {
            return Regex.Unescape(body);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string? TryJsonString(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<string>("\"" + body + "\"");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<string> YamlExpressions(string text)
    {
        var found = new List<string>();
        try
        {
            foreach (var document in YamlDocuments.Read(text).Where(d => d.Node is not null))
            {
                Collect(JsonSerializer.SerializeToElement(document.Node), found);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A fixture that is malformed on purpose holds no expression to compare.
        }

        return found;
    }

    private static void Collect(JsonElement element, List<string> found)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name is "expression" or "messageExpression" or "valueExpression" && property.Value.AsString() is { } value)
                {
                    found.Add(value);
                }

                Collect(property.Value, found);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, found);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HostNetAudit.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (HostNetAudit.slnx) was not found.");
    }
}

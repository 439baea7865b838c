using HostNetAudit.Engine.Policy.Cel;
using Xunit;

namespace HostNetAudit.Tests.Engine.Cel;

public class CelParserTests
{
    [Theory]
    [InlineData("a || b && c", "(a || (b && c))")]
    [InlineData("!a == b", "((!a) == b)")]
    [InlineData("a + b * c - d", "((a + (b * c)) - d)")]
    [InlineData("a ? b : c ? d : e", "(a ? b : (c ? d : e))")]
    [InlineData("x in ['a', 'b']", "(x in [\"a\", \"b\"])")]
    [InlineData("a < b == c >= d", "(((a < b) == c) >= d)")]
    [InlineData("-1 + -x", "(-1 + (-x))")]
    [InlineData("object.spec.containers[0].name", "object.spec.containers[0].name")]
    [InlineData("x.all(c, c.size() > 0)", "x.all(c, (c.size() > 0))")]
    [InlineData("{'a': 1, 'b': [1, 2.5, 3u]}", "{\"a\": 1, \"b\": [1, 2.5, 3u]}")]
    [InlineData("(a || b).f", "(a || b).f")]
    [InlineData("size(x) // trailing comment\n > 0", "(size(x) > 0)")]
    public void Parses_with_CEL_precedence_and_prints_fully_parenthesised(string expression, string printed)
    {
        Assert.Equal(printed, CelPrinter.Print(CelParser.Parse(expression)));
    }

    [Theory]
    [InlineData("'it\\'s'", "it's")]
    [InlineData("\"tab\\there\"", "tab\there")]
    [InlineData("r'\\d+'", "\\d+")]
    [InlineData("'''multi\nline'''", "multi\nline")]
    [InlineData("\"\\u00e9\\x41\\101\"", "éAA")]
    public void Reads_string_literals_with_escapes_raw_and_triple_quotes(string expression, string value)
    {
        var literal = Assert.IsType<CelLiteral>(CelParser.Parse(expression));
        Assert.Equal(value, literal.Value);
    }

    [Fact]
    public void Printed_text_parses_back_to_the_same_tree()
    {
        var source = "!(variables.hostNetwork || object.spec.containers.exists(c, c.image.startsWith(\"a\\\"b\\n\"))) && 0x1F == 31 && 1e3 == 1000.0";
        var once = CelPrinter.Print(CelParser.Parse(source));
        var twice = CelPrinter.Print(CelParser.Parse(once));
        Assert.Equal(once, twice);
    }

    [Fact]
    public void Reads_optional_selection_and_optional_index()
    {
        var node = CelParser.Parse("object.spec.?hostNetwork.orValue(false) && m[?'k'].hasValue()");
        var and = Assert.IsType<CelBinary>(node);
        var orValue = Assert.IsType<CelCall>(and.Left);
        Assert.Equal("orValue", orValue.Function);
        var select = Assert.IsType<CelSelect>(orValue.Target);
        Assert.True(select.Optional);
        Assert.Equal("hostNetwork", select.Field);
        var hasValue = Assert.IsType<CelCall>(and.Right);
        Assert.True(Assert.IsType<CelIndex>(hasValue.Target).Optional);
    }

    [Fact]
    public void Distinguishes_a_ternary_before_a_fraction_from_optional_selection()
    {
        Assert.Equal("(c ? 0.5 : 1)", CelPrinter.Print(CelParser.Parse("c ?.5 : 1")));
    }

    [Theory]
    [InlineData("object.spec.hostNetwork ==", "end")]
    [InlineData("'unterminated", "Unterminated")]
    [InlineData("a b", "Unexpected 'b'")]
    [InlineData("(a", "Expected ')'")]
    [InlineData("Pod{name: 'x'}", "Message construction")]
    [InlineData("[?a]", "Optional list elements")]
    [InlineData("'bad \\q escape'", "Unknown escape")]
    [InlineData("9223372036854775808", "out of range")]
    [InlineData("1e999 > 0.0", "Double literal out of range")]
    [InlineData("if", "reserved word")]
    [InlineData("   ", "Empty")]
    public void Rejects_malformed_or_unsupported_text_with_a_reason(string expression, string reason)
    {
        var ex = Assert.Throws<CelSyntaxException>(() => CelParser.Parse(expression));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_most_negative_int_is_one_literal()
    {
        var literal = Assert.IsType<CelLiteral>(CelParser.Parse("-9223372036854775808"));
        Assert.Equal(long.MinValue, literal.Value);
    }

    [Fact]
    public void Refuses_absurd_nesting_instead_of_overflowing_the_stack()
    {
        var deep = new string('(', 5000) + "1" + new string(')', 5000);
        Assert.Throws<CelSyntaxException>(() => CelParser.Parse(deep));
    }

    [Theory]
    [InlineData("||")]
    [InlineData("&&")]
    [InlineData("+")]
    [InlineData("==")]
    [InlineData(".")]
    public void Refuses_absurdly_long_chains_before_anything_recurses_through_them(string op)
    {
        var chain = string.Join(op, Enumerable.Repeat("a", 100_000));
        Assert.Contains("nested too deeply", Assert.Throws<CelSyntaxException>(() => CelParser.Parse(chain)).Message, StringComparison.Ordinal);
        Assert.Contains("nested too deeply", Assert.Throws<CelSyntaxException>(() => CelParser.Parse(new string('!', 100_000) + "a")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_and_runs_the_long_allow_lists_policies_are_written_with()
    {
        // 500 alternatives: a generated allow list, well inside the bound, printed and compiled for the evaluator.
        var text = string.Join(" || ", Enumerable.Range(0, 500).Select(i => $"object.metadata.name == 'n{i}'"));
        var program = new CelRuntime().Prepare(text);
        Assert.True(program.Compiled is not null, program.CompileError);
    }

    [Fact]
    public void Does_not_count_brackets_or_question_marks_inside_strings_as_nesting()
    {
        var literal = Assert.IsType<CelLiteral>(CelParser.Parse("'" + new string('(', 500) + new string('?', 500) + "'"));
        Assert.Equal(1000, ((string)literal.Value!).Length);
    }

    [Fact]
    public void A_double_too_large_for_a_double_is_a_syntax_error_for_the_runtime_not_an_exception()
    {
        // Read as infinity, it made the printer throw out of Prepare, which promises never to.
        var program = new CelRuntime().Prepare("object.spec.x < 1e999");
        Assert.Null(program.Compiled);
        Assert.Contains("Double literal out of range", program.SyntaxError, StringComparison.Ordinal);
    }
}

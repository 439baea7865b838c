using HostNetAudit.Engine.Policy.Cel;
using Xunit;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>Each rewrite: the text it produces, and that the evaluator then gives CEL's answer.</summary>
public class CelRewriterTests
{
    private static string Rewrite(string expression, out HashSet<string> applied)
    {
        applied = new HashSet<string>();
        return CelPrinter.Print(CelRewriter.Rewrite(CelParser.Parse(expression), applied));
    }

    private static object? Evaluate(string expression, string objectJson)
    {
        var runtime = new CelRuntime();
        var program = runtime.Prepare(expression);
        Assert.Null(program.CompileError);
        var bindings = new Dictionary<string, object?> { ["object"] = CelValues.FromJson(Support.TestObjects.Json(objectJson)) };
        var activation = new CelActivation(runtime, bindings, new Dictionary<string, CelExpressionProgram>(), new Dictionary<string, object?>());
        var result = runtime.Evaluate(program, activation);
        Assert.True(result.Succeeded, result.Error);
        return result.Value;
    }

    [Fact]
    public void Optional_field_selection_with_orValue_becomes_a_has_test()
    {
        Assert.Equal("(has(object.spec.hostNetwork) ? object.spec.hostNetwork : false)", Rewrite("object.spec.?hostNetwork.orValue(false)", out var applied));
        Assert.Contains(CelRewriter.OptionalSelection, applied);
    }

    [Theory]
    [InlineData("""{"spec":{"hostNetwork":true}}""", true)]
    [InlineData("""{"spec":{"hostNetwork":false}}""", false)]
    [InlineData("""{"spec":{}}""", false)]
    public void Optional_field_selection_evaluates_as_CEL_does(string obj, bool expected)
    {
        Assert.Equal(expected, Evaluate("object.spec.?hostNetwork.orValue(false)", obj));
    }

    [Fact]
    public void Chained_optional_selection_tests_every_step()
    {
        Assert.Equal(
            "((has(object.spec) && has(object.spec.securityContext)) ? object.spec.securityContext : {})",
            Rewrite("object.?spec.?securityContext.orValue({})", out _));
        Assert.Equal(true, Evaluate("object.?spec.?hostNetwork.orValue(true)", """{"metadata":{}}"""));
        Assert.Equal(false, Evaluate("object.?spec.?hostNetwork.orValue(true)", """{"spec":{"hostNetwork":false}}"""));
    }

    [Fact]
    public void Optional_selection_inside_comprehensions_is_rewritten_in_place()
    {
        const string expression = "object.spec.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))";
        Assert.Equal(true, Evaluate(expression, """{"spec":{"containers":[{"name":"a"},{"name":"b","ports":[{"containerPort":80}]}]}}"""));
        Assert.Equal(false, Evaluate(expression, """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":80}]}]}}"""));
    }

    [Fact]
    public void HasValue_and_value_become_the_presence_test_and_the_value()
    {
        Assert.Equal("has(object.spec.hostNetwork)", Rewrite("object.spec.?hostNetwork.hasValue()", out _));
        Assert.Equal("object.spec.hostNetwork", Rewrite("object.spec.?hostNetwork.value()", out _));
        Assert.Equal(false, Evaluate("object.spec.?hostPID.hasValue()", """{"spec":{"hostNetwork":true}}"""));
    }

    [Fact]
    public void Optional_map_index_with_a_string_key_becomes_an_in_test()
    {
        Assert.Equal(
            "((\"app\" in object.metadata.labels) ? object.metadata.labels[\"app\"] : \"none\")",
            Rewrite("object.metadata.labels[?'app'].orValue('none')", out var applied));
        Assert.Contains(CelRewriter.OptionalIndex, applied);
        Assert.Equal("web", Evaluate("object.metadata.labels[?'app'].orValue('none')", """{"metadata":{"labels":{"app":"web"}}}"""));
        Assert.Equal("none", Evaluate("object.metadata.labels[?'app'].orValue('none')", """{"metadata":{"labels":{}}}"""));
    }

    [Fact]
    public void Optional_of_and_none_reduce_to_their_values()
    {
        Assert.Equal("1", Rewrite("optional.of(1).orValue(2)", out var applied));
        Assert.Contains(CelRewriter.OptionalLiterals, applied);
        Assert.Equal("2", Rewrite("optional.none().orValue(2)", out _));
        Assert.Equal("false", Rewrite("optional.none().hasValue()", out _));
        Assert.Equal("true", Rewrite("optional.of(object).hasValue()", out _));
    }

    [Fact]
    public void Or_takes_the_first_present_optional()
    {
        Assert.Equal(
            "((has(object.spec.a) || has(object.spec.b)) ? (has(object.spec.a) ? object.spec.a : object.spec.b) : 0)",
            Rewrite("object.spec.?a.or(object.spec.?b).orValue(0)", out _));
        var second = Evaluate("object.spec.?a.or(object.spec.?b).orValue(0)", """{"spec":{"b":2}}""");
        Assert.True(second is 2L, second?.GetType().FullName);
        Assert.Equal(1L, Evaluate("object.spec.?a.or(optional.none()).orValue(0)", """{"spec":{"a":1}}"""));
    }

    [Theory]
    [InlineData("object.spec.?a.b.orValue(1)")]
    [InlineData("object.spec.containers[?0].orValue({})")]
    [InlineData("object.spec.?hostNetwork == optional.of(true)")]
    [InlineData("has(object.spec.?hostNetwork)")]
    [InlineData("optional.ofNonZeroValue(object.spec.x).orValue(1)")]
    [InlineData("object.spec.?a.optMap(x, x + 1).orValue(0)")]
    public void Leaves_uncertain_optional_constructs_unrewritten_with_a_reason(string expression)
    {
        Assert.Throws<CelRewriteException>(() => Rewrite(expression, out _));
        var program = new CelRuntime().Prepare(expression);
        Assert.Null(program.Compiled);
        Assert.Contains("cannot rewrite", program.CompileError, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_without_optionals_is_printed_unchanged_in_meaning()
    {
        Assert.Equal("((!has(object.spec.hostNetwork)) || (object.spec.hostNetwork == false))", Rewrite("!has(object.spec.hostNetwork) || object.spec.hostNetwork == false", out var applied));
        Assert.Empty(applied);
    }
}

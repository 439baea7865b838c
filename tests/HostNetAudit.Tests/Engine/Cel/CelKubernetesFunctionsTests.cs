using HostNetAudit.Engine.Policy.Cel;
using Xunit;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>The Kubernetes string functions the module adds to the evaluator.</summary>
public class CelKubernetesFunctionsTests
{
    private static object? Evaluate(string expression)
    {
        var runtime = new CelRuntime();
        var program = runtime.Prepare(expression);
        Assert.Null(program.CompileError);
        var result = runtime.Evaluate(program, new CelActivation(runtime, new Dictionary<string, object?>(), new Dictionary<string, CelExpressionProgram>(), new Dictionary<string, object?>()));
        Assert.True(result.Succeeded, result.Error);
        return result.Value;
    }

    [Theory]
    [InlineData("'safeimages.com/*'.replace('*', '')", "safeimages.com/")]
    [InlineData("'a-b-c'.replace('-', '+', 1)", "a+b-c")]
    [InlineData("'ab'.replace('', '.')", ".a.b.")]
    [InlineData("'MiXeD É'.lowerAscii()", "mixed É")]
    [InlineData("'MiXeD'.upperAscii()", "MIXED")]
    [InlineData("'  x \\t'.trim()", "x")]
    [InlineData("'a,b,c'.split(',').join('|')", "a|b|c")]
    [InlineData("'a,b,c'.split(',', 2).join('|')", "a|b,c")]
    [InlineData("['x', 'y'].join()", "xy")]
    [InlineData("(['a'] + ['b']).join(',')", "a,b")]
    [InlineData("'héllo'.substring(1, 3)", "él")]
    [InlineData("'héllo'.substring(4)", "o")]
    [InlineData("'héllo'.charAt(1)", "é")]
    public void String_functions_give_cel_go_results(string expression, string expected)
    {
        Assert.Equal(expected, Evaluate(expression));
    }

    [Theory]
    [InlineData("'héllo'.indexOf('l')", 2L)]
    [InlineData("'héllo'.lastIndexOf('l')", 3L)]
    [InlineData("'abc'.indexOf('z')", -1L)]
    public void Index_functions_count_code_points(string expression, long expected)
    {
        Assert.Equal(expected, Evaluate(expression));
    }

    [Fact]
    public void A_misused_function_is_an_evaluation_error_not_a_crash()
    {
        var runtime = new CelRuntime();
        var result = runtime.Evaluate(runtime.Prepare("'abc'.substring(5)"), new CelActivation(runtime, new Dictionary<string, object?>(), new Dictionary<string, CelExpressionProgram>(), new Dictionary<string, object?>()));
        Assert.False(result.Succeeded);
        Assert.Contains("out of range", result.Error, StringComparison.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cel;

namespace HostNetAudit.Simulator.Admission;

/// <summary>The outcome of one CEL expression: a value, or the error the apiserver would report.</summary>
public readonly record struct CelResult(bool Succeeded, object? Value, string? Error)
{
    public static CelResult Failure(string error) => new(false, null, error);
}

/// <summary>
/// Standard CEL (with matches()) for the simulator's ValidatingAdmissionPolicies, evaluated by the Cel package on
/// objects as plain JSON data (maps, lists, strings, int64, double, bool, null): has() on a map asks whether the key
/// is present; selecting an absent key is an error. Programs are compiled once; evaluations are serialised (the
/// evaluator is not documented as thread-safe).
/// </summary>
public static class PolicyCel
{
    private static readonly CelEnvironment Environment = new(null, null);
    private static readonly ConcurrentDictionary<string, (CelProgramDelegate? Program, string? Error)> Programs = new(StringComparer.Ordinal);
    private static readonly object Gate = new();

    /// <summary>Why an expression does not compile (a syntax error), or null.</summary>
    public static string? CompileError(string expression) => Compile(expression).Error;

    public static CelResult Evaluate(string expression, IDictionary<string, object?> variables)
    {
        var (program, error) = Compile(expression);
        if (program is null)
        {
            return CelResult.Failure(error!);
        }

        try
        {
            object? value;
            lock (Gate)
            {
                value = program(variables);
            }

            // The evaluator answers a missing top-level selection with a marker instead of an error.
            return value is not null && value.GetType().Name == "CelNoSuchField"
                ? CelResult.Failure("no such key")
                : new CelResult(true, value, null);
        }
#pragma warning disable CA1031 // Every evaluator exception is an evaluation error of the policy, handled by its failurePolicy.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return CelResult.Failure(ex.GetType().Name == "CelNoSuchFieldException" ? "no such key: " + ex.Message : ex.Message);
        }
    }

    private static (CelProgramDelegate? Program, string? Error) Compile(string expression) =>
        Programs.GetOrAdd(expression, text =>
        {
            try
            {
                lock (Gate)
                {
                    return (Environment.Compile(text), null);
                }
            }
#pragma warning disable CA1031 // A syntax error is a validation error of the policy object.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return (null, "ERROR: <input>: Syntax error: " + ex.Message);
            }
        });

    /// <summary>JSON as the evaluator's data: objects as dictionaries, arrays as lists, integers as int64.</summary>
    public static object? ToCel(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => ToCel(p.Value), StringComparer.Ordinal),
        JsonArray array => array.Select(ToCel).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => Number(value.ToJsonString()),
            _ => null,
        },
        _ => null,
    };

    private static object Number(string text) =>
        long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var integer)
            ? integer
            : double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
}

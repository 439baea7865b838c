using System.Collections;
using System.Collections.Concurrent;
using global::Cel;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>One expression, prepared once: parsed, rewritten for the evaluator, compiled (or why not).</summary>
internal sealed class CelExpressionProgram
{
    public required string Text { get; init; }

    /// <summary>The parsed expression, or null when <see cref="SyntaxError"/> says why not.</summary>
    public CelNode? Syntax { get; init; }

    public string? SyntaxError { get; init; }

    /// <summary>The text handed to the evaluator (after rewrites), or null.</summary>
    public string? EvaluatorText { get; init; }

    public IReadOnlySet<string> Rewrites { get; init; } = new HashSet<string>();

    public CelProgramDelegate? Compiled { get; init; }

    /// <summary>
    /// A comprehension's iteration variable reuses a top-level name (object, params, ...): field paths must
    /// then be selected by the evaluator itself, never resolved from the bindings (see <see cref="CelActivation"/>).
    /// </summary>
    public bool ShadowsBindings { get; init; }

    /// <summary>Why the evaluator cannot run this expression (rewrite or compile failure), or null.</summary>
    public string? CompileError { get; init; }
}

/// <summary>The result of evaluating one expression: a value, or why there is none.</summary>
internal readonly record struct CelEvaluation(bool Succeeded, object? Value, string? Error)
{
    public static CelEvaluation Success(object? value) => new(true, value, null);

    public static CelEvaluation Failure(string error) => new(false, null, error);
}

/// <summary>
/// The evaluator (Cel 0.3.3) with the module's additions: the Kubernetes string functions, the rewrites,
/// a cache of prepared expressions, and lazy <c>variables</c>. Evaluations are serialised: the evaluator
/// is not documented as thread-safe, and one evaluation takes microseconds.
/// </summary>
internal sealed class CelRuntime
{
    private const int CacheLimit = 4096;
    private readonly CelEnvironment environment;
    private readonly ConcurrentDictionary<string, CelExpressionProgram> cache = new(StringComparer.Ordinal);
    private readonly object gate = new();

    public CelRuntime()
    {
        environment = new CelEnvironment(null, null);
        CelKubernetesFunctions.Register(environment);
    }

    public static CelRuntime Shared { get; } = new();

    /// <summary>Parses, rewrites and compiles an expression; never throws.</summary>
    public CelExpressionProgram Prepare(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (cache.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var program = Build(text);
        if (cache.Count >= CacheLimit)
        {
            cache.Clear();
        }

        return cache.GetOrAdd(text, program);
    }

    private CelExpressionProgram Build(string text)
    {
        var syntax = CelParser.TryParse(text, out var syntaxError);
        if (syntax is null)
        {
            return new CelExpressionProgram { Text = text, SyntaxError = syntaxError, CompileError = syntaxError };
        }

        var rewrites = new HashSet<string>(StringComparer.Ordinal);
        string evaluatorText;
        try
        {
            evaluatorText = CelPrinter.Print(CelRewriter.Rewrite(syntax, rewrites));
        }
        catch (CelRewriteException ex)
        {
            return new CelExpressionProgram { Text = text, Syntax = syntax, Rewrites = rewrites, CompileError = "cannot rewrite for the evaluator: " + ex.Message };
        }

        var iterationVariables = CelTree.Descendants(syntax).OfType<CelCall>()
            .Where(CelTree.IsComprehension)
            .Select(c => ((CelIdent)c.Args[0]).Name)
            .ToList();
        if (iterationVariables.Contains("variables", StringComparer.Ordinal))
        {
            // The evaluator would look "variables.x" up as the policy's variable, not the iteration variable's field.
            return new CelExpressionProgram { Text = text, Syntax = syntax, Rewrites = rewrites, CompileError = "an iteration variable named 'variables' hides the policy's variables" };
        }

        try
        {
            CelProgramDelegate compiled;
            lock (gate)
            {
                compiled = environment.Compile(evaluatorText);
            }

            return new CelExpressionProgram
            {
                Text = text,
                Syntax = syntax,
                EvaluatorText = evaluatorText,
                Rewrites = rewrites,
                Compiled = compiled,
                ShadowsBindings = iterationVariables.Any(CelActivation.IsRootName),
            };
        }
#pragma warning disable CA1031 // The evaluator throws many exception types for unsupported syntax; each is a reason, not a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new CelExpressionProgram { Text = text, Syntax = syntax, EvaluatorText = evaluatorText, Rewrites = rewrites, CompileError = "the evaluator does not support it: " + Describe(ex) };
        }
    }

    /// <summary>Evaluates a prepared expression against an activation; never throws.</summary>
    public CelEvaluation Evaluate(CelExpressionProgram program, CelActivation activation)
    {
        if (program.Compiled is null)
        {
            return CelEvaluation.Failure(program.CompileError ?? "not compiled");
        }

        try
        {
            object? value;
            lock (gate)
            {
                var resolvePaths = activation.ResolvePaths;
                activation.ResolvePaths = !program.ShadowsBindings;
                try
                {
                    value = program.Compiled(activation);
                }
                finally
                {
                    activation.ResolvePaths = resolvePaths;
                }
            }

            // The evaluator returns a marker instead of raising "no such key" at the top level.
            return IsNoSuchField(value)
                ? CelEvaluation.Failure("no such key: the expression selects a field that is absent")
                : CelEvaluation.Success(value);
        }
        catch (CelVariableException ex)
        {
            return CelEvaluation.Failure(ex.Message);
        }
#pragma warning disable CA1031 // Any evaluator exception is an evaluation error of the policy, reported and judged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return CelEvaluation.Failure(Describe(ex));
        }
    }

    internal static bool IsNoSuchField(object? value) =>
        value is not null && string.Equals(value.GetType().Name, "CelNoSuchField", StringComparison.Ordinal);

    private static string Describe(Exception ex)
    {
        // The evaluator's words for CEL's "no such key".
        var message = ex.GetType().Name == "CelNoSuchFieldException"
            ? "no such key (a selected field is absent): " + ex.Message
            : ex.Message;
        if (ex.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message))
        {
            message += " (" + inner.Message + ")";
        }

        return message.Length > 300 ? message[..297] + "..." : message;
    }
}

/// <summary>A variable's expression failed; raised through the evaluator to the expression that read it.</summary>
internal sealed class CelVariableException : Exception
{
    public CelVariableException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// The variables one evaluation sees: <c>object</c>, <c>oldObject</c>, <c>request</c>, <c>params</c>,
/// <c>namespaceObject</c>, and <c>variables.&lt;name&gt;</c> evaluated lazily (once, on first read) as the
/// apiserver does — an unused variable that would fail does not fail the validation. The evaluator asks for
/// a selection's full text (<c>variables.podSpec</c>, <c>object.spec.hostNetwork</c>) before selecting, which is
/// where the lazy lookup hooks in; a present field path is answered from the maps directly (the value the
/// evaluator's own selection reaches, without its slow search of protobuf enum descriptors on every
/// selection); an absent one is left to the evaluator, which reports it as it does.
/// </summary>
internal sealed class CelActivation : IDictionary<string, object?>
{
    private const string VariablesPrefix = "variables.";
    private readonly CelRuntime runtime;
    private readonly IReadOnlyDictionary<string, object?> bindings;
    private readonly IReadOnlyDictionary<string, CelExpressionProgram> variables;
    private readonly IReadOnlyDictionary<string, object?> presetVariables;
    private readonly Dictionary<string, CelEvaluation> evaluated = new(StringComparer.Ordinal);
    private readonly HashSet<string> inProgress = new(StringComparer.Ordinal);

    public CelActivation(
        CelRuntime runtime,
        IReadOnlyDictionary<string, object?> bindings,
        IReadOnlyDictionary<string, CelExpressionProgram> variables,
        IReadOnlyDictionary<string, object?> presetVariables)
    {
        this.runtime = runtime;
        this.bindings = bindings;
        this.variables = variables;
        this.presetVariables = presetVariables;
    }

    /// <summary>Whether dotted field paths are answered from the bindings (off while an expression shadows them).</summary>
    internal bool ResolvePaths { get; set; }

    /// <summary>The top-level names the apiserver (and Gatekeeper, Kyverno) bind.</summary>
    public static bool IsRootName(string name) =>
        name is "object" or "oldObject" or "request" or "params" or "namespaceObject" or "variables" or "authorizer";

    public bool TryGetValue(string key, out object? value)
    {
        if (bindings.TryGetValue(key, out value))
        {
            return true;
        }

        value = null;
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || !IsPlainPath(key))
        {
            return false;
        }

        var root = key[..dot];
        var rest = key[(dot + 1)..];
        if (string.Equals(root, "variables", StringComparison.Ordinal))
        {
            var nameEnd = rest.IndexOf('.', StringComparison.Ordinal);
            var name = nameEnd < 0 ? rest : rest[..nameEnd];
            if (nameEnd >= 0 && !ResolvePaths)
            {
                return false;
            }

            if (!TryGetVariable(name, out value))
            {
                return false;
            }

            return nameEnd < 0 || TryWalk(value, rest[(nameEnd + 1)..], out value);
        }

        return ResolvePaths && bindings.TryGetValue(root, out var start) && TryWalk(start, rest, out value);
    }

    private bool TryGetVariable(string name, out object? value)
    {
        if (presetVariables.TryGetValue(name, out value))
        {
            return true;
        }

        if (!variables.TryGetValue(name, out var program))
        {
            return false;
        }

        var result = Variable(name, program);
        if (!result.Succeeded)
        {
            throw new CelVariableException($"variable '{name}': {result.Error}");
        }

        value = result.Value;
        return true;
    }

    // Only identifiers and dots: an index, call or parenthesis in the text is left to the evaluator.
    private static bool IsPlainPath(string key)
    {
        foreach (var c in key)
        {
            if (!(c == '.' || c == '_' || char.IsAsciiLetterOrDigit(c)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryWalk(object? current, string path, out object? value)
    {
        foreach (var segment in path.Split('.'))
        {
            if (current is not Dictionary<string, object?> map || !map.TryGetValue(segment, out current))
            {
                value = null;
                return false;
            }
        }

        value = current;
        return true;
    }

    private CelEvaluation Variable(string name, CelExpressionProgram program)
    {
        if (evaluated.TryGetValue(name, out var done))
        {
            return done;
        }

        if (!inProgress.Add(name))
        {
            return CelEvaluation.Failure("refers to itself");
        }

        try
        {
            var result = runtime.Evaluate(program, this);
            evaluated[name] = result;
            return result;
        }
        finally
        {
            inProgress.Remove(name);
        }
    }

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public object? this[string key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);
        set => throw new NotSupportedException();
    }

    public ICollection<string> Keys => bindings.Keys.ToList();

    public ICollection<object?> Values => bindings.Values.ToList();

    public int Count => bindings.Count;

    public bool IsReadOnly => true;

    public void Add(string key, object? value) => throw new NotSupportedException();

    public void Add(KeyValuePair<string, object?> item) => throw new NotSupportedException();

    public void Clear() => throw new NotSupportedException();

    public bool Contains(KeyValuePair<string, object?> item) => bindings.Contains(item);

    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex) => ((ICollection<KeyValuePair<string, object?>>)bindings.ToList()).CopyTo(array, arrayIndex);

    public bool Remove(string key) => throw new NotSupportedException();

    public bool Remove(KeyValuePair<string, object?> item) => throw new NotSupportedException();

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => bindings.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

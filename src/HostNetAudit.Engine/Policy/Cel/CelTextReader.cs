namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// A value the text reader is certain of, a certain evaluation error (<see cref="Error"/>, e.g. a selected field
/// that is absent), or <see cref="Unknown"/>.
/// </summary>
internal readonly record struct CelTextValue(bool Known, object? Value, string? Error = null, string? Absent = null)
{
    public static CelTextValue Unknown { get; } = new(false, null);

    public static CelTextValue Of(object? value) => new(true, value);

    /// <summary>CEL raises an error here, whatever the unknown parts are.</summary>
    public static CelTextValue Failed(string error, string? absent = null) => new(false, null, error, absent);

    public bool IsTrue => Known && Value is true;

    public bool IsFalse => Known && Value is false;

    public bool IsError => Error is not null;
}

/// <summary>
/// Reads an expression's text — its syntax tree — where the evaluator cannot run it, and decides only what
/// follows with certainty from a small set of constructs: literals (lists and maps too), field selection and <c>has()</c>,
/// optional selection with <c>orValue</c>/<c>hasValue</c>, <c>!</c>, <c>&amp;&amp;</c>, <c>||</c> (an unknown side is
/// absorbed only by a known false/true, as CEL absorbs errors), <c>? :</c>, <c>==</c>/<c>!=</c> on scalars of one
/// type, <c>in</c>, <c>size</c>, <c>+</c>, <c>startsWith</c>/<c>endsWith</c>/<c>contains</c>, and the macros
/// <c>all</c>/<c>exists</c>/<c>exists_one</c>/<c>map</c>/<c>filter</c>. Every other construct, an absent field
/// and any type mismatch is Unknown. An absent field of a known object is a certain error, which propagates as
/// CEL propagates errors (<c>&amp;&amp;</c> and <c>||</c> absorb it only with a known false/true). This recognises the common ways policies test
/// hostNetwork (<c>!has(object.spec.hostNetwork) || object.spec.hostNetwork == false</c>,
/// <c>object.spec.?hostNetwork.orValue(false) == false</c>, <c>!variables.podSpec.?hostNetwork.orValue(false)</c>)
/// whatever else surrounds them, and never guesses the rest.
/// </summary>
internal sealed class CelTextReader
{
    private readonly IReadOnlyDictionary<string, object?> bindings;
    private readonly IReadOnlyDictionary<string, CelNode?> variables;
    private readonly IReadOnlyDictionary<string, object?> presetVariables;
    private readonly Dictionary<string, CelTextValue> variableValues = new(StringComparer.Ordinal);
    private readonly HashSet<string> inProgress = new(StringComparer.Ordinal);

    /// <param name="bindings">object, oldObject, request, params, namespaceObject as CEL values.</param>
    /// <param name="variables">Variable name → parsed expression (null when it did not parse).</param>
    /// <param name="presetVariables">Variables the engine binds itself (Gatekeeper's anyObject, params).</param>
    public CelTextReader(
        IReadOnlyDictionary<string, object?> bindings,
        IReadOnlyDictionary<string, CelNode?> variables,
        IReadOnlyDictionary<string, object?> presetVariables)
    {
        this.bindings = bindings;
        this.variables = variables;
        this.presetVariables = presetVariables;
    }

    /// <summary>
    /// A map of which only some entries are known (an open world): a key it lacks is unknown, never absent.
    /// The judge reads validations with a pod whose creator-chosen fields are left open this way.
    /// </summary>
    internal sealed class OpenMap : Dictionary<string, object?>
    {
        public OpenMap()
            : base(StringComparer.Ordinal)
        {
        }
    }

    /// <summary>An optional value as the text reader holds it.</summary>
    private sealed record OptionalValue(bool Present, object? Value)
    {
        public static readonly OptionalValue None = new(false, null);
    }

    public CelTextValue Read(CelNode node) => Eval(node, Scope.Empty);

    private sealed class Scope
    {
        public static readonly Scope Empty = new(null, string.Empty, null);
        private readonly Scope? parent;
        private readonly string name;
        private readonly object? value;

        private Scope(Scope? parent, string name, object? value)
        {
            this.parent = parent;
            this.name = name;
            this.value = value;
        }

        public Scope With(string variable, object? v) => new(this, variable, v);

        public bool TryGet(string variable, out object? v)
        {
            for (var s = this; s is not null && s.parent is not null; s = s.parent)
            {
                if (string.Equals(s.name, variable, StringComparison.Ordinal))
                {
                    v = s.value;
                    return true;
                }
            }

            v = null;
            return false;
        }
    }

    private CelTextValue Eval(CelNode node, Scope scope) => node switch
    {
        CelLiteral literal => CelTextValue.Of(literal.Value),
        CelIdent ident => Identifier(ident.Name, scope),
        CelSelect select => Select(select, scope),
        CelIndex index => Index(index, scope),
        CelCall call => Call(call, scope),
        CelList list => List(list, scope),
        CelMap map => Map(map, scope),
        CelUnary unary => Unary(unary, scope),
        CelBinary binary => Binary(binary, scope),
        CelConditional conditional => Conditional(conditional, scope),
        _ => CelTextValue.Unknown,
    };

    private CelTextValue Identifier(string name, Scope scope)
    {
        if (scope.TryGet(name, out var local))
        {
            return CelTextValue.Of(local);
        }

        return bindings.TryGetValue(name, out var value) ? CelTextValue.Of(value) : CelTextValue.Unknown;
    }

    private CelTextValue Variable(string name)
    {
        if (presetVariables.TryGetValue(name, out var preset))
        {
            return CelTextValue.Of(preset);
        }

        if (variableValues.TryGetValue(name, out var known))
        {
            return known;
        }

        if (!variables.TryGetValue(name, out var syntax) || syntax is null || !inProgress.Add(name))
        {
            return CelTextValue.Unknown;
        }

        try
        {
            var value = Eval(syntax, Scope.Empty);
            variableValues[name] = value;
            return value;
        }
        finally
        {
            inProgress.Remove(name);
        }
    }

    private CelTextValue Select(CelSelect select, Scope scope)
    {
        if (select.Operand is CelIdent { Name: "variables" } && !scope.TryGet("variables", out _))
        {
            return select.Optional ? CelTextValue.Unknown : Variable(select.Field);
        }

        var operand = Eval(select.Operand, scope);
        if (!operand.Known)
        {
            return operand.IsError ? operand : CelTextValue.Unknown;
        }

        var target = operand.Value;
        if (target is OptionalValue optional)
        {
            // A plain selection on an optional has no certain meaning here; ".?" chains on.
            if (!select.Optional)
            {
                return CelTextValue.Unknown;
            }

            if (!optional.Present)
            {
                return CelTextValue.Of(OptionalValue.None);
            }

            target = optional.Value;
        }

        if (target is not IDictionary<string, object?> map)
        {
            return CelTextValue.Unknown;
        }

        if (map.TryGetValue(select.Field, out var value))
        {
            return CelTextValue.Of(select.Optional ? new OptionalValue(true, value) : value);
        }

        if (map is OpenMap)
        {
            return CelTextValue.Unknown;
        }

        if (select.Optional)
        {
            return CelTextValue.Of(OptionalValue.None);
        }

        var path = PathOf(select);
        return CelTextValue.Failed($"no such key: {path} is absent", path);
    }

    /// <summary>The expression that selects the absent field, as written (optional parts cannot be printed: then the key alone).</summary>
    private static string PathOf(CelNode node) =>
        CelTree.Descendants(node).Any(n => n is CelSelect { Optional: true } or CelIndex { Optional: true })
            ? node switch { CelSelect select => "field " + select.Field, _ => "the key" }
            : CelPrinter.Print(node);

    private CelTextValue Index(CelIndex index, Scope scope)
    {
        var operand = Eval(index.Operand, scope);
        var key = Eval(index.Index, scope);
        if (operand.IsError || key.IsError)
        {
            return operand.IsError ? operand : key;
        }

        if (!operand.Known || !key.Known || operand.Value is OptionalValue)
        {
            return CelTextValue.Unknown;
        }

        switch (operand.Value)
        {
            case IDictionary<string, object?> map when key.Value is string name:
                if (map.TryGetValue(name, out var value))
                {
                    return CelTextValue.Of(index.Optional ? new OptionalValue(true, value) : value);
                }

                if (map is OpenMap)
                {
                    return CelTextValue.Unknown;
                }

                if (index.Optional)
                {
                    return CelTextValue.Of(OptionalValue.None);
                }

                var path = PathOf(index);
                return CelTextValue.Failed($"no such key: {path} is absent", path);
            case object?[] list when key.Value is long position && !index.Optional:
                return position >= 0 && position < list.Length ? CelTextValue.Of(list[position]) : CelTextValue.Unknown;
            default:
                return CelTextValue.Unknown;
        }
    }

    private CelTextValue List(CelList list, Scope scope)
    {
        var items = new object?[list.Elements.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var item = Eval(list.Elements[i], scope);
            if (!item.Known || item.Value is OptionalValue)
            {
                return CelTextValue.Unknown;
            }

            items[i] = item.Value;
        }

        return CelTextValue.Of(items);
    }

    private CelTextValue Map(CelMap map, Scope scope)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            var key = Eval(entry.Key, scope);
            var value = Eval(entry.Value, scope);
            if (key.Value is not string name || !key.Known || !value.Known || value.Value is OptionalValue || !result.TryAdd(name, value.Value))
            {
                return CelTextValue.Unknown;
            }
        }

        return CelTextValue.Of(result);
    }

    private CelTextValue Call(CelCall call, Scope scope)
    {
        if (call.Target is null)
        {
            return GlobalCall(call, scope);
        }

        if (call.Target is CelIdent { Name: "optional" } && !scope.TryGet("optional", out _))
        {
            return call.Function switch
            {
                "none" when call.Args.Count == 0 => CelTextValue.Of(OptionalValue.None),
                "of" when call.Args.Count == 1 => Eval(call.Args[0], scope) is { Known: true } v && v.Value is not OptionalValue
                    ? CelTextValue.Of(new OptionalValue(true, v.Value))
                    : CelTextValue.Unknown,
                _ => CelTextValue.Unknown,
            };
        }

        if (CelTree.IsComprehension(call))
        {
            return Comprehension(call, scope);
        }

        var target = Eval(call.Target, scope);
        if (!target.Known)
        {
            return target.IsError ? target : CelTextValue.Unknown;
        }

        if (target.Value is OptionalValue optional)
        {
            return call.Function switch
            {
                "orValue" when call.Args.Count == 1 => optional.Present ? CelTextValue.Of(optional.Value) : Eval(call.Args[0], scope),
                "hasValue" when call.Args.Count == 0 => CelTextValue.Of(optional.Present),
                "value" when call.Args.Count == 0 && optional.Present => CelTextValue.Of(optional.Value),
                _ => CelTextValue.Unknown,
            };
        }

        var args = new List<object?>();
        foreach (var arg in call.Args)
        {
            var value = Eval(arg, scope);
            if (!value.Known)
            {
                return value.IsError ? value : CelTextValue.Unknown;
            }

            args.Add(value.Value);
        }

        return (call.Function, target.Value, args.Count) switch
        {
            ("size", _, 0) => Size(target.Value),
            ("startsWith", string s, 1) when args[0] is string p => CelTextValue.Of(s.StartsWith(p, StringComparison.Ordinal)),
            ("endsWith", string s, 1) when args[0] is string p => CelTextValue.Of(s.EndsWith(p, StringComparison.Ordinal)),
            ("contains", string s, 1) when args[0] is string p => CelTextValue.Of(s.Contains(p, StringComparison.Ordinal)),
            _ => CelTextValue.Unknown,
        };
    }

    private CelTextValue GlobalCall(CelCall call, Scope scope)
    {
        switch (call.Function)
        {
            case "has" when call.Args.Count == 1 && call.Args[0] is CelSelect { Optional: false } field:
                if (field.Operand is CelIdent { Name: "variables" })
                {
                    return CelTextValue.Unknown;
                }

                var operand = Eval(field.Operand, scope);
                if (operand.IsError)
                {
                    return operand;
                }

                return operand is { Known: true, Value: IDictionary<string, object?> map } && (map is not OpenMap || map.ContainsKey(field.Field))
                    ? CelTextValue.Of(map.ContainsKey(field.Field))
                    : CelTextValue.Unknown;
            case "size" when call.Args.Count == 1:
                var value = Eval(call.Args[0], scope);
                return value.Known ? Size(value.Value) : value.IsError ? value : CelTextValue.Unknown;
            case "dyn" when call.Args.Count == 1:
                // dyn() only changes the static type the checker sees; the value is the argument's. Policies read
                // `object` through it so that one expression type-checks for several kinds.
                return Eval(call.Args[0], scope);
            default:
                return CelTextValue.Unknown;
        }
    }

    private static CelTextValue Size(object? value) => value switch
    {
        OpenMap => CelTextValue.Unknown,
        string s => CelTextValue.Of(CelKubernetesFunctions.Size(s)),
        object?[] list => CelTextValue.Of((long)list.Length),
        IDictionary<string, object?> map => CelTextValue.Of((long)map.Count),
        _ => CelTextValue.Unknown,
    };

    private CelTextValue Comprehension(CelCall call, Scope scope)
    {
        var range = Eval(call.Target!, scope);
        if (range.IsError)
        {
            return range;
        }

        IEnumerable<object?> items;
        switch (range.Value)
        {
            case object?[] list when range.Known:
                items = list;
                break;
            case IDictionary<string, object?> map when range.Known && map is not OpenMap:
                items = map.Keys;
                break;
            default:
                return CelTextValue.Unknown;
        }

        var variable = ((CelIdent)call.Args[0]).Name;
        var results = new List<(object? Item, CelTextValue Value)>();
        foreach (var item in items)
        {
            var inner = scope.With(variable, item);
            var predicate = Eval(call.Args[1], inner);
            if (call.Function == "map" && call.Args.Count == 3)
            {
                // map(x, filter, transform)
                if (!predicate.Known || predicate.Value is not bool keep)
                {
                    return CelTextValue.Unknown;
                }

                if (keep)
                {
                    results.Add((item, Eval(call.Args[2], inner)));
                }

                continue;
            }

            results.Add((item, predicate));
        }

        switch (call.Function)
        {
            case "all":
                if (results.Any(r => r.Value.IsFalse))
                {
                    return CelTextValue.Of(false);
                }

                return results.All(r => r.Value.IsTrue) ? CelTextValue.Of(true) : CelTextValue.Unknown;
            case "exists":
                if (results.Any(r => r.Value.IsTrue))
                {
                    return CelTextValue.Of(true);
                }

                return results.All(r => r.Value.IsFalse) ? CelTextValue.Of(false) : CelTextValue.Unknown;
            case "exists_one":
                return results.All(r => r.Value.Known && r.Value.Value is bool)
                    ? CelTextValue.Of(results.Count(r => r.Value.IsTrue) == 1)
                    : CelTextValue.Unknown;
            case "filter":
                return results.All(r => r.Value.Known && r.Value.Value is bool)
                    ? CelTextValue.Of(results.Where(r => r.Value.IsTrue).Select(r => r.Item).ToArray())
                    : CelTextValue.Unknown;
            case "map":
                return results.All(r => r.Value.Known && r.Value.Value is not OptionalValue)
                    ? CelTextValue.Of(results.Select(r => r.Value.Value).ToArray())
                    : CelTextValue.Unknown;
            default:
                return CelTextValue.Unknown;
        }
    }

    private CelTextValue Unary(CelUnary unary, Scope scope)
    {
        var operand = Eval(unary.Operand, scope);
        if (operand.IsError)
        {
            return operand;
        }

        return (unary.Operator, operand.Value) switch
        {
            ("!", bool b) when operand.Known => CelTextValue.Of(!b),
            ("-", long l) when operand.Known && l != long.MinValue => CelTextValue.Of(-l),
            ("-", double d) when operand.Known => CelTextValue.Of(-d),
            _ => CelTextValue.Unknown,
        };
    }

    private CelTextValue Binary(CelBinary binary, Scope scope)
    {
        var left = Eval(binary.Left, scope);
        var right = Eval(binary.Right, scope);
        switch (binary.Operator)
        {
            case "&&":
                if (left.IsFalse || right.IsFalse)
                {
                    return CelTextValue.Of(false);
                }

                return left.IsTrue && right.IsTrue ? CelTextValue.Of(true) : Absorbed(left, right, identity: true);
            case "||":
                if (left.IsTrue || right.IsTrue)
                {
                    return CelTextValue.Of(true);
                }

                return left.IsFalse && right.IsFalse ? CelTextValue.Of(false) : Absorbed(left, right, identity: false);
        }

        // Every other operator evaluates both sides: an error in either is the result.
        if (left.IsError || right.IsError)
        {
            return left.IsError ? left : right;
        }

        if (!left.Known || !right.Known || left.Value is OptionalValue || right.Value is OptionalValue)
        {
            return CelTextValue.Unknown;
        }

        var l = left.Value;
        var r = right.Value;
        switch (binary.Operator)
        {
            case "==":
                return Equal(l, r) is { } eq ? CelTextValue.Of(eq) : CelTextValue.Unknown;
            case "!=":
                return Equal(l, r) is { } ne ? CelTextValue.Of(!ne) : CelTextValue.Unknown;
            case "<" or "<=" or ">" or ">=":
                return Compare(l, r) is { } c
                    ? CelTextValue.Of(binary.Operator switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 })
                    : CelTextValue.Unknown;
            case "in":
                return In(l, r);
            case "+":
                return (l, r) switch
                {
                    (string a, string b) => CelTextValue.Of(a + b),
                    (object?[] a, object?[] b) => CelTextValue.Of(a.Concat(b).ToArray()),
                    (long a, long b) when !Overflows(a, b) => CelTextValue.Of(a + b),
                    (double a, double b) => CelTextValue.Of(a + b),
                    _ => CelTextValue.Unknown,
                };
            default:
                return CelTextValue.Unknown;
        }
    }

    /// <summary>
    /// &amp;&amp; (identity true) or || (identity false) when neither side is the absorbing value: an error stays an
    /// error only if the other side is the identity or an error too; with an unknown side it is unknown.
    /// </summary>
    private static CelTextValue Absorbed(CelTextValue left, CelTextValue right, bool identity)
    {
        bool IdentityOrError(CelTextValue v) => v.IsError || (v.Known && v.Value is bool b && b == identity);
        if ((left.IsError || right.IsError) && IdentityOrError(left) && IdentityOrError(right))
        {
            return left.IsError ? left : right;
        }

        return CelTextValue.Unknown;
    }

    private static bool Overflows(long a, long b) => (b > 0 && a > long.MaxValue - b) || (b < 0 && a < long.MinValue - b);

    /// <summary>Equality of scalars of one type (and null against anything); null when uncertain.</summary>
    private static bool? Equal(object? l, object? r) => (l, r) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (bool a, bool b) => a == b,
        (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
        (long a, long b) => a == b,
        (ulong a, ulong b) => a == b,
        (double a, double b) => a.Equals(b) && !double.IsNaN(a),
        _ => null,
    };

    private static int? Compare(object? l, object? r) => (l, r) switch
    {
        (string a, string b) => string.CompareOrdinal(a, b),
        (long a, long b) => a.CompareTo(b),
        (ulong a, ulong b) => a.CompareTo(b),
        (double a, double b) when !double.IsNaN(a) && !double.IsNaN(b) => a.CompareTo(b),
        _ => null,
    };

    private static CelTextValue In(object? item, object? container)
    {
        switch (container)
        {
            case IDictionary<string, object?> map:
                return item is string key && (map is not OpenMap || map.ContainsKey(key)) ? CelTextValue.Of(map.ContainsKey(key)) : CelTextValue.Unknown;
            case object?[] list:
                var uncertain = false;
                foreach (var element in list)
                {
                    switch (Equal(item, element))
                    {
                        case true:
                            return CelTextValue.Of(true);
                        case null:
                            uncertain = true;
                            break;
                    }
                }

                return uncertain ? CelTextValue.Unknown : CelTextValue.Of(false);
            default:
                return CelTextValue.Unknown;
        }
    }

    private CelTextValue Conditional(CelConditional conditional, Scope scope)
    {
        var condition = Eval(conditional.Condition, scope);
        if (condition.IsError)
        {
            return condition;
        }

        if (condition.IsTrue)
        {
            return Eval(conditional.WhenTrue, scope);
        }

        return condition.IsFalse ? Eval(conditional.WhenFalse, scope) : CelTextValue.Unknown;
    }
}

using System.Globalization;
using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Gatekeeper;

/// <summary>
/// Reads a ConstraintTemplate's Rego (with its libs) and evaluates it, as far as it is certain, against the reference
/// pod and its twin: the violation rules, the helpers and functions they call (also in data.lib packages, as
/// konstraint's libraries resolve the pod from a Pod or a workload), with a small set of built-ins. Comments are
/// stripped by a string-aware lexer. A rule body that is empty after stripping does not compile: the template
/// enforces nothing. Anything not read with certainty (comprehensions, every, with, data.inventory, unknown
/// built-ins, the request's namespace, ...) makes the answer Unknown and names that construct; the answer is
/// Refuses only when every rule and helper on the path was read. A refusal that holds for the reference pod but not
/// for every hostNetwork pod (the Rego reads labels, annotations, containers or the user) is reported as an escape.
/// </summary>
internal static class RegoRecognizer
{
    /// <summary>Judges the template's Rego for a constraint with <paramref name="parameters"/> (input.parameters).</summary>
    public static (PodJudgement Judgement, string? Escape) Judge(string rego, IEnumerable<string> libs, JsonElement parameters)
    {
        var sources = new[] { rego }.Concat(libs).ToList();
        var tokenized = sources.Select(RegoSyntax.Lex).ToList();
        if (tokenized.Any(t => t is null))
        {
            return (PodJudgement.Unknown("its Rego could not be read (a string that does not end)"), null);
        }

        if (!tokenized.Any(t => t!.Any(token => token.Kind is RegoTokenKind.Identifier or RegoTokenKind.String && token.Text == "hostNetwork")))
        {
            return (PodJudgement.DoesNotRefuse("its Rego (comments aside) does not read hostNetwork, so it cannot tell the reference pod from its twin", JudgedBy.Text), null);
        }

        var modules = new List<RegoModule>();
        foreach (var source in sources)
        {
            var module = RegoSyntax.Parse(source, out var error);
            if (module is null)
            {
                return (PodJudgement.Unknown($"its Rego reads hostNetwork, but HostNetAudit cannot read {error}; verify with -Probe"), null);
            }

            modules.Add(module);
        }

        var empty = modules.SelectMany(m => m.Rules.Concat(m.Rules.SelectMany(r => r.Else)).Select(r => (Module: m, Rule: r))).FirstOrDefault(p => p.Rule.HasBraceBody && p.Rule.Body.Count == 0);
        if (empty.Rule is not null)
        {
            return (PodJudgement.DoesNotRefuse($"its Rego does not compile: rule {empty.Rule.Name} (line {empty.Rule.Line} of package {empty.Module.Package}) has an empty body once comments are stripped, so Gatekeeper rejects the template and the constraint enforces nothing", JudgedBy.Text), null);
        }

        var main = modules[0];
        if (!main.Rules.Any(r => r.Name == "violation"))
        {
            return (PodJudgement.DoesNotRefuse("its Rego defines no violation rule once comments are stripped, so it denies nothing", JudgedBy.Text), null);
        }

        var reference = new Evaluator(modules, Input(ReferencePod.Reference(), parameters, open: false)).Fires();
        var twin = new Evaluator(modules, Input(ReferencePod.Twin(), parameters, open: false)).Fires();
        const string read = "read from the Rego text: every rule, helper and data.lib function on the path evaluated";
        if (reference.Fires == true && twin.Fires == false)
        {
            var open = new Evaluator(modules, Input(ReferencePod.Reference(), parameters, open: true)).Fires();
            var escape = open.Fires == true ? null : $"its Rego also reads what the pod's creator or requester chooses ({open.Unknown ?? "labels, annotations, containers, name or user"}), so a hostNetwork pod that sets it otherwise may be admitted";
            return (new PodJudgement(PodOutcome.Refuses, JudgedBy.Text, $"its Rego's violation rule fires for the reference pod (hostNetwork: true) and not for its twin ({read})"), escape);
        }

        if (reference.Fires == true && twin.Fires == true)
        {
            return (new PodJudgement(PodOutcome.DeniesBoth, JudgedBy.Text, $"its Rego's violation rule fires for the twin (no hostNetwork) too ({read})"), null);
        }

        if (reference.Fires == false)
        {
            return (PodJudgement.DoesNotRefuse($"its Rego's violation rule does not fire for the reference pod ({read})", JudgedBy.Text), null);
        }

        var why = reference.Fires is null ? reference.Unknown : twin.Unknown;
        return (PodJudgement.Unknown($"its Rego reads hostNetwork, but {why} is not recognised, so whether it refuses is unknown; verify with -Probe"), null);
    }

    /// <summary>Gatekeeper's input for the reference pod's (or twin's) create; open leaves creator-chosen fields unknown.</summary>
    private static Dictionary<string, object?> Input(JsonElement pod, JsonElement parameters, bool open)
    {
        const string namespaceWhy = "the request's namespace (a template is judged once for every namespace)";
        var podValue = (Dictionary<string, object?>)FromJson(pod)!;
        if (open)
        {
            podValue = new OpenMap
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["metadata"] = new OpenMap { ["namespace"] = new Unknown(namespaceWhy) },
                ["spec"] = new OpenMap { ["hostNetwork"] = true },
            };
        }
        else
        {
            ((Dictionary<string, object?>)podValue["metadata"]!)["namespace"] = new Unknown(namespaceWhy);
        }

        var review = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["object"] = podValue,
            ["operation"] = "CREATE",
            ["kind"] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["group"] = string.Empty, ["version"] = "v1", ["kind"] = "Pod" },
            ["namespace"] = new Unknown(namespaceWhy),
            ["dryRun"] = false,
        };
        if (open)
        {
            review = new OpenMap { ["object"] = podValue, ["operation"] = "CREATE", ["kind"] = review["kind"], ["namespace"] = review["namespace"], ["dryRun"] = false };
        }
        else
        {
            review["name"] = ReferencePod.ReferenceName;
            review["userInfo"] = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["username"] = ReferencePod.ControllerUser,
                ["groups"] = ReferencePod.ControllerGroups.Cast<object?>().ToList(),
            };
        }

        var input = new Dictionary<string, object?>(StringComparer.Ordinal) { ["review"] = review };
        if (parameters.Exists())
        {
            input["parameters"] = FromJson(parameters);
        }

        return input;
    }

    private static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>A value not known with certainty, with the first construct that made it so.</summary>
    private sealed record Unknown(string Why);

    /// <summary>A defined value whose content is not computed (sprintf's text): fine to bind, unknown to compare.</summary>
    private sealed record Opaque(string What);

    /// <summary>A set value; <see cref="Incomplete"/> when some of its rule bodies were not read (its members then are not all known).</summary>
    private sealed class RegoSet : List<object?>
    {
        public RegoSet(IEnumerable<object?> items, string? incomplete = null)
            : base(items.Distinct(ValueComparer.Instance))
        {
            Incomplete = incomplete;
        }

        public string? Incomplete { get; }
    }

    /// <summary>An object whose absent keys are unknown (the creator-chosen parts of a pod), not undefined.</summary>
    private sealed class OpenMap : Dictionary<string, object?>
    {
        public OpenMap()
            : base(StringComparer.Ordinal)
        {
        }
    }

    /// <summary>A reference to a package (data.lib.core, or an import alias).</summary>
    private sealed record PackageRef(string Path);

    private sealed class ValueComparer : IEqualityComparer<object?>
    {
        public static readonly ValueComparer Instance = new();

        public new bool Equals(object? x, object? y) => Evaluator.Equal(x, y) == true;

        public int GetHashCode(object? obj) => obj switch
        {
            null => 0,
            string s => s.GetHashCode(StringComparison.Ordinal),
            double d => d.GetHashCode(),
            bool b => b.GetHashCode(),
            _ => 1,
        };
    }

    /// <summary>Variable bindings of one body, as a linked list (bodies are short).</summary>
    private sealed class Env
    {
        public static readonly Env Empty = new(null, string.Empty, null);
        private readonly Env? parent;
        private readonly string name;
        private readonly object? value;

        private Env(Env? parent, string name, object? value)
        {
            this.parent = parent;
            this.name = name;
            this.value = value;
        }

        public Env Bind(string variable, object? v) => variable == "_" ? this : new(this, variable, v);

        public bool TryGet(string variable, out object? v)
        {
            for (var e = this; e.parent is not null; e = e.parent)
            {
                if (e.name == variable)
                {
                    v = e.value;
                    return true;
                }
            }

            v = null;
            return false;
        }
    }

    /// <summary>Evaluates the modules' rules for one input; memoizes rule values.</summary>
    private sealed class Evaluator
    {
        private readonly List<RegoModule> modules;
        private readonly Dictionary<string, object?> input;
        private readonly Dictionary<string, (bool Defined, object? Value)> ruleValues = new(StringComparer.Ordinal);
        private readonly HashSet<string> inProgress = new(StringComparer.Ordinal);
        private int depth;

        public Evaluator(List<RegoModule> modules, Dictionary<string, object?> input)
        {
            this.modules = modules;
            this.input = input;
        }

        /// <summary>Whether the main module's violation set is non-empty (null: unknown, with why).</summary>
        public (bool? Fires, string? Unknown) Fires()
        {
            var (defined, value) = RuleValue(modules[0].Package, "violation");
            return value switch
            {
                Unknown u => (null, u.Why),
                RegoSet { Count: > 0 } => (true, null), // one certain member is enough
                RegoSet { Incomplete: { } why } => (null, why),
                RegoSet => (false, null),
                _ => (defined, null),
            };
        }

        /// <summary>The value of a rule without arguments in a package: (false, _) when undefined.</summary>
        private (bool Defined, object? Value) RuleValue(string package, string name)
        {
            var key = package + "\0" + name;
            if (ruleValues.TryGetValue(key, out var known))
            {
                return known;
            }

            if (!inProgress.Add(key))
            {
                return (true, new Unknown($"the recursive rule {name}"));
            }

            try
            {
                var definitions = Definitions(package, name).Where(r => r.Args is null).ToList();
                var result = definitions.Any(r => r.Key is not null && !r.IsDefault) ? PartialSet(definitions) : Complete(definitions, Env.Empty);
                ruleValues[key] = result;
                return result;
            }
            finally
            {
                inProgress.Remove(key);
            }
        }

        private IEnumerable<RegoRule> Definitions(string package, string name) =>
            modules.Where(m => m.Package == package).SelectMany(m => m.Rules).Where(r => r.Name == name);

        private (bool, object?) PartialSet(List<RegoRule> definitions)
        {
            var items = new List<object?>();
            string? incomplete = null;
            foreach (var rule in definitions.Where(r => !r.IsDefault))
            {
                if (rule.Value is not null)
                {
                    return (true, new Unknown($"the partial object rule {rule.Name}"));
                }

                foreach (var outcome in Body(rule.Body, 0, Env.Empty, ModuleOf(rule)))
                {
                    if (outcome.Unknown is { } why)
                    {
                        incomplete ??= why;
                        continue;
                    }

                    foreach (var (value, _) in Eval(rule.Key!, outcome.Env!, ModuleOf(rule)))
                    {
                        if (value is Unknown u)
                        {
                            incomplete ??= u.Why;
                        }
                        else
                        {
                            items.Add(value);
                        }
                    }
                }
            }

            return (true, new RegoSet(items, incomplete));
        }

        /// <summary>
        /// A complete rule, or a function with <paramref name="args"/>: the value of the first definition whose body
        /// succeeds (an else is tried only when the body before it certainly fails), else the default, else undefined.
        /// </summary>
        private (bool, object?) Complete(List<RegoRule> definitions, Env env, IReadOnlyList<object?>? args = null)
        {
            string? unknown = null;
            foreach (var rule in definitions.Where(r => !r.IsDefault))
            {
                var start = env;
                if (args is not null)
                {
                    var bound = BindArgs(rule, args);
                    if (bound is null)
                    {
                        continue; // the arguments do not match this definition's patterns
                    }

                    if (bound.Value.Unknown is { } pattern)
                    {
                        unknown ??= pattern;
                        continue;
                    }

                    start = bound.Value.Env;
                }

                foreach (var candidate in new[] { rule }.Concat(rule.Else))
                {
                    var (state, value) = FirstValue(candidate, start, ModuleOf(rule));
                    if (state == Outcome.Succeeded)
                    {
                        return (true, value);
                    }

                    if (state == Outcome.Unknown)
                    {
                        unknown ??= value is Unknown u ? u.Why : "a rule body";
                        break;
                    }
                }
            }

            if (unknown is not null)
            {
                return (true, new Unknown(unknown));
            }

            var fallback = definitions.FirstOrDefault(r => r.IsDefault);
            if (fallback?.Value is { } defaultValue)
            {
                return (true, Eval(defaultValue, Env.Empty, ModuleOf(fallback)).Select(r => r.Value).FirstOrDefault());
            }

            return (false, null);
        }

        private enum Outcome
        {
            Failed,
            Succeeded,
            Unknown,
        }

        /// <summary>The first success of a definition's body, with its value (true when the head has none).</summary>
        private (Outcome, object?) FirstValue(RegoRule rule, Env env, RegoModule module)
        {
            foreach (var outcome in Body(rule.Body, 0, env, module))
            {
                if (outcome.Unknown is { } why)
                {
                    return (Outcome.Unknown, new Unknown(why));
                }

                if (rule.Value is null)
                {
                    return (Outcome.Succeeded, true);
                }

                foreach (var (value, _) in Eval(rule.Value, outcome.Env!, module))
                {
                    return value is Unknown ? (Outcome.Unknown, value) : (Outcome.Succeeded, value);
                }
            }

            return (Outcome.Failed, null);
        }

        /// <summary>Binds a function definition's parameters to the arguments; null when a literal parameter does not match.</summary>
        private static (Env Env, string? Unknown)? BindArgs(RegoRule rule, IReadOnlyList<object?> args)
        {
            if (rule.Args!.Count != args.Count)
            {
                return null;
            }

            var env = Env.Empty;
            for (var i = 0; i < args.Count; i++)
            {
                switch (rule.Args[i])
                {
                    case RegoVar v:
                        env = env.Bind(v.Name, args[i]);
                        break;
                    case RegoLiteral l:
                        var equal = Equal(l.Value, args[i]);
                        if (equal == false)
                        {
                            return null;
                        }

                        if (equal is null)
                        {
                            return (env, "a function parameter pattern");
                        }

                        break;
                    default:
                        return (env, "a function parameter pattern");
                }
            }

            return (env, null);
        }

        private RegoModule ModuleOf(RegoRule rule) => modules.First(m => m.Rules.Contains(rule) || m.Rules.Any(r => r.Else.Contains(rule)));

        private readonly record struct BodyOutcome(Env? Env, string? Unknown);

        /// <summary>Every binding that satisfies the statements from <paramref name="index"/> on (an unknown stops that branch).</summary>
        private IEnumerable<BodyOutcome> Body(IReadOnlyList<RegoExpr> statements, int index, Env env, RegoModule module)
        {
            if (index == statements.Count)
            {
                yield return new BodyOutcome(env, null);
                yield break;
            }

            foreach (var outcome in Statement(statements[index], env, module))
            {
                if (outcome.Unknown is not null)
                {
                    yield return outcome;
                    continue;
                }

                foreach (var rest in Body(statements, index + 1, outcome.Env!, module))
                {
                    yield return rest;
                }
            }
        }

        private IEnumerable<BodyOutcome> Statement(RegoExpr statement, Env env, RegoModule module)
        {
            switch (statement)
            {
                case RegoNot not:
                    string? unknown = null;
                    foreach (var (value, _) in Eval(not.Operand, env, module))
                    {
                        if (value is Unknown u)
                        {
                            unknown ??= u.Why;
                        }
                        else if (value is not false)
                        {
                            yield break; // the negated expression holds: "not" fails
                        }
                    }

                    yield return unknown is null ? new BodyOutcome(env, null) : new BodyOutcome(null, unknown);
                    yield break;
                case RegoSomeIn some:
                    foreach (var (collection, e) in Eval(some.Collection, env, module))
                    {
                        if (collection is Unknown or OpenMap or RegoSet { Incomplete: not null })
                        {
                            yield return new BodyOutcome(null, collection is Unknown u ? u.Why : collection is RegoSet { Incomplete: { } why } ? why : "an iteration over fields the pod's creator chooses");
                            continue;
                        }

                        foreach (var (key, item) in Members(collection))
                        {
                            yield return new BodyOutcome(some.Key is null ? e.Bind(some.Value, item) : e.Bind(some.Key, key).Bind(some.Value, item), null);
                        }
                    }

                    yield break;
                case RegoBinary { Operator: ":=" or "=" } assign when Assignable(assign, env, module, out var variable, out var source):
                    foreach (var (value, e) in Eval(source, env, module))
                    {
                        yield return value is Unknown u ? new BodyOutcome(null, u.Why) : new BodyOutcome(e.Bind(variable, value), null);
                    }

                    yield break;
                case RegoBinary { Operator: ":=" }:
                    yield return new BodyOutcome(null, "a destructuring assignment");
                    yield break;
                default:
                    foreach (var (value, e) in Eval(statement is RegoBinary { Operator: "=" } unify ? new RegoBinary("==", unify.Left, unify.Right) : statement, env, module))
                    {
                        if (value is Unknown u)
                        {
                            yield return new BodyOutcome(null, u.Why);
                        }
                        else if (value is not false)
                        {
                            yield return new BodyOutcome(e, null);
                        }
                    }

                    yield break;
            }
        }

        /// <summary>An assignment (or a unification that assigns) to a variable not bound yet.</summary>
        private static bool Assignable(RegoBinary binary, Env env, RegoModule module, out string variable, out RegoExpr source)
        {
            if (binary.Left is RegoVar left && (binary.Operator == ":=" || (!env.TryGet(left.Name, out _) && !IsGlobal(left.Name, module))))
            {
                (variable, source) = (left.Name, binary.Right);
                return true;
            }

            if (binary.Operator == "=" && binary.Right is RegoVar right && !env.TryGet(right.Name, out _) && !IsGlobal(right.Name, module))
            {
                (variable, source) = (right.Name, binary.Left);
                return true;
            }

            (variable, source) = (string.Empty, binary.Right);
            return false;
        }

        private static bool IsGlobal(string name, RegoModule module) => name is "input" or "data" || module.Rules.Any(r => r.Name == name) || module.Imports.ContainsKey(name);

        private static IEnumerable<(object? Key, object? Item)> Members(object? collection) => collection switch
        {
            RegoSet set => set.Select(i => (i, i)),
            List<object?> list => list.Select((item, i) => ((object?)(double)i, item)),
            Dictionary<string, object?> map and not OpenMap => map.Select(p => ((object?)p.Key, p.Value)),
            _ => Enumerable.Empty<(object?, object?)>(),
        };

        /// <summary>The values an expression takes (several when it iterates), each with the bindings it made.</summary>
        private IEnumerable<(object? Value, Env Env)> Eval(RegoExpr expression, Env env, RegoModule module)
        {
            if (++depth > 200)
            {
                depth--;
                yield return (new Unknown("a rule nested too deeply"), env);
                yield break;
            }

            try
            {
                foreach (var result in EvalInner(expression, env, module))
                {
                    yield return result;
                }
            }
            finally
            {
                depth--;
            }
        }

        private IEnumerable<(object? Value, Env Env)> EvalInner(RegoExpr expression, Env env, RegoModule module)
        {
            switch (expression)
            {
                case RegoLiteral literal:
                    yield return (literal.Value, env);
                    yield break;
                case RegoUnsupported unsupported:
                    yield return (new Unknown(unsupported.Construct), env);
                    yield break;
                case RegoVar v:
                    foreach (var r in Variable(v.Name, env, module))
                    {
                        yield return r;
                    }

                    yield break;
                case RegoIndex index:
                    foreach (var r in Index(index, env, module))
                    {
                        yield return r;
                    }

                    yield break;
                case RegoNot not:
                    foreach (var outcome in Statement(not, env, module))
                    {
                        yield return (outcome.Unknown is { } why ? new Unknown(why) : true, env);
                        yield break;
                    }

                    yield return (false, env);
                    yield break;
                case RegoCall call:
                    foreach (var r in Call(call, env, module))
                    {
                        yield return r;
                    }

                    yield break;
                case RegoBinary binary:
                    foreach (var r in Binary(binary, env, module))
                    {
                        yield return r;
                    }

                    yield break;
                case RegoArray array:
                    foreach (var (items, e) in All(array.Items, env, module))
                    {
                        yield return (items.FirstOrDefault(i => i is Unknown) ?? items, e);
                    }

                    yield break;
                case RegoSetLiteral set:
                    foreach (var (items, e) in All(set.Items, env, module))
                    {
                        yield return (items.FirstOrDefault(i => i is Unknown) ?? new RegoSet(items), e);
                    }

                    yield break;
                case RegoObject obj:
                    foreach (var (items, e) in All(obj.Entries.SelectMany(p => new[] { p.Key, p.Value }).ToList(), env, module))
                    {
                        if (items.FirstOrDefault(i => i is Unknown) is { } u)
                        {
                            yield return (u, e);
                            continue;
                        }

                        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                        for (var i = 0; i < items.Count; i += 2)
                        {
                            map[items[i] as string ?? Convert.ToString(items[i], CultureInfo.InvariantCulture) ?? "null"] = items[i + 1];
                        }

                        yield return (map, e);
                    }

                    yield break;
                default:
                    yield return (new Unknown("an expression"), env);
                    yield break;
            }
        }

        /// <summary>Every combination of the items' values, left to right (bindings flow on).</summary>
        private IEnumerable<(List<object?> Items, Env Env)> All(IReadOnlyList<RegoExpr> items, Env env, RegoModule module, int from = 0)
        {
            if (from == items.Count)
            {
                yield return (new List<object?>(), env);
                yield break;
            }

            foreach (var (value, e) in Eval(items[from], env, module))
            {
                foreach (var (rest, last) in All(items, e, module, from + 1))
                {
                    rest.Insert(0, value);
                    yield return (rest, last);
                }
            }
        }

        private IEnumerable<(object? Value, Env Env)> Variable(string name, Env env, RegoModule module)
        {
            if (env.TryGet(name, out var bound))
            {
                yield return (bound, env);
            }
            else if (name == "input")
            {
                yield return (input, env);
            }
            else if (name == "data")
            {
                yield return (new PackageRef(string.Empty), env);
            }
            else if (Definitions(module.Package, name).Any(r => r.Args is null))
            {
                var (defined, value) = RuleValue(module.Package, name);
                if (defined)
                {
                    yield return (value, env);
                }
            }
            else if (module.Imports.TryGetValue(name, out var path))
            {
                yield return path.StartsWith("data.", StringComparison.Ordinal)
                    ? (new PackageRef(path["data.".Length..]), env)
                    : (new Unknown($"the import {path}"), env);
            }
            else
            {
                yield return (new Unknown($"the variable {name}"), env);
            }
        }

        private IEnumerable<(object? Value, Env Env)> Index(RegoIndex index, Env env, RegoModule module)
        {
            foreach (var (operand, e) in Eval(index.Operand, env, module))
            {
                if (operand is Unknown)
                {
                    yield return (operand, e);
                    continue;
                }

                // An unbound variable (or _) as the key iterates the collection.
                if (index.Key is RegoVar { Name: var keyName } && (keyName == "_" || (!e.TryGet(keyName, out _) && !IsGlobal(keyName, module))) && operand is not PackageRef)
                {
                    if (operand is OpenMap or RegoSet { Incomplete: not null })
                    {
                        yield return (new Unknown(operand is RegoSet { Incomplete: { } why } ? why : "an iteration over fields the pod's creator chooses"), e);
                        continue;
                    }

                    foreach (var (key, item) in Members(operand))
                    {
                        yield return (item, e.Bind(keyName, key));
                    }

                    continue;
                }

                foreach (var (key, ke) in Eval(index.Key, e, module))
                {
                    if (key is Unknown)
                    {
                        yield return (key, ke);
                        continue;
                    }

                    switch (operand)
                    {
                        case PackageRef package when key is string name:
                            var path = package.Path.Length == 0 ? name : package.Path + "." + name;
                            if (path == "inventory")
                            {
                                yield return (new Unknown("data.inventory (objects Gatekeeper replicates)"), ke);
                            }
                            else if (modules.Any(m => m.Package == path || m.Package.StartsWith(path + ".", StringComparison.Ordinal)))
                            {
                                yield return (new PackageRef(path), ke);
                            }
                            else if (Definitions(package.Path, name).Any(r => r.Args is null))
                            {
                                var (defined, value) = RuleValue(package.Path, name);
                                if (defined)
                                {
                                    yield return (value, ke);
                                }
                            }
                            else
                            {
                                yield return (new Unknown($"data.{path}, which the template does not define"), ke);
                            }

                            break;
                        case OpenMap open when key is string field && !open.ContainsKey(field):
                            yield return (new Unknown($"{field}, a field the pod's creator or requester chooses"), ke);
                            break;
                        case Dictionary<string, object?> map when key is string field:
                            if (map.TryGetValue(field, out var value2))
                            {
                                yield return (value2, ke);
                            }

                            break;
                        case List<object?> list when key is double position && position >= 0 && position < list.Count && position == Math.Floor(position):
                            yield return (list[(int)position], ke);
                            break;
                        case RegoSet set when set.Contains(key, ValueComparer.Instance):
                            yield return (key, ke);
                            break;
                        case Opaque opaque:
                            yield return (new Unknown(opaque.What), ke);
                            break;
                    }
                }
            }
        }

        private IEnumerable<(object? Value, Env Env)> Call(RegoCall call, Env env, RegoModule module)
        {
            foreach (var (args, e) in All(call.Args, env, module))
            {
                if (call.Function is "sprintf" or "format_int")
                {
                    yield return (new Opaque($"the text {call.Function} builds"), e);
                    continue;
                }

                if (args.FirstOrDefault(a => a is Unknown) is { } unknownArg && !IsUserFunction(call.Function, module, out _, out _))
                {
                    yield return (unknownArg, e);
                    continue;
                }

                switch (call.Function, args.Count)
                {
                    case ("lower", 1) when args[0] is string s:
                        yield return (s.ToLowerInvariant(), e);
                        continue;
                    case ("upper", 1) when args[0] is string s:
                        yield return (s.ToUpperInvariant(), e);
                        continue;
                    case ("count", 1):
                        if (args[0] is OpenMap)
                        {
                            yield return (new Unknown("the size of fields the pod's creator chooses"), e);
                        }
                        else if (args[0] switch { string s => s.Length, System.Collections.ICollection c => c.Count, _ => -1 } is var n and >= 0)
                        {
                            yield return ((double)n, e);
                        }

                        continue;
                    case ("startswith", 2) when args[0] is string s && args[1] is string p:
                        yield return (s.StartsWith(p, StringComparison.Ordinal), e);
                        continue;
                    case ("endswith", 2) when args[0] is string s && args[1] is string p:
                        yield return (s.EndsWith(p, StringComparison.Ordinal), e);
                        continue;
                    case ("contains", 2) when args[0] is string s && args[1] is string p:
                        yield return (s.Contains(p, StringComparison.Ordinal), e);
                        continue;
                    case ("object.get", 3):
                        yield return (ObjectGet(args[0], args[1], args[2]), e);
                        continue;
                }

                if (IsUserFunction(call.Function, module, out var package, out var name))
                {
                    var definitions = Definitions(package, name).Where(r => r.Args is not null).ToList();
                    var (defined, value) = Complete(definitions, Env.Empty, args);
                    if (defined)
                    {
                        yield return (value, e);
                    }

                    continue;
                }

                yield return (new Unknown($"the function {call.Function}"), e);
            }
        }

        /// <summary>A function the modules define: a local one, or one of an imported package (alias.f, data.x.f).</summary>
        private bool IsUserFunction(string function, RegoModule module, out string package, out string name)
        {
            if (!function.Contains('.', StringComparison.Ordinal) && module.Imports.TryGetValue(function, out var imported) && imported.StartsWith("data.", StringComparison.Ordinal))
            {
                function = imported["data.".Length..]; // import data.lib.exclude_update.is_update
            }

            var dot = function.LastIndexOf('.');
            name = dot < 0 ? function : function[(dot + 1)..];
            package = module.Package;
            if (dot >= 0)
            {
                var prefix = function[..dot];
                var first = prefix.Split('.')[0];
                package = module.Imports.TryGetValue(first, out var path) && path.StartsWith("data.", StringComparison.Ordinal)
                    ? path["data.".Length..] + prefix[first.Length..]
                    : prefix.StartsWith("data.", StringComparison.Ordinal) ? prefix["data.".Length..] : prefix;
            }

            var p = package;
            var n = name;
            return modules.Any(m => m.Package == p && m.Rules.Any(r => r.Name == n && r.Args is not null));
        }

        private static object? ObjectGet(object? obj, object? key, object? fallback)
        {
            var current = obj;
            foreach (var step in key is List<object?> path ? path : new List<object?> { key })
            {
                switch (current)
                {
                    case OpenMap open when step is string f && !open.ContainsKey(f):
                        return new Unknown($"{f}, a field the pod's creator or requester chooses");
                    case Dictionary<string, object?> map when step is string f:
                        if (!map.TryGetValue(f, out current))
                        {
                            return fallback;
                        }

                        break;
                    case Unknown:
                        return current;
                    default:
                        return fallback;
                }
            }

            return current;
        }

        private IEnumerable<(object? Value, Env Env)> Binary(RegoBinary binary, Env env, RegoModule module)
        {
            if (binary.Operator is ":=" or "=")
            {
                yield return (new Unknown("an assignment inside an expression"), env);
                yield break;
            }

            foreach (var (left, le) in Eval(binary.Left, env, module))
            {
                foreach (var (right, re) in Eval(binary.Right, le, module))
                {
                    if (left is Unknown || right is Unknown)
                    {
                        yield return (left is Unknown ? left : right, re);
                        continue;
                    }

                    object? result = binary.Operator switch
                    {
                        "==" => Equal(left, right) is { } eq ? eq : new Unknown("a comparison with a value not computed"),
                        "!=" => Equal(left, right) is { } ne ? !ne : new Unknown("a comparison with a value not computed"),
                        "<" or "<=" or ">" or ">=" => Compare(binary.Operator, left, right),
                        "in" => right switch
                        {
                            RegoSet or List<object?> => Members(right).Any(m => Equal(m.Item, left) == true),
                            Dictionary<string, object?> map and not OpenMap => map.Values.Any(v => Equal(v, left) == true),
                            _ => new Unknown("membership in a value not computed"),
                        },
                        "+" or "-" or "*" or "/" when left is double a && right is double b => binary.Operator switch
                        {
                            "+" => a + b,
                            "-" => a - b,
                            "*" => a * b,
                            _ => b == 0 ? null : a / b,
                        },
                        _ => new Unknown($"the operator {binary.Operator}"),
                    };
                    if (binary.Operator == "/" && result is null)
                    {
                        continue; // division by zero is undefined
                    }

                    yield return (result, re);
                }
            }
        }

        private static object? Compare(string op, object? left, object? right)
        {
            int? c = (left, right) switch
            {
                (double a, double b) => a.CompareTo(b),
                (string a, string b) => string.CompareOrdinal(a, b),
                _ => null,
            };
            if (c is null)
            {
                return new Unknown("a comparison of values of different types");
            }

            return op switch
            {
                "<" => c < 0,
                "<=" => c <= 0,
                ">" => c > 0,
                _ => c >= 0,
            };
        }

        /// <summary>Rego's structural equality; null when a side is not computed (opaque or open).</summary>
        public static bool? Equal(object? left, object? right)
        {
            switch (left, right)
            {
                case (Unknown, _) or (_, Unknown):
                    return null;
                case (Opaque, _) or (_, Opaque):
                    return left is string or Opaque || right is string or Opaque ? null : false; // an opaque value is a string
                case (OpenMap, _) or (_, OpenMap):
                    return left is Dictionary<string, object?> && right is Dictionary<string, object?> ? null : false;
                case (null, null):
                    return true;
                case (null, _) or (_, null):
                    return false;
                case (string a, string b):
                    return string.Equals(a, b, StringComparison.Ordinal);
                case (double a, double b):
                    return a.Equals(b);
                case (bool a, bool b):
                    return a == b;
                case (List<object?> a, List<object?> b) when a is RegoSet == b is RegoSet:
                    if (a.Count != b.Count)
                    {
                        return false;
                    }

                    bool? all = true;
                    for (var i = 0; i < a.Count; i++)
                    {
                        var item = a is RegoSet ? (b.Any(x => Equal(a[i], x) == true) ? true : b.Any(x => Equal(a[i], x) is null) ? null : false) : Equal(a[i], b[i]);
                        all = item == false ? false : all is null || item is null ? null : all;
                        if (all == false)
                        {
                            return false;
                        }
                    }

                    return all;
                case (Dictionary<string, object?> a, Dictionary<string, object?> b):
                    if (a.Count != b.Count || !a.Keys.All(b.ContainsKey))
                    {
                        return false;
                    }

                    bool? every = true;
                    foreach (var (k, v) in a)
                    {
                        var item = Equal(v, b[k]);
                        if (item == false)
                        {
                            return false;
                        }

                        every = every is null || item is null ? null : every;
                    }

                    return every;
                default:
                    return false;
            }
        }
    }
}

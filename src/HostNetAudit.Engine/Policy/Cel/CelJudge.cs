using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>
/// Judges the CEL of an admission policy against the reference pod (hostNetwork: true) and its control twin
/// (docs/design.md, "Semantics"): a policy <see cref="CelVerdict.Refuses"/> hostNetwork when it denies the reference
/// pod and admits the twin. Validations deny when their expression is false; a request is denied when any
/// validation denies it. Each expression is evaluated (after the rewrites of <see cref="CelRewriter"/>); where
/// the evaluator cannot run it, its text is read (<see cref="CelTextReader"/>) and the judgement says
/// <see cref="CelJudgedBy.Text"/>; what neither decides is <see cref="CelVerdict.Unknown"/> — never Refuses.
/// </summary>
/// <remarks>
/// Engine sources read for the bindings: the apiserver's ValidatingAdmissionPolicy (object, oldObject, request,
/// params, namespaceObject, lazily evaluated variables, matchConditions: all must be true for the policy to
/// apply, a false one excludes the request whatever the others do), Kyverno (validate.cel and ValidatingPolicy
/// evaluate through the same apiserver libraries) and Gatekeeper's K8sNativeValidation driver (variables
/// anyObject and params bound before the template's own; params = the constraint). Evaluation is in memory
/// and synchronous; the token is checked between expressions. Judgements are remembered per policy
/// instance: judging the same <see cref="CelPolicy"/> object for pods that differ only in their namespace
/// (when the policy does not read the namespace) costs one evaluation, not one per namespace.
/// </remarks>
/// <example>
/// <code>
/// var policy = CelPolicySources.FromValidatingAdmissionPolicy(vapJson);          // once per policy
/// var judgement = CelJudge.JudgeValidations(policy, new CelAdmissionInput
/// {
///     ReferencePod = referencePod, TwinPod = twinPod, NamespaceObject = namespaceJson,
/// }, cancellationToken);
/// if (judgement.Verdict == CelVerdict.Refuses) { /* finding: judgement.JudgedBy, judgement.Detail */ }
/// </code>
/// </example>
internal static class CelJudge
{
    /// <summary>Judges the policy's validations; never throws for anything in the policy.</summary>
    public static CelJudgement JudgeValidations(CelPolicy policy, CelAdmissionInput input, CancellationToken cancellationToken = default) =>
        JudgeValidations(policy, input, CelRuntime.Shared, cancellationToken);

    internal static CelJudgement JudgeValidations(CelPolicy policy, CelAdmissionInput input, CelRuntime runtime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(runtime);
        cancellationToken.ThrowIfCancellationRequested();

        var facts = CelPolicyFacts.For(policy, runtime);
        var key = CelPolicyFacts.Fingerprint(input, facts.DependsOnNamespace);
        if (facts.Judgements.TryGetValue(key, out var known))
        {
            return known;
        }

        var judgement = Judge(policy, input, runtime, cancellationToken);
        facts.Remember(key, judgement);
        return judgement;
    }

    private static CelJudgement Judge(CelPolicy policy, CelAdmissionInput input, CelRuntime runtime, CancellationToken cancellationToken)
    {
        var session = new JudgingSession(policy, input, runtime);
        var reference = session.Context(input.ReferencePod);
        var twin = session.Context(input.TwinPod);

        // Match conditions: the policy applies only when every one is true.
        var match = session.MatchConditions(reference, twin, cancellationToken);
        if (match.ExcludedBy is { } excluded)
        {
            return session.Result(
                CelVerdict.DoesNotRefuse,
                excluded.ByText,
                excluded.Error is null
                    ? $"Match condition '{excluded.Name}' excludes the reference pod: the policy does not apply to it, so it does not refuse hostNetwork."
                    : $"Match condition '{excluded.Name}' raises an error for the reference pod ({excluded.Error}) and failurePolicy Ignore skips the policy then, so it does not refuse hostNetwork.",
                excludedBy: excluded.Name);
        }

        if (match.Rejected is { } rejected)
        {
            return session.RejectedByMatch(rejected, match, twin, cancellationToken);
        }

        if (policy.Validations.Count == 0)
        {
            return session.Result(CelVerdict.DoesNotRefuse, byText: false, "The policy has no validations: it denies nothing.");
        }

        var outcomes = new List<CelValidationOutcome>();
        var referenceDecisions = new List<Decision>();
        var twinDecisions = new List<Decision>();
        for (var i = 0; i < policy.Validations.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var program = runtime.Prepare(policy.Validations[i].Expression);
            var onReference = session.Resolve(session.Decide(program, reference));
            var onTwin = match.TwinExcluded || match.TwinRejected is not null ? new Decision(CelOutcome.Admit, false, null) : session.Resolve(session.Decide(program, twin));
            if (match.TwinUndecided is { } twinMatch && onTwin.Outcome == CelOutcome.Deny)
            {
                // Denied if the policy applies to the twin, admitted if not: unknown which.
                onTwin = new Decision(CelOutcome.Unknown, true, $"match condition '{twinMatch.Name}' could not be decided for the twin ({twinMatch.Problem})");
            }

            referenceDecisions.Add(onReference);
            twinDecisions.Add(onTwin);
            outcomes.Add(new CelValidationOutcome(
                i,
                policy.Validations[i].Expression,
                onReference.Outcome,
                onTwin.Outcome,
                onReference.ByText || onTwin.ByText ? CelJudgedBy.Text : CelJudgedBy.Evaluated,
                onReference.Problem ?? onTwin.Problem));
        }

        if (match.TwinRejected is { } twinRejected)
        {
            return session.TwinRejectedByMatch(twinRejected, referenceDecisions, outcomes);
        }

        var judgement = session.Combine(referenceDecisions, twinDecisions, outcomes, reference);

        // An undecided match condition matters only if the validations would deny the reference pod:
        // admitted whether the policy applies or not is still admitted.
        if (match.Undecided is { } undecided && judgement.Verdict is CelVerdict.Refuses or CelVerdict.DeniesBoth)
        {
            return session.Result(
                CelVerdict.Unknown,
                byText: true,
                $"Match condition '{undecided.Name}' could not be decided for the reference pod ({undecided.Problem}): whether the policy applies, and so whether it refuses hostNetwork, is unknown.",
                outcomes: outcomes);
        }

        return judgement;
    }

    /// <summary>
    /// A decision on one pod: its outcome, whether it came from the text, and what went wrong; for a certain
    /// evaluation error, the error and the absent field that raised it (kept when failurePolicy resolves it).
    /// </summary>
    internal readonly record struct Decision(CelOutcome Outcome, bool ByText, string? Problem, string? Error = null, string? Absent = null);

    /// <summary>A match condition that decided: its name, and for one that raised an error, the error and absent field.</summary>
    private readonly record struct MatchDecision(string Name, bool ByText, string? Problem, string? Error = null, string? Absent = null);

    /// <summary>
    /// How the match conditions treat both pods: excluded (a false condition, or an error under Ignore), rejected
    /// (an error under Fail with none false: the request is denied whatever the validations say), or undecided.
    /// </summary>
    private readonly record struct MatchResult(MatchDecision? ExcludedBy, MatchDecision? Undecided, bool TwinExcluded, MatchDecision? TwinUndecided, MatchDecision? Rejected = null, MatchDecision? TwinRejected = null);

    /// <summary>What one pod is judged with: the evaluator's activation and the text reader.</summary>
    private sealed class PodContext
    {
        public required CelActivation Activation { get; init; }

        public required CelTextReader Reader { get; init; }

        /// <summary>Roots bound to null here (params, oldObject, ...; "variables.params" for Gatekeeper).</summary>
        public required IReadOnlySet<string> NullRoots { get; init; }
    }

    private sealed class JudgingSession
    {
        private readonly CelPolicy policy;
        private readonly CelAdmissionInput input;
        private readonly CelRuntime runtime;
        private readonly Dictionary<string, CelExpressionProgram> variables;
        private readonly Dictionary<string, CelNode?> variableSyntax;
        private readonly HashSet<string> rewrites = new(StringComparer.Ordinal);
        private readonly List<CelValidationOutcome> noOutcomes = new();
        private readonly CelPolicyFacts facts;
        private readonly object? oldObject;
        private readonly object? namespaceObject;

        public JudgingSession(CelPolicy policy, CelAdmissionInput input, CelRuntime runtime)
        {
            this.policy = policy;
            this.input = input;
            this.runtime = runtime;
            facts = CelPolicyFacts.For(policy, runtime);
            oldObject = CelValues.FromJson(input.OldObject);
            namespaceObject = CelValues.FromJson(input.NamespaceObject);

            // A later declaration of the same name wins, as a map would; the apiserver rejects duplicates.
            variables = new Dictionary<string, CelExpressionProgram>(StringComparer.Ordinal);
            foreach (var variable in policy.Variables)
            {
                variables[variable.Name] = runtime.Prepare(variable.Expression);
                rewrites.UnionWith(variables[variable.Name].Rewrites);
            }

            variableSyntax = variables.ToDictionary(v => v.Key, v => v.Value.Syntax, StringComparer.Ordinal);
        }

        public PodContext Context(JsonElement pod)
        {
            var podValue = CelValues.FromJson(pod);
            var bindings = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["object"] = podValue,
                ["oldObject"] = oldObject,
                ["request"] = Request(pod),
                ["params"] = facts.Params,
                ["namespaceObject"] = namespaceObject,
            };

            var preset = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (policy.Dialect == CelDialect.Gatekeeper)
            {
                // Gatekeeper: anyObject is oldObject on DELETE (when object is null), else object;
                // params is the constraint's spec.parameters, or null.
                preset["anyObject"] = string.Equals(input.Operation, "DELETE", StringComparison.Ordinal) && podValue is null ? oldObject : podValue;
                preset["params"] = facts.GatekeeperParameters;
            }

            var nullRoots = bindings.Where(b => b.Value is null).Select(b => b.Key)
                .Concat(preset.Where(p => p.Value is null).Select(p => "variables." + p.Key))
                .ToHashSet(StringComparer.Ordinal);
            return new PodContext
            {
                Activation = new CelActivation(runtime, bindings, variables, preset),
                Reader = new CelTextReader(bindings, variableSyntax, preset),
                NullRoots = nullRoots,
            };
        }

        private Dictionary<string, object?> Request(JsonElement pod)
        {
            var ns = pod.Get("metadata", "namespace").AsString()
                ?? input.NamespaceObject?.Get("metadata", "name").AsString()
                ?? string.Empty;
            var kind = new Dictionary<string, object?> { ["group"] = string.Empty, ["version"] = "v1", ["kind"] = "Pod" };
            var resource = new Dictionary<string, object?> { ["group"] = string.Empty, ["version"] = "v1", ["resource"] = "pods" };
            return new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["uid"] = "00000000-0000-0000-0000-000000000000",
                ["kind"] = kind,
                ["resource"] = resource,
                ["requestKind"] = new Dictionary<string, object?>(kind),
                ["requestResource"] = new Dictionary<string, object?>(resource),
                ["name"] = pod.Get("metadata", "name").AsString() ?? string.Empty,
                ["namespace"] = ns,
                ["operation"] = input.Operation,
                ["userInfo"] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["username"] = input.UserInfo.Username,
                    ["uid"] = input.UserInfo.Uid,
                    ["groups"] = input.UserInfo.Groups.Cast<object?>().ToArray(),
                },
                ["dryRun"] = false,
                ["options"] = new Dictionary<string, object?> { ["apiVersion"] = "meta.k8s.io/v1", ["kind"] = OptionsKind(input.Operation) },
            };
        }

        private static string OptionsKind(string operation) => operation switch
        {
            "UPDATE" => "UpdateOptions",
            "DELETE" => "DeleteOptions",
            _ => "CreateOptions",
        };

        /// <summary>
        /// Evaluates the match conditions on both pods. A false condition excludes a pod whatever the others
        /// give (the apiserver's rule); without a false one, an error rejects the request under failurePolicy Fail
        /// and skips the policy under Ignore (<see cref="CelPolicy.FailurePolicyDecidesErrors"/>), and an undecided
        /// condition leaves the match undecided.
        /// </summary>
        public MatchResult MatchConditions(PodContext reference, PodContext twin, CancellationToken cancellationToken)
        {
            MatchDecision? referenceUndecided = null;
            MatchDecision? twinUndecided = null;
            MatchDecision? referenceError = null;
            MatchDecision? twinError = null;
            var twinExcluded = false;
            foreach (var condition in policy.MatchConditions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var program = runtime.Prepare(condition.Expression);

                // "Deny" here is a false condition: the policy does not apply to the pod.
                var onReference = Decide(program, reference);
                if (onReference.Outcome == CelOutcome.Deny)
                {
                    return new MatchResult(new MatchDecision(condition.Name, onReference.ByText, null), null, false, null);
                }

                if (onReference.Outcome == CelOutcome.Error)
                {
                    referenceError ??= new MatchDecision(condition.Name, false, onReference.Problem, onReference.Error, onReference.Absent);
                }
                else if (onReference.Outcome == CelOutcome.Unknown)
                {
                    referenceUndecided ??= new MatchDecision(condition.Name, true, onReference.Problem);
                }

                var onTwin = Decide(program, twin);
                twinExcluded |= onTwin.Outcome == CelOutcome.Deny;
                if (onTwin.Outcome == CelOutcome.Error)
                {
                    twinError ??= new MatchDecision(condition.Name, false, onTwin.Problem, onTwin.Error, onTwin.Absent);
                }
                else if (onTwin.Outcome == CelOutcome.Unknown)
                {
                    twinUndecided ??= new MatchDecision(condition.Name, true, onTwin.Problem);
                }
            }

            MatchDecision? rejected = null;
            MatchDecision? twinRejected = null;
            if (referenceError is { } error)
            {
                if (!policy.FailurePolicyDecidesErrors)
                {
                    referenceUndecided ??= error with { ByText = true, Problem = error.Problem ?? error.Error };
                }
                else if (policy.IgnoresErrors)
                {
                    return new MatchResult(error, null, false, null);
                }
                else if (referenceUndecided is null)
                {
                    rejected = error;
                }
            }

            if (twinError is { } onTwinError && !twinExcluded)
            {
                if (!policy.FailurePolicyDecidesErrors)
                {
                    twinUndecided ??= onTwinError with { ByText = true, Problem = onTwinError.Problem ?? onTwinError.Error };
                }
                else if (policy.IgnoresErrors)
                {
                    twinExcluded = true;
                }
                else if (twinUndecided is null)
                {
                    twinRejected = onTwinError;
                }
            }

            return new MatchResult(null, referenceUndecided, twinExcluded, twinExcluded ? null : twinUndecided, rejected, twinRejected);
        }

        /// <summary>A validation's decision after failurePolicy: an error denies under Fail, is skipped under Ignore, else is unknown.</summary>
        public Decision Resolve(Decision decision)
        {
            if (decision.Outcome != CelOutcome.Error)
            {
                return decision;
            }

            if (!policy.FailurePolicyDecidesErrors)
            {
                return new Decision(CelOutcome.Unknown, true, decision.Problem ?? decision.Error);
            }

            return decision with { Outcome = policy.IgnoresErrors ? CelOutcome.Admit : CelOutcome.Deny };
        }

        /// <summary>The policy rejects the reference pod outright (a match condition errors under failurePolicy Fail).</summary>
        public CelJudgement RejectedByMatch(MatchDecision rejected, MatchResult match, PodContext twin, CancellationToken cancellationToken)
        {
            var why = $"Match condition '{rejected.Name}' raises an error for the reference pod ({rejected.Error}) and failurePolicy {FailurePolicyName} rejects the request then";
            if (match.TwinRejected is { } both)
            {
                return Result(CelVerdict.DeniesBoth, byText: false, $"{why}; it raises one for the twin too ({both.Error}): the policy denies every pod that lacks {both.Absent ?? "what it reads"}, not hostNetwork pods alone.", deniesLacking: both.Absent);
            }

            if (!match.TwinExcluded)
            {
                for (var i = 0; i < policy.Validations.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var onTwin = Resolve(Decide(runtime.Prepare(policy.Validations[i].Expression), twin));
                    if (onTwin.Outcome == CelOutcome.Deny)
                    {
                        return Result(CelVerdict.DeniesBoth, onTwin.ByText, $"{why}, and validation {Ordinal(i)} ({Short(policy.Validations[i].Expression)}) denies the twin: the denial is not about hostNetwork.", index: i, deniesLacking: onTwin.Error is null ? null : onTwin.Absent);
                    }

                    if (onTwin.Outcome == CelOutcome.Unknown || match.TwinUndecided is not null)
                    {
                        return Result(CelVerdict.Unknown, byText: true, $"{why}, but whether the policy admits the twin could not be decided ({onTwin.Problem ?? match.TwinUndecided?.Problem}).");
                    }
                }
            }

            return Result(CelVerdict.Refuses, byText: false, $"{why}, while it admits the twin: the policy refuses hostNetwork.");
        }

        /// <summary>The policy rejects the twin outright (a match condition errors on it under failurePolicy Fail).</summary>
        public CelJudgement TwinRejectedByMatch(MatchDecision rejected, List<Decision> onReference, List<CelValidationOutcome> outcomes)
        {
            var denied = onReference.FindIndex(d => d.Outcome == CelOutcome.Deny);
            if (denied >= 0)
            {
                return Result(
                    CelVerdict.DeniesBoth,
                    onReference[denied].ByText,
                    $"Match condition '{rejected.Name}' raises an error for the twin ({rejected.Error}) and failurePolicy {FailurePolicyName} rejects the request then: the policy denies every pod that lacks {rejected.Absent ?? "what the condition reads"}, not hostNetwork pods alone.",
                    outcomes: outcomes,
                    index: denied,
                    deniesLacking: rejected.Absent);
            }

            var unknown = onReference.FindIndex(d => d.Outcome == CelOutcome.Unknown);
            return unknown >= 0
                ? Result(CelVerdict.Unknown, byText: true, $"Validation {Ordinal(unknown)} could not be decided for the reference pod: {onReference[unknown].Problem}.", outcomes: outcomes, index: unknown)
                : Result(CelVerdict.DoesNotRefuse, onReference.Any(d => d.ByText), $"The validations admit the reference pod; match condition '{rejected.Name}' rejects only pods that lack {rejected.Absent ?? "what it reads"}, so the policy does not refuse hostNetwork.", outcomes: outcomes);
        }

        /// <summary>The failurePolicy as the apiserver applies it (unset = Fail).</summary>
        private string FailurePolicyName => policy.IgnoresErrors ? "Ignore" : policy.FailurePolicy ?? "Fail (the default)";

        /// <summary>Evaluates one boolean expression on one pod, falling back to its text.</summary>
        public Decision Decide(CelExpressionProgram program, PodContext context)
        {
            foreach (var rewrite in program.Rewrites)
            {
                rewrites.Add(rewrite);
            }

            // The evaluator answers null when selecting a field of null, where CEL raises an error:
            // such an expression is decided by its text only.
            var nullRoot = program.Syntax is null ? null : SelectedNullRoot(program.Syntax, context.NullRoots, new HashSet<string>(StringComparer.Ordinal));
            var evaluation = nullRoot is null
                ? runtime.Evaluate(program, context.Activation)
                : CelEvaluation.Failure($"it selects a field of {nullRoot}, which is null here");
            var text = program.Syntax is null ? CelTextValue.Unknown : context.Reader.Read(program.Syntax);

            if (evaluation is { Succeeded: true, Value: bool value })
            {
                if (text.Known && text.Value is bool read && read != value)
                {
                    return new Decision(CelOutcome.Unknown, false, $"the evaluator says {Bool(value)} but the text reads {Bool(read)}");
                }

                if (text.IsError)
                {
                    // The evaluator answers a marker where CEL raises "no such key" inside an expression; the text is certain.
                    return new Decision(CelOutcome.Error, false, $"the evaluator says {Bool(value)}, but CEL raises an error here", text.Error, text.Absent);
                }

                return new Decision(value ? CelOutcome.Admit : CelOutcome.Deny, false, null);
            }

            var problem = evaluation.Succeeded
                ? $"the expression gives {CelValues.Describe(evaluation.Value)}, not a bool"
                : evaluation.Error;
            if (text.Known && text.Value is bool fromText)
            {
                return new Decision(fromText ? CelOutcome.Admit : CelOutcome.Deny, true, problem);
            }

            // The evaluator fails and the text shows why with certainty: an evaluation error, as the engine meets it.
            if (text.IsError && !evaluation.Succeeded)
            {
                return new Decision(CelOutcome.Error, false, problem, text.Error, text.Absent);
            }

            return new Decision(CelOutcome.Unknown, true, problem);
        }

        private static string Bool(bool value) => value ? "true" : "false";

        /// <summary>The null-bound root that the expression (or a variable it reads) selects a field of, or null.</summary>
        private string? SelectedNullRoot(CelNode syntax, IReadOnlySet<string> nullRoots, HashSet<string> visited)
        {
            if (nullRoots.Count == 0)
            {
                return null;
            }

            foreach (var node in CelTree.Descendants(syntax))
            {
                var operand = node switch
                {
                    CelSelect s => s.Operand,
                    CelIndex i => i.Operand,
                    _ => null,
                };
                var root = operand switch
                {
                    CelIdent ident => ident.Name,
                    CelSelect { Operand: CelIdent { Name: "variables" } } variable => "variables." + variable.Field,
                    _ => null,
                };
                if (root is not null && nullRoots.Contains(root))
                {
                    return root;
                }
            }

            foreach (var name in CelTree.ReferencedVariables(syntax))
            {
                if (visited.Add(name) && variables.TryGetValue(name, out var program) && program.Syntax is { } variableSyntax
                    && SelectedNullRoot(variableSyntax, nullRoots, visited) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        public CelJudgement Combine(List<Decision> onReference, List<Decision> onTwin, List<CelValidationOutcome> outcomes, PodContext reference)
        {
            var referenceDenied = onReference.FindIndex(d => d.Outcome == CelOutcome.Deny);
            if (referenceDenied < 0)
            {
                var unknownOnReference = onReference.FindIndex(d => d.Outcome == CelOutcome.Unknown);
                if (unknownOnReference >= 0)
                {
                    return Result(
                        CelVerdict.Unknown,
                        byText: true,
                        $"Validation {Ordinal(unknownOnReference)} could not be decided for the reference pod: {onReference[unknownOnReference].Problem}; its text was not understood.",
                        outcomes: outcomes,
                        index: unknownOnReference);
                }

                var skipped = onReference.FindIndex(d => d.Error is not null);
                return Result(
                    CelVerdict.DoesNotRefuse,
                    onReference.Any(d => d.ByText),
                    (onReference.Count == 1
                        ? "The validation admits the reference pod (hostNetwork: true): the policy does not refuse hostNetwork."
                        : $"All {onReference.Count} validations admit the reference pod (hostNetwork: true): the policy does not refuse hostNetwork.")
                    + (skipped < 0 ? string.Empty : $" Validation {Ordinal(skipped)} raises an error for it ({onReference[skipped].Error}), which failurePolicy Ignore skips."),
                    outcomes: outcomes);
            }

            var twinDenied = onTwin.FindIndex(d => d.Outcome == CelOutcome.Deny);
            if (twinDenied >= 0)
            {
                var error = onTwin[twinDenied].Error;
                return Result(
                    CelVerdict.DeniesBoth,
                    onReference[referenceDenied].ByText || onTwin[twinDenied].ByText,
                    error is null
                        ? $"Validation {Ordinal(twinDenied)} ({Short(policy.Validations[twinDenied].Expression)}) denies the twin (the same pod without hostNetwork) too: the denial is not about hostNetwork."
                        : $"Validation {Ordinal(twinDenied)} ({Short(policy.Validations[twinDenied].Expression)}) raises an error for the twin ({error}) and failurePolicy {FailurePolicyName} denies on error: the policy denies every pod that lacks {onTwin[twinDenied].Absent ?? "what it reads"}, not hostNetwork pods alone.",
                    outcomes: outcomes,
                    index: twinDenied,
                    deniesLacking: error is null ? null : onTwin[twinDenied].Absent);
            }

            var twinUnknown = onTwin.FindIndex(d => d.Outcome == CelOutcome.Unknown);
            if (twinUnknown >= 0)
            {
                var which = twinUnknown == referenceDenied
                    ? $"Validation {Ordinal(referenceDenied)} denies the reference pod but could not be decided for the twin"
                    : $"Validation {Ordinal(referenceDenied)} denies the reference pod, but validation {Ordinal(twinUnknown)} could not be decided for the twin";
                return Result(
                    CelVerdict.Unknown,
                    byText: true,
                    $"{which} ({onTwin[twinUnknown].Problem}): whether the denial is about hostNetwork is unknown.",
                    outcomes: outcomes,
                    index: referenceDenied);
            }

            // Prefer a deciding validation that the evaluator ran (and that is false rather than an error) over one read from text.
            var deciding = onReference.FindIndex(d => d.Outcome == CelOutcome.Deny && !d.ByText && d.Error is null);
            if (deciding < 0)
            {
                deciding = onReference.FindIndex(d => d.Outcome == CelOutcome.Deny && !d.ByText);
            }

            if (deciding < 0)
            {
                deciding = referenceDenied;
            }

            var byText = onReference[deciding].ByText || onTwin.Any(d => d.ByText);
            var detail = onReference[deciding].Error is { } refused
                ? $"Validation {Ordinal(deciding)} ({Short(policy.Validations[deciding].Expression)}) raises an error for the reference pod ({refused}) and failurePolicy {FailurePolicyName} denies on error, while it admits the twin: the policy refuses hostNetwork."
                : $"Validation {Ordinal(deciding)} ({Short(policy.Validations[deciding].Expression)}) denies the reference pod and admits its twin: the policy refuses hostNetwork.";
            if (byText)
            {
                var problem = onReference[deciding].Problem ?? onTwin.Select(d => d.Problem).FirstOrDefault(p => p is not null);
                detail += $" Read from the expression text, because the evaluator could not run it ({problem}).";
            }

            return Result(CelVerdict.Refuses, byText, detail, outcomes: outcomes, index: deciding, message: Message(deciding, reference), escape: Escape(onReference, reference));
        }

        /// <summary>
        /// Whether a hostNetwork pod whose creator chose other labels, annotations, containers or name, or a request
        /// by another user, could pass every validation that denies the reference pod: each is read again (by its
        /// text) with those left open. One that stays false whatever they are refuses every hostNetwork pod. Only a
        /// validation the reader understood for the reference pod itself can show an escape; one it cannot read
        /// proves nothing. The escape names what it reads: the pod's fields, or the requesting user's name and groups.
        /// </summary>
        private string? Escape(List<Decision> onReference, PodContext reference)
        {
            var open = OpenReader(input.ReferencePod, openPod: true, openUser: true);
            var userKnown = OpenReader(input.ReferencePod, openPod: true, openUser: false);
            var podKnown = OpenReader(input.ReferencePod, openPod: false, openUser: true);
            var escapable = new List<int>();
            var readsPod = false;
            var readsUser = false;
            for (var i = 0; i < onReference.Count; i++)
            {
                if (onReference[i].Outcome != CelOutcome.Deny || runtime.Prepare(policy.Validations[i].Expression).Syntax is not { } syntax)
                {
                    continue;
                }

                if (open.Read(syntax).IsFalse)
                {
                    return null;
                }

                // A denial by an error (failurePolicy Fail) escapes just as a false one does.
                if (reference.Reader.Read(syntax) is { IsFalse: true } or { IsError: true })
                {
                    escapable.Add(i);
                    readsPod |= !userKnown.Read(syntax).IsFalse;
                    readsUser |= !podKnown.Read(syntax).IsFalse;
                }
            }

            if (escapable.Count == 0)
            {
                return null;
            }

            var what = (readsPod, readsUser) switch
            {
                (true, false) => "fields the pod's creator chooses (labels, annotations, containers or name), so a hostNetwork pod that sets them otherwise may be admitted",
                (false, true) => "the requesting user (request.userInfo: name or groups), so hostNetwork pods that other users or service accounts create may be admitted",
                _ => "fields the pod's creator chooses (labels, annotations, containers or name) and the requesting user (request.userInfo), so a hostNetwork pod created otherwise may be admitted",
            };
            return $"validation {string.Join(", ", escapable.Select(Ordinal))} ({Short(policy.Validations[escapable[0]].Expression)}) also reads {what}";
        }

        /// <summary>A text reader for a hostNetwork pod whose creator-chosen fields, or whose requester, are open (unknown).</summary>
        private CelTextReader OpenReader(JsonElement pod, bool openPod, bool openUser)
        {
            var metadata = new CelTextReader.OpenMap();
            if (pod.Get("metadata", "namespace").AsString() is { } ns)
            {
                metadata["namespace"] = ns;
            }

            var podValue = openPod
                ? new CelTextReader.OpenMap
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Pod",
                    ["metadata"] = metadata,
                    ["spec"] = new CelTextReader.OpenMap { ["hostNetwork"] = true },
                }
                : CelValues.FromJson(pod);
            var openRequest = new CelTextReader.OpenMap();
            foreach (var (key, value) in Request(pod))
            {
                if (!(openPod && key == "name") && !(openUser && key == "userInfo"))
                {
                    openRequest[key] = value;
                }
            }

            var bindings = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["object"] = podValue,
                ["oldObject"] = oldObject,
                ["request"] = openRequest,
                ["params"] = facts.Params,
                ["namespaceObject"] = namespaceObject,
            };
            var preset = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (policy.Dialect == CelDialect.Gatekeeper)
            {
                preset["anyObject"] = podValue;
                preset["params"] = facts.GatekeeperParameters;
            }

            return new CelTextReader(bindings, variableSyntax, preset);
        }

        /// <summary>The message the engine returns on denial: messageExpression, else message, else the apiserver's default.</summary>
        private string Message(int index, PodContext reference)
        {
            var validation = policy.Validations[index];
            if (!string.IsNullOrWhiteSpace(validation.MessageExpression))
            {
                var program = runtime.Prepare(validation.MessageExpression);
                var evaluation = runtime.Evaluate(program, reference.Activation);
                if (evaluation is { Succeeded: true, Value: string message } && !string.IsNullOrWhiteSpace(message))
                {
                    return message.Trim();
                }

                if (program.Syntax is not null && reference.Reader.Read(program.Syntax) is { Known: true, Value: string read } && !string.IsNullOrWhiteSpace(read))
                {
                    return read.Trim();
                }
            }

            if (!string.IsNullOrWhiteSpace(validation.Message))
            {
                return Regex.Replace(validation.Message.Trim(), @"\s+", " ");
            }

            return "failed expression: " + validation.Expression.Trim();
        }

        public CelJudgement Result(
            CelVerdict verdict,
            bool byText,
            string detail,
            string? excludedBy = null,
            List<CelValidationOutcome>? outcomes = null,
            int? index = null,
            string? message = null,
            string? escape = null,
            string? deniesLacking = null)
        {
            if (policy.FailurePolicy is { } failurePolicy && verdict == CelVerdict.Unknown && !policy.FailurePolicyDecidesErrors)
            {
                detail += $" (failurePolicy {failurePolicy} decides what the engine does with an evaluation error.)";
            }

            return new CelJudgement
            {
                Verdict = verdict,
                JudgedBy = byText ? CelJudgedBy.Text : CelJudgedBy.Evaluated,
                Detail = policy.Name + ": " + detail,
                ValidationIndex = index,
                Expression = index is { } i ? policy.Validations[i].Expression : null,
                Message = message,
                ExcludedByMatchCondition = excludedBy,
                PodFieldsEscape = escape,
                DeniesLacking = deniesLacking,
                HasMatchConditions = policy.MatchConditions.Count > 0,
                DependsOnNamespace = facts.DependsOnNamespace,
                DependsOnParams = facts.DependsOnParams,
                Rewrites = rewrites.OrderBy(r => r, StringComparer.Ordinal).ToList(),
                Validations = outcomes ?? noOutcomes,
            };
        }

        private static string Ordinal(int index) => (index + 1).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>An expression shortened for a detail: whitespace collapsed, at most 100 characters, quoted.</summary>
    internal static string Short(string expression)
    {
        var text = Regex.Replace(expression.Trim(), @"\s+", " ");
        return "'" + (text.Length > 100 ? text[..97] + "..." : text) + "'";
    }
}

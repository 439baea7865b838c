using System.Net;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Targeted;

namespace HostNetAudit.Engine.Remediation;

/// <summary>
/// Set-, Remove- and Restore-HostNetworkPolicy on one cluster. Set: discover the served version, generate the policy
/// and binding for the cluster as it is now, read what exists, and server-side dry-run both applies (a conflict with
/// another field manager stops here unless forced); equal spec, labels and annotations after the dry run means no
/// write. The write applies the policy, then the binding, then proves enforcement (the status controller observed the
/// generation without type-checking warnings, and a dry-run create of the reference pod is refused by this policy);
/// anything short of that puts both objects back as they were. Remove deletes the module's objects binding first with
/// uid and resourceVersion preconditions; Restore puts a record's before-state back (spec, labels, annotations).
/// </summary>
internal sealed class HostNetworkPolicyRemediation : IHostNetworkPolicyRemediation
{
    private readonly KubeApiClient api;
    private readonly IEngineLog log;
    private readonly Func<HostNetworkPolicySetRequest, string, CancellationToken, Task<TargetedPolicy>> generate;
    private readonly Func<TimeSpan, CancellationToken, Task> delay;

    public HostNetworkPolicyRemediation(
        KubeApiClient api,
        IEngineLog log,
        Func<HostNetworkPolicySetRequest, string, CancellationToken, Task<TargetedPolicy>> generate,
        Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        this.api = api;
        this.log = log;
        this.generate = generate;
        this.delay = delay ?? Task.Delay;
    }

    /// <summary>The module's object names (resourceNames of the optional RBAC role pin them).</summary>
    public const string PolicyName = TargetedPolicyObjects.PolicyName;

    public const string BindingName = TargetedPolicyObjects.BindingName;

    public const string ManagedByLabel = TargetedPolicyObjects.ManagedByLabel;

    public const string ManagedByValue = TargetedPolicyObjects.ManagedByValue;

    private string Context => api.Context;

    public async Task<HostNetworkPolicyChangePlan> PlanSetAsync(HostNetworkPolicySetRequest request, CancellationToken cancellationToken)
    {
        var record = NewRecord("Set");
        record.ExemptionPath = string.Join(", ", request.ExemptionPaths);
        record.ValidationAction = request.ValidationAction.ToString();
        var plan = new HostNetworkPolicyChangePlan(record);
        var objects = await ObjectsAsync(cancellationToken).ConfigureAwait(false);
        record.ApiVersion = objects.ApiVersion;

        var generated = await generate(request, objects.Version, cancellationToken).ConfigureAwait(false);
        record.PolicyName = generated.PolicyName;
        record.BindingName = generated.BindingName;
        record.NamespacesLeftOut = generated.LeftOut.ToArray();
        record.Exceptions = generated.Exceptions.ToArray();
        record.ControllerIdentity = generated.ControllerIdentity;
        plan.Warnings.AddRange(generated.Warnings);
        foreach (var left in generated.LeftOut.Where(l => l.Workloads.Length > 0))
        {
            plan.Errors.Add(new HostNetAuditException(
                "HostNetworkWorkloadsUndeclared",
                FailureCategory.InvalidOperation,
                left.Namespace,
                $"Namespace '{left.Namespace}' (context '{Context}') is left out of the hostNetwork policy: it runs hostNetwork workloads the exemptions do not declare: {string.Join(", ", left.Workloads)}.")
            {
                RecommendedAction = "Declare each workload with a justification in the exemptions file, or change it to run without hostNetwork, then run again. -Force protects the namespace anyway: running pods keep running, and their next re-creation is refused.",
            });
        }

        var policyBefore = await objects.GetAsync(PolicyObjectKind.Policy, generated.PolicyName, cancellationToken).ConfigureAwait(false);
        var bindingBefore = await objects.GetAsync(PolicyObjectKind.Binding, generated.BindingName, cancellationToken).ConfigureAwait(false);
        record.PolicyBefore = PolicyObjects.ToText(policyBefore);
        record.BindingBefore = PolicyObjects.ToText(bindingBefore);
        foreach (var (kind, existing) in new[] { (PolicyObjectKind.Policy, policyBefore), (PolicyObjectKind.Binding, bindingBefore) })
        {
            if (existing is not null && PolicyObjects.Label(existing, ManagedByLabel) != ManagedByValue && !request.Force)
            {
                return Refuse(plan, new HostNetAuditException(
                    "HostNetworkPolicyNotManaged",
                    FailureCategory.ResourceExists,
                    PolicyObjects.NameOf(existing),
                    $"The {PolicyObjects.KindName(kind)} '{PolicyObjects.NameOf(existing)}' (context '{Context}') exists and is not labelled {ManagedByLabel}={ManagedByValue}: it is someone else's, so it was not changed.")
                {
                    RecommendedAction = "Remove or rename that object, or run with -Force to take it over.",
                });
            }
        }

        // Preview: the server-side dry run of both applies. It reports a field-manager conflict (GitOps applying the
        // generated manifest), and its result against what exists says whether anything would change at all.
        JsonObject policyPreview;
        JsonObject bindingPreview;
        try
        {
            var (p, pw) = await objects.ApplyAsync(PolicyObjectKind.Policy, generated.Policy, request.Force, dryRun: true, cancellationToken).ConfigureAwait(false);
            var (b, bw) = await objects.ApplyAsync(PolicyObjectKind.Binding, generated.Binding, request.Force, dryRun: true, cancellationToken).ConfigureAwait(false);
            policyPreview = p;
            bindingPreview = b;
            record.Warnings = generated.Warnings.Concat(pw).Concat(bw).Distinct(StringComparer.Ordinal).ToArray();
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            return Refuse(plan, new HostNetAuditException(
                "HostNetworkPolicyConflict",
                FailureCategory.ResourceExists,
                generated.PolicyName,
                $"The hostNetwork policy in context '{Context}' has fields another field manager owns with other values (GitOps applying the generated manifest?): {ex.StatusMessage ?? ex.Message}",
                ex)
            {
                RecommendedAction = "Let one tool own the policy: change it where the other manager applies it, or run with -Force to take the fields over.",
            });
        }
        catch (KubeApiException ex)
        {
            plan.Decision = HostNetworkPolicyDecision.Fail;
            record.Reason = "The server-side dry run failed: " + ex.Message;
            plan.Errors.Add(ex);
            return plan;
        }

        var coveredBefore = Covered(bindingBefore, policyBefore, generated.Covered.Concat(generated.LeftOut.Select(l => l.Namespace)));
        record.NamespacesProtected = generated.Covered.Where(n => !coveredBefore.Contains(n)).Order(StringComparer.Ordinal).ToArray();
        plan.Handle = new SetHandle(objects, generated, policyBefore, bindingBefore, request);
        if (PolicyObjects.SameContent(policyBefore, policyPreview) && PolicyObjects.SameContent(bindingBefore, bindingPreview))
        {
            plan.Decision = HostNetworkPolicyDecision.Unchanged;
            record.PolicyAfter = record.PolicyBefore;
            record.BindingAfter = record.BindingBefore;
            record.Reason = "The policy and binding are already as generated.";
            return plan;
        }

        plan.Decision = HostNetworkPolicyDecision.Apply;
        record.PolicyAfter = PolicyObjects.ToText(policyPreview);
        record.BindingAfter = PolicyObjects.ToText(bindingPreview);
        var verb = policyBefore is null && bindingBefore is null ? "Create" : "Update";
        var lines = new List<string>
        {
            $"{verb} ValidatingAdmissionPolicy '{generated.PolicyName}' and its binding ({request.ValidationAction}) in context '{Context}': " +
            $"covers {generated.Covered.Count} namespaces ({record.NamespacesProtected.Length} newly) and every namespace created later; {generated.Exceptions.Count} exceptions.",
        };
        if (generated.LeftOut.Count > 0)
        {
            lines.Add($"Left out ({generated.LeftOut.Count}): " + string.Join("; ", generated.LeftOut.Select(l => l.ToString())));
        }

        if (generated.WouldRefuse.Count > 0)
        {
            var groups = WorkloadGroups.Group(generated.WouldRefuse);
            lines.Add($"WOULD REFUSE the next re-creation of {WorkloadGroups.CountWorkloads(groups.Count)} nobody declared:" + WorkloadGroups.Block(generated.WouldRefuse));
        }
        else
        {
            lines.Add("Nothing running or templated in the covered namespaces would be refused.");
        }

        plan.Description = string.Join(Environment.NewLine, lines);
        record.Reason = $"{verb} {request.ValidationAction}: {generated.Covered.Count} namespaces covered, {generated.LeftOut.Count} left out, {generated.Exceptions.Count} exceptions";
        return plan;
    }

    public async Task<HostNetworkPolicyChangePlan> PlanRemoveAsync(CancellationToken cancellationToken)
    {
        var record = NewRecord("Remove");
        var plan = new HostNetworkPolicyChangePlan(record);
        var objects = await ObjectsAsync(cancellationToken).ConfigureAwait(false);
        record.ApiVersion = objects.ApiVersion;
        record.PolicyName = PolicyName;
        record.BindingName = BindingName;
        var policy = await objects.GetAsync(PolicyObjectKind.Policy, PolicyName, cancellationToken).ConfigureAwait(false);
        var binding = await objects.GetAsync(PolicyObjectKind.Binding, BindingName, cancellationToken).ConfigureAwait(false);
        record.PolicyBefore = PolicyObjects.ToText(policy);
        record.BindingBefore = PolicyObjects.ToText(binding);
        record.PolicyAfter = record.PolicyBefore;
        record.BindingAfter = record.BindingBefore;
        record.ValidationAction = ActionsOf(binding);
        var mine = new List<(PolicyObjectKind Kind, JsonObject Current)>();
        foreach (var (kind, current) in new[] { (PolicyObjectKind.Binding, binding), (PolicyObjectKind.Policy, policy) })
        {
            if (current is null)
            {
                continue;
            }

            if (PolicyObjects.Label(current, ManagedByLabel) != ManagedByValue)
            {
                plan.Errors.Add(new HostNetAuditException(
                    "HostNetworkPolicyNotManaged",
                    FailureCategory.InvalidOperation,
                    PolicyObjects.NameOf(current),
                    $"The {PolicyObjects.KindName(kind)} '{PolicyObjects.NameOf(current)}' (context '{Context}') is not labelled {ManagedByLabel}={ManagedByValue}: it was not removed."));
                continue;
            }

            mine.Add((kind, current));
        }

        if (mine.Count == 0)
        {
            plan.Decision = plan.Errors.Count > 0 ? HostNetworkPolicyDecision.Skip : HostNetworkPolicyDecision.Unchanged;
            record.Reason = plan.Errors.Count > 0 ? "Only objects labelled as managed by HostNetAudit are removed." : "There is no HostNetAudit hostNetwork policy.";
            return plan;
        }

        try
        {
            foreach (var (kind, current) in mine)
            {
                await objects.DeleteAsync(kind, current, dryRun: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (KubeApiException ex)
        {
            plan.Decision = HostNetworkPolicyDecision.Fail;
            record.Reason = "The server-side dry run failed: " + ex.Message;
            plan.Errors.Add(ex);
            return plan;
        }

        record.PolicyAfter = mine.Any(m => m.Kind == PolicyObjectKind.Policy) ? null : record.PolicyBefore;
        record.BindingAfter = mine.Any(m => m.Kind == PolicyObjectKind.Binding) ? null : record.BindingBefore;
        plan.Decision = HostNetworkPolicyDecision.Apply;
        plan.Handle = new StepsHandle(objects, mine.Select(m => new Step(m.Kind, m.Current, null)).ToList());
        plan.Description = $"Delete {string.Join(" and ", mine.Select(m => $"{PolicyObjects.KindName(m.Kind)} '{PolicyObjects.NameOf(m.Current)}'"))} in context '{Context}': hostNetwork pods are admitted again wherever nothing else refuses them.";
        record.Reason = "Delete " + string.Join(", then ", mine.Select(m => m.Kind == PolicyObjectKind.Binding ? "binding" : "policy"));
        return plan;
    }

    public async Task<HostNetworkPolicyChangePlan> PlanRestoreAsync(HostNetworkPolicyChange change, bool force, CancellationToken cancellationToken)
    {
        var record = NewRecord("Restore");
        var plan = new HostNetworkPolicyChangePlan(record);
        var policyTarget = PolicyObjects.FromText(change.PolicyBefore, "PolicyBefore", change.Context);
        var bindingTarget = PolicyObjects.FromText(change.BindingBefore, "BindingBefore", change.Context);
        var policyExpected = PolicyObjects.FromText(change.PolicyAfter, "PolicyAfter", change.Context);
        var bindingExpected = PolicyObjects.FromText(change.BindingAfter, "BindingAfter", change.Context);
        record.PolicyName = change.PolicyName.Length > 0 ? change.PolicyName : PolicyName;
        record.BindingName = change.BindingName.Length > 0 ? change.BindingName : BindingName;
        record.Exceptions = change.Exceptions ?? Array.Empty<HostNetworkPolicyExemption>();
        var objects = await ObjectsAsync(cancellationToken).ConfigureAwait(false);
        record.ApiVersion = objects.ApiVersion;
        var policy = await objects.GetAsync(PolicyObjectKind.Policy, record.PolicyName, cancellationToken).ConfigureAwait(false);
        var binding = await objects.GetAsync(PolicyObjectKind.Binding, record.BindingName, cancellationToken).ConfigureAwait(false);
        record.PolicyBefore = PolicyObjects.ToText(policy);
        record.BindingBefore = PolicyObjects.ToText(binding);
        record.PolicyAfter = record.PolicyBefore;
        record.BindingAfter = record.BindingBefore;
        record.ValidationAction = ActionsOf(bindingTarget);

        if (PolicyObjects.SameContent(policy, policyTarget) && PolicyObjects.SameContent(binding, bindingTarget))
        {
            plan.Decision = HostNetworkPolicyDecision.Unchanged;
            record.Reason = "The policy and binding are already as the record's before-state.";
            return plan;
        }

        // Undo only what the record did: if someone changed the objects since, restoring would overwrite that.
        var actionOfChange = change.Action;
        var expectedKnown = actionOfChange is "Applied" or "Failed";
        if (!force && expectedKnown && !(PolicyObjects.SameContent(policy, policyExpected) && PolicyObjects.SameContent(binding, bindingExpected)))
        {
            return Refuse(plan, new HostNetAuditException(
                "HostNetworkPolicyChangedSince",
                FailureCategory.InvalidOperation,
                change.Context,
                $"The hostNetwork policy in context '{Context}' was changed after the record was made ({change.Timestamp:u}): restoring would overwrite that change.")
            {
                RecommendedAction = "Look at the objects now; -Force restores the record's before-state anyway.",
            });
        }

        if (!expectedKnown && !force)
        {
            return Refuse(plan, new HostNetAuditException(
                "HostNetworkPolicyRecordNotApplied",
                FailureCategory.InvalidOperation,
                change.Context,
                $"The record's Action is '{actionOfChange}': it changed nothing in context '{change.Context}', so there is nothing to undo."));
        }

        var steps = StepsTo(policy, binding, policyTarget, bindingTarget);
        var handle = new StepsHandle(objects, steps);
        try
        {
            await RunStepsAsync(handle, dryRun: true, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException ex)
        {
            plan.Decision = HostNetworkPolicyDecision.Fail;
            record.Reason = "The server-side dry run failed: " + ex.Message;
            plan.Errors.Add(ex);
            return plan;
        }

        record.PolicyAfter = change.PolicyBefore;
        record.BindingAfter = change.BindingBefore;
        plan.Decision = HostNetworkPolicyDecision.Apply;
        plan.Handle = handle;
        plan.Description = $"Restore the hostNetwork policy of context '{Context}' to its state of {change.Timestamp:u}: " +
                           string.Join(", ", steps.Select(s => $"{s.Verb} {PolicyObjects.KindName(s.Kind)} '{PolicyObjects.NameOf(s.Current ?? s.Target!)}'")) + ".";
        record.Reason = string.Join(", ", steps.Select(s => $"{s.Verb} {(s.Kind == PolicyObjectKind.Policy ? "policy" : "binding")}"));
        return plan;
    }

    public async Task<IReadOnlyList<HostNetAuditException>> ApplyAsync(HostNetworkPolicyChangePlan plan, CancellationToken cancellationToken)
    {
        var errors = new List<HostNetAuditException>();
        var record = plan.Record;
        switch (plan.Handle)
        {
            case SetHandle set:
                await ApplySetAsync(set, record, errors, cancellationToken).ConfigureAwait(false);
                break;
            case StepsHandle steps:
                try
                {
                    await RunStepsAsync(steps, dryRun: false, cancellationToken).ConfigureAwait(false);
                    record.SetAction(HostNetworkPolicyAction.Applied);
                }
                catch (KubeApiException ex)
                {
                    record.SetAction(HostNetworkPolicyAction.Failed);
                    record.Reason = "The write failed: " + ex.Message;
                    errors.Add(ex);
                }

                await ReadAfterAsync(steps.Objects, record, CancellationToken.None).ConfigureAwait(false);
                break;
        }

        record.Timestamp = DateTimeOffset.UtcNow;
        return errors;
    }

    private async Task ApplySetAsync(SetHandle set, HostNetworkPolicyChange record, List<HostNetAuditException> errors, CancellationToken cancellationToken)
    {
        var objects = set.Objects;
        var written = new List<PolicyObjectKind>();
        try
        {
            var (policy, _) = await objects.ApplyAsync(PolicyObjectKind.Policy, set.Generated.Policy, set.Request.Force, dryRun: false, cancellationToken).ConfigureAwait(false);
            written.Add(PolicyObjectKind.Policy);
            await objects.ApplyAsync(PolicyObjectKind.Binding, set.Generated.Binding, set.Request.Force, dryRun: false, cancellationToken).ConfigureAwait(false);
            written.Add(PolicyObjectKind.Binding);
            var failure = await ProveAsync(objects, set, policy, record, cancellationToken).ConfigureAwait(false);
            if (failure is null)
            {
                record.SetAction(HostNetworkPolicyAction.Applied);
                await ReadAfterAsync(objects, record, CancellationToken.None).ConfigureAwait(false);
                return;
            }

            errors.Add(failure);
        }
        catch (KubeApiException ex)
        {
            errors.Add(ex);
            if (written.Count == 0)
            {
                record.SetAction(HostNetworkPolicyAction.Failed);
                record.Reason = "The write failed, nothing was changed: " + ex.Message;
                await ReadAfterAsync(objects, record, CancellationToken.None).ConfigureAwait(false);
                return;
            }
        }

        // Nothing half-written: put back what the record's before-state says, binding first.
        await RollBackAsync(set, record, errors).ConfigureAwait(false);
    }

    /// <summary>
    /// Proof that the written policy enforces: the status controller observed the generation (bounded wait) with no
    /// type-checking warning, then a dry-run create of the reference pod in a covered namespace is refused (Deny) or
    /// warned about (Warn) by this policy. Audit cannot be observed from outside: the status check is the proof.
    /// </summary>
    private async Task<HostNetAuditException?> ProveAsync(PolicyObjects objects, SetHandle set, JsonObject written, HostNetworkPolicyChange record, CancellationToken cancellationToken)
    {
        var name = set.Generated.PolicyName;
        var generation = PolicyObjects.Generation(written);
        var deadline = DateTimeOffset.UtcNow + set.Request.StatusTimeout;
        var wait = TimeSpan.FromMilliseconds(100);
        JsonObject? current = written;
        while (true)
        {
            var observed = current?["status"]?["observedGeneration"] is JsonValue v && v.TryGetValue<long>(out var g) ? g : (long?)null;
            if (current is not null && observed is not null && observed == (generation ?? PolicyObjects.Generation(current)))
            {
                break;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                return NotEnforced(name, $"its status never showed the written generation {generation} observed within {set.Request.StatusTimeout.TotalSeconds:0} s");
            }

            await delay(wait, cancellationToken).ConfigureAwait(false);
            wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 2000));
            current = await objects.GetAsync(PolicyObjectKind.Policy, name, cancellationToken).ConfigureAwait(false);
        }

        if (current["status"]?["typeChecking"]?["expressionWarnings"] is JsonArray { Count: > 0 } warnings)
        {
            var text = string.Join("; ", warnings.OfType<JsonObject>().Select(w => $"{w["fieldRef"]}: {w["warning"]}"));
            return new HostNetAuditException(
                "HostNetworkPolicyTypeCheckWarning",
                FailureCategory.InvalidData,
                name,
                $"The apiserver's type check of ValidatingAdmissionPolicy '{name}' (context '{Context}') warns: {text}. A warning means an expression may fail at run time, so the policy was rolled back.");
        }

        if (set.Request.ValidationAction == PolicyValidationAction.Audit)
        {
            log.Verbose($"Context '{Context}': binding action Audit refuses nothing and its audit annotations are not visible to a client; the status check is the proof.");
            return null;
        }

        foreach (var ns in ProbeNamespaces(set.Generated.Covered))
        {
            var request = new ApiRequest(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods", "CreatePod", "create", "pods", ns)
            {
                Body = ReferencePod.ToJson(ns, hostNetwork: true),
            }.WithQuery("dryRun", "All");
            try
            {
                var response = await api.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (set.Request.ValidationAction == PolicyValidationAction.Warn && response.Warnings.Any(w => w.Contains($"'{name}'", StringComparison.Ordinal)))
                {
                    return null;
                }

                return NotEnforced(name, $"a dry-run create of the reference hostNetwork pod in namespace '{ns}' was admitted{(set.Request.ValidationAction == PolicyValidationAction.Warn ? " without its warning" : string.Empty)}");
            }
            catch (KubeApiException ex) when (ex.StatusCode is not null && (int)ex.StatusCode >= 400 && (int)ex.StatusCode < 500)
            {
                var message = ex.StatusMessage ?? ex.Message;
                if (message.Contains($"ValidatingAdmissionPolicy '{name}'", StringComparison.Ordinal))
                {
                    return set.Request.ValidationAction == PolicyValidationAction.Deny
                        ? null
                        : NotEnforced(name, $"binding action {set.Request.ValidationAction} refused the reference pod in namespace '{ns}'");
                }

                if (ex.StatusCode == HttpStatusCode.Forbidden && message.Contains("cannot create resource", StringComparison.Ordinal))
                {
                    return NotEnforced(name, $"the reference pod's dry-run create in namespace '{ns}' is forbidden to this identity (RBAC 'create' on 'pods', dryRun=All persists nothing), so enforcement cannot be proven");
                }

                // Refused by something else first (Pod Security, another policy): try another namespace.
                log.Verbose($"Context '{Context}': the reference pod in namespace '{ns}' was refused by something else first ({message}); trying another namespace.");
            }
        }

        record.Warnings = record.Warnings.Append($"Enforcement of '{name}' could not be shown by a dry run: in every namespace tried, something else refused the reference pod first.").ToArray();
        return null;
    }

    /// <summary>Where to dry-run the reference pod: default first, then a few other covered namespaces.</summary>
    private static IEnumerable<string> ProbeNamespaces(IReadOnlyList<string> covered) =>
        covered.Contains("default", StringComparer.Ordinal)
            ? new[] { "default" }.Concat(covered.Where(n => n != "default")).Take(3)
            : covered.Take(3);

    private HostNetAuditException NotEnforced(string name, string why) =>
        new("ValidatingAdmissionPolicyNotEnforced", FailureCategory.InvalidOperation, name, $"ValidatingAdmissionPolicy '{name}' (context '{Context}') is not proven to enforce: {why}. It was rolled back.")
        {
            RecommendedAction = "Check that the apiserver enables ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1 on 1.30+; on 1.28-1.29 the v1beta1 API and feature gate), or use New-HostNetworkPolicyManifest with -Engine Kyverno or Gatekeeper.",
        };

    private async Task RollBackAsync(SetHandle set, HostNetworkPolicyChange record, List<HostNetAuditException> errors)
    {
        // Cancellation must not leave half a change: the rollback runs to its end.
        var objects = set.Objects;
        var policyNow = await objects.GetAsync(PolicyObjectKind.Policy, set.Generated.PolicyName, CancellationToken.None).ConfigureAwait(false);
        var bindingNow = await objects.GetAsync(PolicyObjectKind.Binding, set.Generated.BindingName, CancellationToken.None).ConfigureAwait(false);
        var steps = StepsTo(policyNow, bindingNow, set.PolicyBefore, set.BindingBefore);

        try
        {
            await RunStepsAsync(new StepsHandle(objects, steps), dryRun: false, CancellationToken.None).ConfigureAwait(false);
            record.SetAction(HostNetworkPolicyAction.RolledBack);
            record.Reason = "Written, then rolled back: " + errors.FirstOrDefault()?.Message;
        }
        catch (KubeApiException ex)
        {
            errors.Add(new HostNetAuditException(
                "HostNetworkPolicyRollbackFailed",
                FailureCategory.WriteError,
                set.Generated.PolicyName,
                $"The rollback of the hostNetwork policy in context '{Context}' failed: {ex.Message} The record's PolicyAfter and BindingAfter say what exists now; Restore-HostNetworkPolicy -Force with this record puts the before-state back.",
                ex));
            record.SetAction(HostNetworkPolicyAction.Failed);
            record.Reason = "Written, not proven enforcing, and the rollback failed: see PolicyAfter and BindingAfter.";
        }

        await ReadAfterAsync(objects, record, CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task RunStepsAsync(StepsHandle handle, bool dryRun, CancellationToken cancellationToken)
    {
        foreach (var step in handle.Steps)
        {
            if (step.Target is null)
            {
                await handle.Objects.DeleteAsync(step.Kind, step.Current!, dryRun, cancellationToken).ConfigureAwait(false);
            }
            else if (step.Current is null)
            {
                await handle.Objects.ApplyAsync(step.Kind, PolicyObjects.ForApply(step.Target), force: true, dryRun, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await handle.Objects.ReplaceAsync(step.Kind, step.Current, step.Target, dryRun, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The record's After: what exists now (read after the write, whatever happened).</summary>
    private async Task ReadAfterAsync(PolicyObjects objects, HostNetworkPolicyChange record, CancellationToken cancellationToken)
    {
        try
        {
            record.PolicyAfter = PolicyObjects.ToText(await objects.GetAsync(PolicyObjectKind.Policy, record.PolicyName, cancellationToken).ConfigureAwait(false));
            record.BindingAfter = PolicyObjects.ToText(await objects.GetAsync(PolicyObjectKind.Binding, record.BindingName, cancellationToken).ConfigureAwait(false));
        }
        catch (KubeApiException ex)
        {
            log.Warning($"Context '{Context}': could not read the hostNetwork policy back after the write ({ex.Message}); the record's After is the planned state.");
        }
    }

    private async Task<PolicyObjects> ObjectsAsync(CancellationToken cancellationToken)
    {
        var version = await PolicyObjects.DiscoverVersionAsync(api, cancellationToken).ConfigureAwait(false);
        if (version is null)
        {
            throw new HostNetAuditException(
                "ValidatingAdmissionPolicyUnsupported",
                FailureCategory.ResourceUnavailable,
                Context,
                $"The API server of context '{Context}' serves no ValidatingAdmissionPolicy (admissionregistration.k8s.io v1 from Kubernetes 1.30, v1beta1 on 1.28-1.29 when enabled).")
            {
                RecommendedAction = "Write the policy for another engine with New-HostNetworkPolicyManifest -Engine Kyverno or -Engine Gatekeeper and apply it, or use Set-NamespacePodSecurity where nothing would break.",
            };
        }

        if (version != "v1")
        {
            log.Warning($"Context '{Context}': ValidatingAdmissionPolicy is served only as {PolicyObjects.Group}/{version} (beta); the policy is kept only if enforcement is proven after the write.");
        }

        return new PolicyObjects(api, version);
    }

    private HostNetworkPolicyChange NewRecord(string operation) => new()
    {
        Context = Context,
        Operation = operation,
        Server = api.Server,
        PolicyName = PolicyName,
        BindingName = BindingName,
    };

    private static HostNetworkPolicyChangePlan Refuse(HostNetworkPolicyChangePlan plan, HostNetAuditException error)
    {
        plan.Decision = HostNetworkPolicyDecision.Skip;
        plan.Errors.Add(error);
        plan.Record.Reason = error.Message;
        plan.Record.PolicyAfter = plan.Record.PolicyBefore;
        plan.Record.BindingAfter = plan.Record.BindingBefore;
        return plan;
    }

    private static string ActionsOf(JsonObject? binding) =>
        binding?["spec"]?["validationActions"] is JsonArray actions ? string.Join(",", actions.Select(a => a?.ToString())) : string.Empty;

    /// <summary>The namespaces (of <paramref name="names"/>) a binding covered: all but its NotIn list; none without it or its policy.</summary>
    private static HashSet<string> Covered(JsonObject? binding, JsonObject? policy, IEnumerable<string> names)
    {
        if (binding is null || policy is null)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        var excluded = new HashSet<string>(StringComparer.Ordinal);
        if (binding["spec"]?["matchResources"]?["namespaceSelector"]?["matchExpressions"] is JsonArray expressions)
        {
            foreach (var e in expressions.OfType<JsonObject>().Where(e => e["key"]?.ToString() == "kubernetes.io/metadata.name" && e["operator"]?.ToString() == "NotIn"))
            {
                excluded.UnionWith((e["values"] as JsonArray ?? new JsonArray()).Select(v => v?.ToString() ?? string.Empty));
            }
        }

        return names.Where(n => !excluded.Contains(n)).ToHashSet(StringComparer.Ordinal);
    }

    private sealed record SetHandle(PolicyObjects Objects, TargetedPolicy Generated, JsonObject? PolicyBefore, JsonObject? BindingBefore, HostNetworkPolicySetRequest Request);

    /// <summary>A delete (Target null), a create (Current null) or a replacement of one object.</summary>
    /// <summary>
    /// What takes the objects from now to a target state (null: absent), for undo and rollback alike: deletes first
    /// (binding before policy), then creates and replacements (policy before binding), so a binding never points at a
    /// missing policy.
    /// </summary>
    private static List<Step> StepsTo(JsonObject? policyNow, JsonObject? bindingNow, JsonObject? policyTarget, JsonObject? bindingTarget)
    {
        var steps = new List<Step>();
        if (bindingTarget is null && bindingNow is not null)
        {
            steps.Add(new Step(PolicyObjectKind.Binding, bindingNow, null));
        }

        if (policyTarget is null && policyNow is not null)
        {
            steps.Add(new Step(PolicyObjectKind.Policy, policyNow, null));
        }

        if (policyTarget is not null && !PolicyObjects.SameContent(policyNow, policyTarget))
        {
            steps.Add(new Step(PolicyObjectKind.Policy, policyNow, policyTarget));
        }

        if (bindingTarget is not null && !PolicyObjects.SameContent(bindingNow, bindingTarget))
        {
            steps.Add(new Step(PolicyObjectKind.Binding, bindingNow, bindingTarget));
        }

        return steps;
    }

    private sealed record Step(PolicyObjectKind Kind, JsonObject? Current, JsonObject? Target)
    {
        public string Verb => Target is null ? "delete" : Current is null ? "create" : "replace";
    }

    private sealed record StepsHandle(PolicyObjects Objects, IReadOnlyList<Step> Steps);
}

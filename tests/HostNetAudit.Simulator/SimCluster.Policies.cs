using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Store;

namespace HostNetAudit.Simulator;

/// <summary>
/// ValidatingAdmissionPolicy admission (the apiserver's dispatcher: every policy whose matchConstraints match,
/// each of its bindings whose matchResources match, per parameter object; Deny refuses with the first denial, Warn
/// adds a Warning header, Audit an audit annotation) and the policy status controller (observedGeneration and
/// type-checking warnings, after <see cref="SimulatorOptions.PolicyStatusDelayMilliseconds"/>).
/// </summary>
public sealed partial class SimCluster
{
    private const string ValidationFailureAnnotation = "validation.policy.admission.k8s.io/validation_failure";

    /// <summary>Whether writes are judged by the stored ValidatingAdmissionPolicies: unless the option turns it off, wherever the API is served.</summary>
    public bool ValidatingAdmissionPoliciesEnabled =>
        Options.ValidatingAdmissionPolicyAdmission != false && ServedDefinition(AdmissionPolicies.Group, "ValidatingAdmissionPolicy") is not null;

    private ResourceDefinition? ServedDefinition(string group, string kind) =>
        Store.Definitions.FirstOrDefault(d => d.Group == group && d.Kind == kind && d.BuiltIn && d.ServedIn(MinorVersion));

    /// <summary>The refusal (a Status) of a write by the policies, or null; warnings and audit annotations as a side effect.</summary>
    private JsonObject? PolicyAdmission(WriteRequest w, string operation, string name, JsonObject? old, JsonObject? obj, List<string> warnings)
    {
        var definition = w.Definition;
        if (!ValidatingAdmissionPoliciesEnabled || AdmissionPolicies.IsExempt(definition.Group, definition.Kind))
        {
            return null;
        }

        var policyDefinition = ServedDefinition(AdmissionPolicies.Group, "ValidatingAdmissionPolicy")!;
        var bindingDefinition = ServedDefinition(AdmissionPolicies.Group, "ValidatingAdmissionPolicyBinding");
        var policies = Store.Snapshot(policyDefinition);
        if (policies.Length == 0 || bindingDefinition is null)
        {
            return null;
        }

        // A namespace object's admission attributes name the namespace itself as their namespace.
        var isNamespace = IsNamespaceResource(definition);
        var ns = definition.Namespaced ? w.Route.Namespace ?? string.Empty : isNamespace ? name : string.Empty;
        var request = new AdmissionRequest(operation, definition.Group, definition.Version, definition.Resource, w.Route.Subresource ?? string.Empty, definition.Kind, name, ns, obj, old, w.User, w.Record.DryRun);
        var namespaceLabels = isNamespace
            ? LabelSelector.LabelsOf(obj ?? old!)
            : ns.Length > 0 && Store.Get(NamespaceDefinition, null, ns) is { } stored ? LabelSelector.LabelsOf(stored.Node) : new Dictionary<string, string>(StringComparer.Ordinal);
        var namespaceObject = !isNamespace && ns.Length > 0 && Store.Get(NamespaceDefinition, null, ns) is { } nsObject ? NamespaceObject(nsObject.Node) : null;
        var bindings = Store.Snapshot(bindingDefinition).Select(b => b.Node).ToList();

        (string Policy, string Binding, PolicyDecision Decision)? denied = null;
        foreach (var policy in policies.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Node))
        {
            var policyName = policy["metadata"]?["name"]?.ToString() ?? string.Empty;
            if (policy["spec"]?["matchConstraints"] is not JsonObject constraints || !AdmissionPolicies.Matches(constraints, request, namespaceLabels, Equivalents))
            {
                continue;
            }

            var failClosed = policy["spec"]?["failurePolicy"]?.ToString() != "Ignore";
            foreach (var binding in bindings.Where(b => b["spec"]?["policyName"]?.ToString() == policyName).OrderBy(b => b["metadata"]?["name"]?.ToString(), StringComparer.Ordinal))
            {
                var bindingName = binding["metadata"]?["name"]?.ToString() ?? string.Empty;
                if (binding["spec"]?["matchResources"] is JsonObject matchResources && !AdmissionPolicies.Matches(matchResources, request, namespaceLabels, Equivalents))
                {
                    continue;
                }

                var decisions = new List<PolicyDecision>();
                var (parameters, error) = CollectParams(policy, binding, request);
                if (error is not null)
                {
                    if (failClosed)
                    {
                        decisions.Add(new PolicyDecision(true, "failed to configure binding: " + error, null, -1));
                    }
                }
                else
                {
                    foreach (var parameter in parameters)
                    {
                        decisions.AddRange(AdmissionPolicies.Evaluate(policy, request, namespaceObject, parameter));
                    }
                }

                var actions = (binding["spec"]?["validationActions"] as JsonArray ?? new JsonArray()).Select(a => a?.ToString()).ToList();
                foreach (var decision in decisions)
                {
                    if (actions.Contains("Deny"))
                    {
                        denied ??= (policyName, bindingName, decision);
                    }

                    if (actions.Contains("Warn"))
                    {
                        warnings.Add($"Validation failed for ValidatingAdmissionPolicy '{policyName}' with binding '{bindingName}': {decision.Message}");
                    }

                    if (actions.Contains("Audit"))
                    {
                        w.Record.AuditAnnotations ??= new Dictionary<string, string>(StringComparer.Ordinal);
                        w.Record.AuditAnnotations.TryAdd(ValidationFailureAnnotation, JsonSerializer.Serialize(new[]
                        {
                            new { message = decision.Message, policy = policyName, binding = bindingName, expressionIndex = decision.ExpressionIndex, validationActions = actions },
                        }));
                    }
                }
            }
        }

        if (denied is not { } first)
        {
            return null;
        }

        var message = $"ValidatingAdmissionPolicy '{first.Policy}' with binding '{first.Binding}' denied request: {first.Decision.Message}";
        var reason = first.Decision.Reason ?? "Invalid";
        var code = AdmissionPolicies.ReasonCode(reason);
        var objectName = name.Length > 0 ? name : obj?["metadata"]?["generateName"]?.ToString() ?? string.Empty;
        var details = Status.Details(objectName, definition.Group, definition.Resource);
        details["causes"] = new JsonArray(new JsonObject { ["message"] = message });
        return Status.Failure(code, reason, $"{Status.Qualified(definition.Resource, definition.Group)} \"{objectName}\" is forbidden: {message}", details);
    }

    /// <summary>The same resource in the other served versions of its group (what matchPolicy Equivalent also matches).</summary>
    private IEnumerable<(string Group, string Version)> Equivalents(AdmissionRequest request) =>
        Store.Definitions.Where(d => d.BuiltIn && d.Group == request.Group && d.Resource == request.Resource && d.Version != request.Version && d.ServedIn(MinorVersion))
            .Select(d => (d.Group, d.Version));

    /// <summary>The namespaceObject CEL sees: the namespace's metadata, spec and status.</summary>
    private static JsonObject NamespaceObject(JsonObject ns)
    {
        var metadata = ns["metadata"] as JsonObject ?? new JsonObject();
        var trimmed = new JsonObject();
        foreach (var key in new[] { "name", "generateName", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "labels", "annotations" })
        {
            if (metadata[key] is { } value)
            {
                trimmed[key] = value.DeepClone();
            }
        }

        return new JsonObject { ["metadata"] = trimmed, ["spec"] = ns["spec"]?.DeepClone(), ["status"] = ns["status"]?.DeepClone() };
    }

    /// <summary>
    /// The parameter objects a binding's paramRef names (by name or selector, in its namespace or the request's), as
    /// the apiserver collects them: [null] without paramKind; none found is a configuration error only with
    /// parameterNotFoundAction Deny.
    /// </summary>
    private (List<JsonObject?> Parameters, string? Error) CollectParams(JsonObject policy, JsonObject binding, AdmissionRequest request)
    {
        if (policy["spec"]?["paramKind"] is not JsonObject paramKind)
        {
            return (new List<JsonObject?> { null }, null);
        }

        if (binding["spec"]?["paramRef"] is not JsonObject paramRef)
        {
            return (new List<JsonObject?>(), "paramRef is required when paramKind is specified");
        }

        var apiVersion = paramKind["apiVersion"]?.ToString() ?? string.Empty;
        var kind = paramKind["kind"]?.ToString() ?? string.Empty;
        var definition = DefinitionFor(apiVersion, kind);
        if (definition is null || !IsServed(definition))
        {
            return (new List<JsonObject?>(), $"failed to find resource referenced by paramKind: '{apiVersion}, Kind={kind}'");
        }

        var ns = string.Empty;
        if (definition.Namespaced)
        {
            ns = paramRef["namespace"]?.ToString() is { Length: > 0 } named ? named : request.Namespace;
            if (ns.Length == 0)
            {
                return (new List<JsonObject?>(), "cannot use namespaced paramRef in policy binding that matches cluster-scoped resources");
            }
        }

        var found = new List<JsonObject?>();
        if (paramRef["name"]?.ToString() is { Length: > 0 } name)
        {
            if (Store.Get(definition, definition.Namespaced ? ns : null, name) is { } stored)
            {
                found.Add(stored.Node);
            }
        }
        else
        {
            var selector = LabelSelector.FromObject(paramRef["selector"]);
            found.AddRange(Store.Snapshot(definition).Where(o => (!definition.Namespaced || o.Namespace == ns) && selector.Matches(o.Labels)).Select(o => (JsonObject?)o.Node));
        }

        return found.Count == 0 && paramRef["parameterNotFoundAction"]?.ToString() == "Deny"
            ? (found, "no params found for policy binding with `Deny` parameterNotFoundAction")
            : (found, null);
    }

    /// <summary>Schedules the policy controller's status write for a changed policy (at once without a delay).</summary>
    private void SchedulePolicyStatus(ResourceDefinition definition, JsonObject stored)
    {
        var generation = Json.Long(stored["metadata"]?["generation"]) ?? 1;
        if (Json.Long(stored["status"]?["observedGeneration"]) == generation)
        {
            return;
        }

        var name = stored["metadata"]?["name"]?.ToString() ?? string.Empty;
        var delay = Options.PolicyStatusDelayMilliseconds;
        if (delay <= 0)
        {
            WritePolicyStatus(definition, name, generation);
            return;
        }

        _ = Task.Run(async () =>
        {
            await Task.Delay(delay).ConfigureAwait(false);
            WritePolicyStatus(definition, name, generation);
        });
    }

    /// <summary>Policies stored with the scenario get the status a running controller would already have written.</summary>
    private void WriteMissingPolicyStatuses()
    {
        if (ServedDefinition(AdmissionPolicies.Group, "ValidatingAdmissionPolicy") is not { } definition)
        {
            return;
        }

        foreach (var policy in Store.Snapshot(definition).Where(p => p.Node["status"] is null))
        {
            WritePolicyStatus(definition, policy.Name, Json.Long(policy.Node["metadata"]?["generation"]) ?? 1);
        }
    }

    private void WritePolicyStatus(ResourceDefinition definition, string name, long generation)
    {
        lock (writeGate)
        {
            // Gone, changed again (that write scheduled its own), or already observed.
            if (Store.Get(definition, null, name)?.Node is not { } policy || (Json.Long(policy["metadata"]?["generation"]) ?? 1) != generation ||
                Json.Long(policy["status"]?["observedGeneration"]) == generation)
            {
                return;
            }

            var expressionWarnings = new JsonArray();
            foreach (var (fieldRef, warning) in PolicyTypeChecker.Check(policy, KindOf))
            {
                expressionWarnings.Add(new JsonObject { ["fieldRef"] = fieldRef, ["warning"] = warning });
            }

            foreach (var injected in Options.TypeCheckWarnings.Where(i => Regex.IsMatch(name, "^" + Regex.Escape(i.Policy).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$")))
            {
                expressionWarnings.Add(new JsonObject { ["fieldRef"] = injected.FieldRef, ["warning"] = injected.Warning });
            }

            var typeChecking = new JsonObject();
            if (expressionWarnings.Count > 0)
            {
                typeChecking["expressionWarnings"] = expressionWarnings;
            }

            var old = (JsonObject)policy.DeepClone();
            policy["status"] = new JsonObject { ["observedGeneration"] = generation, ["typeChecking"] = typeChecking };
            var entries = ManagedFields.Entries(policy);
            ManagedFields.RecordUpdate(entries, old, policy, "kube-apiserver", definition.GroupVersion, "status", serverStatus: true);
            ManagedFields.SetEntries(policy, entries);
            ((JsonObject)policy["metadata"]!).Remove("resourceVersion");
            Store.Put(definition, policy);
        }
    }

    private string? KindOf(string group, string version, string resource) =>
        Store.Definitions.FirstOrDefault(d => d.Group == group && d.Version == version && d.Resource == resource)?.Kind;
}

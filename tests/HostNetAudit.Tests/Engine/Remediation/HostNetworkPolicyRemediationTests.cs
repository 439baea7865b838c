using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Remediation;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Simulator;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Remediation;

/// <summary>
/// Set-, Remove- and Restore-HostNetworkPolicy's engine against the simulated apiserver, with a hand-written policy in
/// place of the generator's: preview by server-side dry run, no write when nothing changes, field-manager conflicts,
/// the proof of enforcement and the rollback, and undo to the exact earlier state. Asserted from the simulator's
/// request log and store.
/// </summary>
public sealed class HostNetworkPolicyRemediationTests : IAsyncLifetime
{
    private const string Name = "hostnetaudit-hostnetwork";
    private const string PolicyPath = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/" + Name;
    private const string BindingPath = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/" + Name;
    private SimHost host = null!;

    public async Task InitializeAsync() => host = await SimHost.StartAsync(ScenarioCatalog.Empty());

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static JsonObject Policy(string message = "hostNetwork is not permitted") => JsonNode.Parse(SimApi.Fill(
        """
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy",
         "metadata":{"name":"hostnetaudit-hostnetwork","labels":{"app.kubernetes.io/managed-by":"HostNetAudit"},"annotations":{"hostnetaudit.io/exceptions":"[]"}},
         "spec":{"failurePolicy":"Fail",
                 "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},
                 "validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork != true","message":"@0@"}]}}
        """, message))!.AsObject();

    private static JsonObject Binding(string action = "Deny", params string[] excluded) => JsonNode.Parse(SimApi.Fill(
        """
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding",
         "metadata":{"name":"hostnetaudit-hostnetwork","labels":{"app.kubernetes.io/managed-by":"HostNetAudit"}},
         "spec":{"policyName":"hostnetaudit-hostnetwork","validationActions":["@0@"],
                 "matchResources":{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":@1@}]}}}}
        """, action, new JsonArray(excluded.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()).ToJsonString()))!.AsObject();

    private static TargetedPolicy Generated(JsonObject? policy = null, JsonObject? binding = null) => new()
    {
        Policy = policy ?? Policy(),
        Binding = binding ?? Binding("Deny", "kube-system"),
        Covered = new[] { "default", "kube-node-lease", "kube-public" },
        LeftOut = new[] { new HostNetworkPolicyLeftOut { Namespace = "kube-system", Reason = "UndeclaredHostNetwork", Workloads = new[] { "DaemonSet/agent (3 pods)" } } },
        ControllerIdentity = "service accounts",
    };

    private HostNetworkPolicyRemediation Remediation(Func<TargetedPolicy> generated, RecordingLog? log = null) =>
        new(host.Api(), log ?? new RecordingLog(), (_, _, _) => Task.FromResult(generated()), (_, _) => Task.CompletedTask);

    private static HostNetworkPolicySetRequest Set(PolicyValidationAction action = PolicyValidationAction.Deny, bool force = false, int timeoutSeconds = 5) =>
        new() { ValidationAction = action, Force = force, StatusTimeout = TimeSpan.FromSeconds(timeoutSeconds) };

    private IReadOnlyList<RequestRecord> Writes() => host.Cluster.Requests.All.Where(r => r.IsWrite && !r.DryRun).ToList();

    private JsonObject? Stored(string resource)
    {
        var definition = host.Cluster.Store.Definitions.First(d => d.Resource == resource && d.Version == "v1");
        return host.Cluster.Store.Get(definition, null, Name)?.Node;
    }

    private async Task<HostNetworkPolicyChangePlan> SetAsync(HostNetworkPolicyRemediation remediation, HostNetworkPolicySetRequest request, List<HostNetAuditException> errors)
    {
        var plan = await remediation.PlanSetAsync(request, CancellationToken.None);
        errors.AddRange(plan.Errors);
        if (plan.Decision == HostNetworkPolicyDecision.Apply)
        {
            errors.AddRange(await remediation.ApplyAsync(plan, CancellationToken.None));
        }

        return plan;
    }

    [Fact]
    public async Task The_preview_is_a_server_side_dry_run_that_writes_nothing_and_names_what_is_left_out()
    {
        var plan = await Remediation(() => Generated()).PlanSetAsync(Set(), CancellationToken.None);

        Assert.Equal(HostNetworkPolicyDecision.Apply, plan.Decision);
        Assert.Empty(Writes());
        var dryRuns = host.Cluster.Requests.All.Where(r => r.Verb is "patch" or "create" or "update" or "delete").ToList();
        Assert.Equal(2, dryRuns.Count);
        Assert.All(dryRuns, r => Assert.True(r.DryRun));
        Assert.All(dryRuns, r => Assert.Equal("application/apply-patch+yaml", r.ContentType));
        Assert.All(dryRuns, r => Assert.Contains("fieldManager=hostnetaudit", r.Query, StringComparison.Ordinal));
        Assert.Null(plan.Record.PolicyBefore);
        Assert.NotNull(plan.Record.PolicyAfter);
        Assert.Equal(new[] { "default", "kube-node-lease", "kube-public" }, plan.Record.NamespacesProtected);
        var leftOut = Assert.Single(plan.Errors);
        Assert.Equal("HostNetworkWorkloadsUndeclared", leftOut.ErrorId);
        Assert.Equal("kube-system", leftOut.Target);
        Assert.Contains("DaemonSet/agent (3 pods)", leftOut.Message, StringComparison.Ordinal);
        Assert.Contains("Left out (1): kube-system", plan.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_is_proven_by_the_status_and_a_refused_reference_pod_and_a_second_run_writes_nothing()
    {
        var remediation = Remediation(() => Generated());
        var errors = new List<HostNetAuditException>();
        var plan = await SetAsync(remediation, Set(), errors);

        Assert.Equal("Applied", plan.Record.Action);
        Assert.DoesNotContain(errors, e => e.ErrorId != "HostNetworkWorkloadsUndeclared");
        var writes = Writes();
        Assert.Equal(new[] { "validatingadmissionpolicies", "validatingadmissionpolicybindings" }, writes.Select(w => w.Resource));
        Assert.All(writes, w => Assert.Equal("patch", w.Verb));
        var probe = Assert.Single(host.Cluster.Requests.All, r => r.Resource == "pods" && r.Verb == "create");
        Assert.True(probe.DryRun);
        Assert.Equal("default", probe.Namespace);
        Assert.Equal(422, probe.Status);
        Assert.Equal("HostNetAudit", Stored("validatingadmissionpolicies")!["metadata"]!["labels"]!["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Contains("\"observedGeneration\"", plan.Record.PolicyAfter, StringComparison.Ordinal);

        var count = host.Cluster.Requests.All.Count;
        var again = await SetAsync(remediation, Set(), new List<HostNetAuditException>());
        Assert.Equal(HostNetworkPolicyDecision.Unchanged, again.Decision);
        Assert.DoesNotContain(host.Cluster.Requests.All.Skip(count), r => r.IsWrite);
    }

    [Fact]
    public async Task A_conflict_with_another_field_manager_is_reported_and_taken_over_only_with_Force()
    {
        using var admin = SimApi.Admin(host);
        var gitops = Policy("managed by GitOps");
        gitops["metadata"]!["labels"]!["app.kubernetes.io/managed-by"] = "HostNetAudit";
        Assert.True((await admin.Patch(PolicyPath + "?fieldManager=argocd", gitops.ToJsonString(), "application/apply-patch+yaml")).Status is System.Net.HttpStatusCode.Created or System.Net.HttpStatusCode.OK);
        var before = Stored("validatingadmissionpolicies")!.DeepClone();

        var remediation = Remediation(() => Generated());
        var errors = new List<HostNetAuditException>();
        var plan = await SetAsync(remediation, Set(), errors);
        Assert.Equal(HostNetworkPolicyDecision.Skip, plan.Decision);
        Assert.Contains(errors, e => e.ErrorId == "HostNetworkPolicyConflict");
        Assert.Contains("argocd", errors.First(e => e.ErrorId == "HostNetworkPolicyConflict").Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Writes(), w => w.Query.Contains("hostnetaudit", StringComparison.Ordinal));
        Assert.True(JsonNode.DeepEquals(before, Stored("validatingadmissionpolicies")));

        var forced = await SetAsync(remediation, Set(force: true), new List<HostNetAuditException>());
        Assert.Equal("Applied", forced.Record.Action);
        Assert.Contains(Writes(), w => w.Query.Contains("force=true", StringComparison.Ordinal));
        Assert.Equal("hostNetwork is not permitted", Stored("validatingadmissionpolicies")!["spec"]!["validations"]![0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_type_checking_warning_rolls_the_write_back_to_nothing()
    {
        host.Cluster.Options.TypeCheckWarnings.Add(new InjectedTypeCheckWarning { Policy = Name, Warning = "undefined field 'hostNetwork'" });
        var errors = new List<HostNetAuditException>();
        var plan = await SetAsync(Remediation(() => Generated()), Set(), errors);

        Assert.Equal("RolledBack", plan.Record.Action);
        Assert.Contains(errors, e => e.ErrorId == "HostNetworkPolicyTypeCheckWarning" && e.Message.Contains("undefined field 'hostNetwork'", StringComparison.Ordinal));
        Assert.Null(Stored("validatingadmissionpolicies"));
        Assert.Null(Stored("validatingadmissionpolicybindings"));
        Assert.Null(plan.Record.PolicyAfter);
        Assert.Null(plan.Record.BindingAfter);
        Assert.Equal(new[] { "delete", "delete" }, Writes().Skip(2).Select(w => w.Verb));
        Assert.Equal("validatingadmissionpolicybindings", Writes()[2].Resource);
    }

    [Fact]
    public async Task A_policy_the_apiserver_does_not_enforce_is_rolled_back_to_the_exact_earlier_objects()
    {
        // An earlier policy of the module (Warn, other message); then the apiserver stops enforcing policies.
        var remediation = Remediation(() => Generated(Policy("old message"), Binding("Warn", "kube-system", "legacy")));
        Assert.Equal("Applied", (await SetAsync(remediation, Set(PolicyValidationAction.Warn), new List<HostNetAuditException>())).Record.Action);
        var policyBefore = Stored("validatingadmissionpolicies")!.DeepClone().AsObject();
        var bindingBefore = Stored("validatingadmissionpolicybindings")!.DeepClone().AsObject();

        host.Cluster.Options.ValidatingAdmissionPolicyAdmission = false;
        var errors = new List<HostNetAuditException>();
        var plan = await SetAsync(Remediation(() => Generated()), Set(), errors);

        Assert.Equal("RolledBack", plan.Record.Action);
        var error = Assert.Single(errors, e => e.ErrorId == "ValidatingAdmissionPolicyNotEnforced");
        Assert.Contains("admitted", error.Message, StringComparison.Ordinal);
        Assert.True(PolicyObjects.SameContent(policyBefore, Stored("validatingadmissionpolicies")));
        Assert.True(PolicyObjects.SameContent(bindingBefore, Stored("validatingadmissionpolicybindings")));
        Assert.True(PolicyObjects.SameContent(policyBefore, PolicyObjects.FromText(plan.Record.PolicyAfter, "PolicyAfter", "sim")));
    }

    [Fact]
    public async Task A_status_that_never_observes_the_generation_rolls_back_after_the_bounded_wait()
    {
        host.Cluster.Options.PolicyStatusDelayMilliseconds = 60_000;
        var errors = new List<HostNetAuditException>();
        var plan = await SetAsync(Remediation(() => Generated()), Set(timeoutSeconds: 1), errors);

        Assert.Equal("RolledBack", plan.Record.Action);
        Assert.Contains(errors, e => e.ErrorId == "ValidatingAdmissionPolicyNotEnforced" && e.Message.Contains("observed", StringComparison.Ordinal));
        Assert.Null(Stored("validatingadmissionpolicies"));
    }

    [Fact]
    public async Task A_binding_that_cannot_be_written_takes_the_policy_back_with_it()
    {
        host.Cluster.Faults.Add(new FaultRule { Method = "PATCH", Resource = "validatingadmissionpolicybindings", PathContains = Name, StatusCode = 500, Times = 50, Skip = 1 });
        var errors = new List<HostNetAuditException>();
        var plan = await SetAsync(Remediation(() => Generated()), Set(), errors);

        Assert.Equal("RolledBack", plan.Record.Action);
        Assert.Null(Stored("validatingadmissionpolicies"));
        Assert.Null(Stored("validatingadmissionpolicybindings"));
        Assert.Null(plan.Record.PolicyAfter);
    }

    [Fact]
    public async Task A_server_without_ValidatingAdmissionPolicy_gets_a_clear_error()
    {
        var scenario = ScenarioCatalog.Empty();
        scenario.ServerVersion = "v1.27.9";
        await using var old = await SimHost.StartAsync(scenario);
        var remediation = new HostNetworkPolicyRemediation(old.Api(), new RecordingLog(), (_, _, _) => Task.FromResult(Generated()));
        var error = await Assert.ThrowsAnyAsync<HostNetAuditException>(() => remediation.PlanSetAsync(Set(), CancellationToken.None));
        Assert.Equal("ValidatingAdmissionPolicyUnsupported", error.ErrorId);
        Assert.Contains("New-HostNetworkPolicyManifest", error.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(old.Cluster.Requests.All, r => r.IsWrite);
    }

    [Fact]
    public async Task Remove_deletes_only_the_modules_labelled_objects_binding_first_with_preconditions_and_Restore_puts_them_back_exactly()
    {
        var remediation = Remediation(() => Generated());
        await SetAsync(remediation, Set(), new List<HostNetAuditException>());
        var policy = Stored("validatingadmissionpolicies")!.DeepClone().AsObject();
        var binding = Stored("validatingadmissionpolicybindings")!.DeepClone().AsObject();
        var count = host.Cluster.Requests.All.Count;

        var remove = await remediation.PlanRemoveAsync(CancellationToken.None);
        Assert.Equal(HostNetworkPolicyDecision.Apply, remove.Decision);
        Assert.Empty(await remediation.ApplyAsync(remove, CancellationToken.None));
        var deletes = host.Cluster.Requests.All.Skip(count).Where(r => r.Verb == "delete").ToList();
        Assert.Equal(4, deletes.Count);
        Assert.Equal(new[] { true, true, false, false }, deletes.Select(d => d.DryRun));
        Assert.Equal(new[] { "validatingadmissionpolicybindings", "validatingadmissionpolicies" }, deletes.Skip(2).Select(d => d.Resource));
        Assert.Null(Stored("validatingadmissionpolicies"));
        Assert.Null(remove.Record.PolicyAfter);
        Assert.Equal("Applied", remove.Record.Action);

        // Undo from the record as it comes back from JSON.
        var change = System.Text.Json.JsonSerializer.Deserialize<HostNetworkPolicyChange>(System.Text.Json.JsonSerializer.Serialize(remove.Record))!;
        var restore = await remediation.PlanRestoreAsync(change, force: false, CancellationToken.None);
        Assert.Equal(HostNetworkPolicyDecision.Apply, restore.Decision);
        Assert.Empty(await remediation.ApplyAsync(restore, CancellationToken.None));
        Assert.True(PolicyObjects.SameContent(policy, Stored("validatingadmissionpolicies")));
        Assert.True(PolicyObjects.SameContent(binding, Stored("validatingadmissionpolicybindings")));
    }

    [Fact]
    public async Task Restore_after_an_update_returns_spec_labels_and_annotations_and_refuses_when_changed_since()
    {
        var first = Remediation(() => Generated(Policy("first"), Binding("Warn", "kube-system")));
        await SetAsync(first, Set(PolicyValidationAction.Warn), new List<HostNetAuditException>());
        using (var admin = SimApi.Admin(host))
        {
            // Someone else's annotation on the module's policy, kept by the module's applies and by the undo.
            await admin.Patch(PolicyPath, """{"metadata":{"annotations":{"team":"platform"}}}""");
        }

        var earlier = Stored("validatingadmissionpolicies")!.DeepClone().AsObject();
        var earlierBinding = Stored("validatingadmissionpolicybindings")!.DeepClone().AsObject();
        var second = Remediation(() => Generated());
        var set = await SetAsync(second, Set(), new List<HostNetAuditException>());
        Assert.Equal("Applied", set.Record.Action);
        Assert.False(PolicyObjects.SameContent(earlier, Stored("validatingadmissionpolicies")));

        var restore = await second.PlanRestoreAsync(set.Record, force: false, CancellationToken.None);
        Assert.Empty(await second.ApplyAsync(restore, CancellationToken.None));
        Assert.Equal("Applied", restore.Record.Action);
        Assert.True(PolicyObjects.SameContent(earlier, Stored("validatingadmissionpolicies")));
        Assert.True(PolicyObjects.SameContent(earlierBinding, Stored("validatingadmissionpolicybindings")));

        // The record's After no longer holds: a second undo of the same record is refused.
        var again = await second.PlanRestoreAsync(set.Record, force: false, CancellationToken.None);
        Assert.Equal(HostNetworkPolicyDecision.Unchanged, again.Decision);
        await SetAsync(second, Set(), new List<HostNetAuditException>());
        using (var admin = SimApi.Admin(host))
        {
            await admin.Patch(BindingPath, """{"spec":{"validationActions":["Audit"]}}""");
        }

        var changed = await second.PlanRestoreAsync(set.Record, force: false, CancellationToken.None);
        Assert.Equal(HostNetworkPolicyDecision.Skip, changed.Decision);
        Assert.Equal("HostNetworkPolicyChangedSince", Assert.Single(changed.Errors).ErrorId);
    }

    [Fact]
    public async Task Objects_of_the_same_name_that_someone_else_made_are_not_taken_over_or_removed()
    {
        using var admin = SimApi.Admin(host);
        var theirs = Policy("theirs");
        theirs["metadata"]!.AsObject().Remove("labels");
        await admin.Post("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", theirs.ToJsonString());

        var remediation = Remediation(() => Generated());
        var set = await remediation.PlanSetAsync(Set(), CancellationToken.None);
        Assert.Equal(HostNetworkPolicyDecision.Skip, set.Decision);
        Assert.Contains(set.Errors, e => e.ErrorId == "HostNetworkPolicyNotManaged");

        var remove = await remediation.PlanRemoveAsync(CancellationToken.None);
        Assert.Equal(HostNetworkPolicyDecision.Skip, remove.Decision);
        Assert.Equal("HostNetworkPolicyNotManaged", Assert.Single(remove.Errors).ErrorId);
        Assert.DoesNotContain(host.Cluster.Requests.All, r => r.Verb == "delete");
        Assert.NotNull(Stored("validatingadmissionpolicies"));
    }
}

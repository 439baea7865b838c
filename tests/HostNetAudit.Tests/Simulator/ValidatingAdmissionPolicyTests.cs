using System.Net;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

/// <summary>
/// ValidatingAdmissionPolicies as the simulator applies them (the admission scenario's policies, and policies
/// written here), and their objects' lifecycle: create, server-side apply with field ownership, update, patch,
/// delete with preconditions, dry-run, generation and status.
/// </summary>
public sealed class ValidatingAdmissionPolicyTests : IAsyncLifetime
{
    private const string Policies = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
    private const string Bindings = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";
    private SimHost host = null!;

    public async Task InitializeAsync() => host = await SimHost.StartAsync(AdmissionScenario.Create());

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static string Pod(string name, bool hostNetwork) =>
        SimApi.Fill("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"@0@"},"spec":{"hostNetwork":@1@,"containers":[{"name":"c","image":"busybox"}]}}""", name, (hostNetwork ? "true" : "false"));

    private static string Policy(string name, string spec) =>
        SimApi.Fill("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"@0@"},"spec":@1@}""", name, spec);

    private static string Binding(string name, string policy, string actions, string? matchResources = null) =>
        SimApi.Fill("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"@0@"},"spec":{"policyName":"@1@","validationActions":@2@@3@}}""", name, policy, actions, (matchResources is null ? string.Empty : ",\"matchResources\":" + matchResources));

    [Fact]
    public async Task A_Deny_binding_refuses_a_hostNetwork_pod_create_dry_run_or_real_with_the_apiservers_Status()
    {
        using var api = new SimApi(host);
        const string Denial = "ValidatingAdmissionPolicy 'deny-host-network' with binding 'deny-host-network' denied request: hostNetwork is not allowed";
        foreach (var dryRun in new[] { "?dryRun=All", string.Empty })
        {
            var refused = await api.Post("/api/v1/namespaces/apps/pods" + dryRun, Pod("probe", hostNetwork: true));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
            Assert.Equal("Invalid", refused.Object["reason"]!.ToString());
            Assert.Equal("pods \"probe\" is forbidden: " + Denial, refused.Message);
            Assert.Equal("pods", refused.Object["details"]!["kind"]!.ToString());
            Assert.Equal(Denial, refused.Object["details"]!["causes"]![0]!["message"]!.ToString());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await api.Get("/api/v1/namespaces/apps/pods/probe")).Status);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/api/v1/namespaces/apps/pods?dryRun=All", Pod("probe", hostNetwork: false))).Status);

        // The binding selects env=prod namespaces only.
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/api/v1/namespaces/sandbox/pods?dryRun=All", Pod("probe", hostNetwork: true))).Status);
    }

    [Fact]
    public async Task A_Warn_binding_admits_with_a_Warning_header_from_its_messageExpression()
    {
        using var api = new SimApi(host);
        var created = await api.Post("/apis/apps/v1/namespaces/sandbox/deployments", RbacTests.Deployment("agent", hostNetwork: true));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(new[] { "Validation failed for ValidatingAdmissionPolicy 'warn-host-network-workloads' with binding 'warn-host-network-workloads': Deployment agent uses the host network" }, created.Warnings);

        var scaled = await api.Patch("/apis/apps/v1/namespaces/sandbox/deployments/agent", """{"spec":{"replicas":2}}""");
        Assert.Equal(HttpStatusCode.OK, scaled.Status);
        Assert.Single(scaled.Warnings);

        var plain = await api.Post("/apis/apps/v1/namespaces/sandbox/deployments", RbacTests.Deployment("web"));
        Assert.Equal(HttpStatusCode.Created, plain.Status);
        Assert.Empty(plain.Warnings);
    }

    [Fact]
    public async Task An_ephemeralcontainers_update_is_refused_only_by_the_rule_that_names_the_subresource_and_not_for_system_masters()
    {
        const string Debug = """{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox","targetContainerName":"agent"}]}}""";
        using var api = new SimApi(host);
        var refused = await api.Patch("/api/v1/namespaces/apps/pods/agent/ephemeralcontainers", Debug, "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.EndsWith("denied request: no ephemeral containers in hostNetwork pods", refused.Message, StringComparison.Ordinal);
        Assert.Equal("ephemeralcontainers", host.Cluster.Requests.All.Last().Subresource);

        // The pod itself is not the subresource; a pod without hostNetwork passes; system:masters is not matched.
        Assert.Equal(HttpStatusCode.OK, (await api.Patch("/api/v1/namespaces/apps/pods/agent", """{"metadata":{"labels":{"x":"y"}}}""")).Status);
        var web = await api.Patch("/api/v1/namespaces/apps/pods/web/ephemeralcontainers", Debug.Replace("agent", "web", StringComparison.Ordinal), "application/strategic-merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, web.Status);
        Assert.Equal("debugger", web.Object["spec"]!["ephemeralContainers"]![0]!["name"]!.ToString());
        using var admin = SimApi.Admin(host);
        Assert.Equal(HttpStatusCode.OK, (await admin.Patch("/api/v1/namespaces/apps/pods/agent/ephemeralcontainers?dryRun=All", Debug, "application/strategic-merge-patch+json")).Status);
    }

    [Theory]
    [InlineData("pods", true, false)]
    [InlineData("pods/ephemeralcontainers", false, true)]
    [InlineData("pods/*", true, true)]
    [InlineData("*", true, false)]
    [InlineData("*/*", true, true)]
    [InlineData("*/ephemeralcontainers", false, true)]
    public async Task Resource_rules_match_subresources_as_the_apiserver_does(string resource, bool podUpdateMatched, bool ephemeralUpdateMatched)
    {
        using var admin = SimApi.Admin(host);
        var rules = SimApi.Fill("""{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["UPDATE"],"resources":["@0@"]}]}""", resource);
        Assert.Equal(HttpStatusCode.Created, (await admin.Post(Policies, Policy("refuse-all", SimApi.Fill("""{"matchConstraints":@0@,"validations":[{"expression":"false","message":"matched"}]}""", rules)))).Status);
        Assert.Equal(HttpStatusCode.Created, (await admin.Post(Bindings, Binding("refuse-all", "refuse-all", """["Deny"]"""))).Status);

        using var api = new SimApi(host);
        var pod = await api.Patch("/api/v1/namespaces/apps/pods/web?dryRun=All", """{"metadata":{"labels":{"x":"y"}}}""");
        var ephemeral = await api.Patch("/api/v1/namespaces/apps/pods/web/ephemeralcontainers?dryRun=All", """{"spec":{"ephemeralContainers":[{"name":"d","image":"busybox"}]}}""", "application/strategic-merge-patch+json");
        Assert.Equal(podUpdateMatched, pod.Status == HttpStatusCode.UnprocessableEntity);
        Assert.Equal(ephemeralUpdateMatched, ephemeral.Status == HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task The_requester_reaches_request_userInfo_and_impersonation_changes_it()
    {
        using var admin = SimApi.Admin(host);
        admin.ImpersonateUser = "alice";
        var refused = await admin.Post("/api/v1/namespaces/kube-system/pods?dryRun=All", Pod("agent", hostNetwork: true));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("Forbidden", refused.Object["reason"]!.ToString());
        Assert.Equal("pods \"agent\" is forbidden: ValidatingAdmissionPolicy 'kube-system-controllers' with binding 'kube-system-controllers' denied request: pods in kube-system are created by controllers, not by alice", refused.Message);

        admin.ImpersonateUser = "system:serviceaccount:kube-system:daemon-set-controller";
        Assert.Equal(HttpStatusCode.Created, (await admin.Post("/api/v1/namespaces/kube-system/pods?dryRun=All", Pod("agent", hostNetwork: true))).Status);
    }

    [Fact]
    public async Task Parameters_come_from_the_ConfigMap_the_binding_names()
    {
        using var api = new SimApi(host);
        var tooMany = await api.Post("/apis/apps/v1/namespaces/apps/deployments?dryRun=All", RbacTests.Deployment("web", replicas: 5));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMany.Status);
        Assert.EndsWith("denied request: at most 3 replicas", tooMany.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/apis/apps/v1/namespaces/apps/deployments?dryRun=All", RbacTests.Deployment("web", replicas: 2))).Status);

        Assert.Equal(HttpStatusCode.OK, (await api.Delete("/api/v1/namespaces/apps/configmaps/replica-limit")).Status);
        var missing = await api.Post("/apis/apps/v1/namespaces/apps/deployments?dryRun=All", RbacTests.Deployment("web", replicas: 2));
        Assert.EndsWith("denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_Audit_binding_admits_and_records_the_failure_as_an_audit_annotation()
    {
        using var admin = SimApi.Admin(host);
        await admin.Post(Bindings, Binding("deny-host-network-audit", "deny-host-network", """["Audit"]""", """{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"sandbox"}}}"""));
        using var api = new SimApi(host);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/api/v1/namespaces/sandbox/pods?dryRun=All", Pod("audited", hostNetwork: true))).Status);
        var annotation = JsonNode.Parse(host.Cluster.Requests.All.Last().AuditAnnotations!["validation.policy.admission.k8s.io/validation_failure"])![0]!;
        Assert.Equal("deny-host-network", annotation["policy"]!.ToString());
        Assert.Equal("deny-host-network-audit", annotation["binding"]!.ToString());
        Assert.Equal("hostNetwork is not allowed", annotation["message"]!.ToString());
    }

    [Fact]
    public async Task An_evaluation_error_refuses_under_failurePolicy_Fail_and_admits_under_Ignore()
    {
        using var admin = SimApi.Admin(host);
        const string Spec = """{"failurePolicy":"FAILURE","matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]},"validations":[{"expression":"object.data.missing == 'x'"}]}""";
        await admin.Post(Policies, Policy("broken", Spec.Replace("FAILURE", "Fail", StringComparison.Ordinal)));
        await admin.Post(Bindings, Binding("broken", "broken", """["Deny"]"""));
        using var api = new SimApi(host);
        const string ConfigMap = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"other":"y"}}""";
        var refused = await api.Post("/api/v1/namespaces/sandbox/configmaps", ConfigMap);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Contains("denied request: expression 'object.data.missing == 'x'' resulted in error: ", refused.Message, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await admin.Patch(Policies + "/broken", """{"spec":{"failurePolicy":"Ignore"}}""")).Status);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/api/v1/namespaces/sandbox/configmaps", ConfigMap)).Status);
    }

    [Fact]
    public async Task A_policy_is_created_applied_updated_and_deleted_with_dry_run_generation_status_and_preconditions()
    {
        using var api = new SimApi(host);
        var spec = """{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},"validations":[{"expression":"true","message":"one"}]}""";
        var dry = await api.Apply(Policies + "/lifecycle", Policy("lifecycle", spec), "hostnetaudit", dryRun: true);
        Assert.Equal(HttpStatusCode.Created, dry.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.Get(Policies + "/lifecycle")).Status);

        var created = await api.Apply(Policies + "/lifecycle", Policy("lifecycle", spec), "hostnetaudit");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(1, created.Object["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("Fail", created.Object["spec"]!["failurePolicy"]!.ToString());
        Assert.Equal("Equivalent", created.Object["spec"]!["matchConstraints"]!["matchPolicy"]!.ToString());
        var entry = created.Object["metadata"]!["managedFields"]![0]!;
        Assert.Equal(("hostnetaudit", "Apply"), (entry["manager"]!.ToString(), entry["operation"]!.ToString()));
        Assert.NotNull(entry["fieldsV1"]!["f:spec"]!["f:validations"]);
        Assert.Null(entry["fieldsV1"]!["f:spec"]!["f:failurePolicy"]);

        var stored = (await api.Get(Policies + "/lifecycle")).Object;
        Assert.Equal(1, stored["status"]!["observedGeneration"]!.GetValue<long>());
        Assert.Null(stored["status"]!["typeChecking"]!["expressionWarnings"]);
        var version = stored["metadata"]!["resourceVersion"]!.ToString();

        var again = await api.Apply(Policies + "/lifecycle", Policy("lifecycle", spec), "hostnetaudit");
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(version, again.Object["metadata"]!["resourceVersion"]!.ToString());

        var changed = await api.Apply(Policies + "/lifecycle", Policy("lifecycle", spec.Replace("one", "two", StringComparison.Ordinal)), "hostnetaudit");
        Assert.Equal(2, changed.Object["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal(2, (await api.Get(Policies + "/lifecycle")).Object["status"]!["observedGeneration"]!.GetValue<long>());
        var labelled = await api.Patch(Policies + "/lifecycle", """{"metadata":{"labels":{"app.kubernetes.io/managed-by":"HostNetAudit"}}}""");
        Assert.Equal(2, labelled.Object["metadata"]!["generation"]!.GetValue<long>());

        var current = (await api.Get(Policies + "/lifecycle")).Object;
        var stale = (JsonObject)current.DeepClone();
        stale["metadata"]!["resourceVersion"] = "1";
        Assert.Equal(HttpStatusCode.Conflict, (await api.Put(Policies + "/lifecycle", stale.ToJsonString())).Status);
        var uid = current["metadata"]!["uid"]!.ToString();
        var rv = current["metadata"]!["resourceVersion"]!.ToString();

        var wrongUid = await api.Delete(Policies + "/lifecycle", """{"preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}}""");
        Assert.Equal(HttpStatusCode.Conflict, wrongUid.Status);
        Assert.Equal($"Operation cannot be fulfilled on validatingadmissionpolicies.admissionregistration.k8s.io \"lifecycle\": Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: {uid}", wrongUid.Message);
        var wrongVersion = await api.Delete(Policies + "/lifecycle", """{"preconditions":{"resourceVersion":"1"}}""");
        Assert.Equal($"Operation cannot be fulfilled on validatingadmissionpolicies.admissionregistration.k8s.io \"lifecycle\": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: {rv}", wrongVersion.Message);
        Assert.Equal(HttpStatusCode.OK, (await api.Delete(Policies + "/lifecycle?dryRun=All", SimApi.Fill("""{"preconditions":{"uid":"@0@","resourceVersion":"@1@"}}""", uid, rv))).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.Get(Policies + "/lifecycle")).Status);

        var deleted = await api.Delete(Policies + "/lifecycle", SimApi.Fill("""{"preconditions":{"uid":"@0@","resourceVersion":"@1@"}}""", uid, rv));
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.Equal("Success", deleted.Object["status"]!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await api.Get(Policies + "/lifecycle")).Status);
        Assert.Equal(1, host.Cluster.Requests.All.Count(r => r.Method == "DELETE" && r.DryRun));
    }

    [Fact]
    public async Task An_apply_that_sets_another_managers_field_is_a_409_Conflict_unless_forced()
    {
        using var api = new SimApi(host);

        // The rule states its scope: a default the server fills inside an atomic list differs from a configuration without it.
        var spec = """{"failurePolicy":"Fail","matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"],"scope":"*"}]},"validations":[{"expression":"true"}]}""";
        await api.Apply(Policies + "/owned", Policy("owned", spec), "hostnetaudit");
        var unscoped = await api.Apply(Policies + "/owned", Policy("owned", spec.Replace(",\"scope\":\"*\"", string.Empty, StringComparison.Ordinal)), "other");
        Assert.Equal("Apply failed with 1 conflict: conflict with \"hostnetaudit\": .spec.matchConstraints.resourceRules", unscoped.Message);

        var conflict = await api.Apply(Policies + "/owned", Policy("owned", spec.Replace("\"Fail\"", "\"Ignore\"", StringComparison.Ordinal)), "gitops");
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Equal("Conflict", conflict.Object["reason"]!.ToString());
        Assert.Equal("Apply failed with 1 conflict: conflict with \"hostnetaudit\": .spec.failurePolicy", conflict.Message);
        var cause = conflict.Object["details"]!["causes"]![0]!;
        Assert.Equal(("FieldManagerConflict", ".spec.failurePolicy", "conflict with \"hostnetaudit\""), (cause["reason"]!.ToString(), cause["field"]!.ToString(), cause["message"]!.ToString()));

        // The same values are shared, not a conflict.
        Assert.Equal(HttpStatusCode.OK, (await api.Apply(Policies + "/owned", Policy("owned", spec), "gitops")).Status);

        var forced = await api.Apply(Policies + "/owned", Policy("owned", spec.Replace("\"Fail\"", "\"Ignore\"", StringComparison.Ordinal)), "gitops", force: true);
        Assert.Equal(HttpStatusCode.OK, forced.Status);
        Assert.Equal("Ignore", forced.Object["spec"]!["failurePolicy"]!.ToString());
        var owners = forced.Object["metadata"]!["managedFields"]!.AsArray().ToDictionary(e => e!["manager"]!.ToString(), e => e!["fieldsV1"]!["f:spec"] as JsonObject ?? new JsonObject());
        Assert.True(owners["gitops"].ContainsKey("f:failurePolicy"));
        Assert.False(owners["hostnetaudit"].ContainsKey("f:failurePolicy"));

        // An update by another manager (kubectl edit) takes the field it changes; applying over it conflicts naming it.
        var edited = await api.Send(HttpMethod.Patch, Policies + "/owned?fieldManager=kubectl-edit", """{"spec":{"validations":[{"expression":"true","message":"edited"}]}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, edited.Status);
        var reapplied = await api.Apply(Policies + "/owned", Policy("owned", spec), "hostnetaudit");
        Assert.Equal(HttpStatusCode.Conflict, reapplied.Status);
        Assert.StartsWith("Apply failed with 2 conflicts: conflicts with \"gitops\":\n- .spec.failurePolicy\nconflicts with \"kubectl-edit\" using admissionregistration.k8s.io/v1:\n- .spec.validations", reapplied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_field_an_applier_stops_applying_is_removed_unless_another_manager_owns_it()
    {
        using var api = new SimApi(host);
        const string Spec = """{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"],"scope":"*"}]},"validations":[{"expression":"true"}]}""";
        var twoLabels = Policy("labelled", Spec).Replace("\"name\":\"labelled\"}", "\"name\":\"labelled\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}}", StringComparison.Ordinal);
        var oneLabel = Policy("labelled", Spec).Replace("\"name\":\"labelled\"}", "\"name\":\"labelled\",\"labels\":{\"a\":\"1\"}}", StringComparison.Ordinal);
        await api.Apply(Policies + "/labelled", twoLabels, "hostnetaudit");
        var dropped = await api.Apply(Policies + "/labelled", oneLabel, "hostnetaudit");
        Assert.Equal(new[] { "a" }, dropped.Object["metadata"]!["labels"]!.AsObject().Select(l => l.Key));

        await api.Apply(Policies + "/labelled", twoLabels, "hostnetaudit");
        await api.Apply(Policies + "/labelled", twoLabels, "other");
        var shared = await api.Apply(Policies + "/labelled", oneLabel, "hostnetaudit");
        Assert.Equal(new[] { "a", "b" }, shared.Object["metadata"]!["labels"]!.AsObject().Select(l => l.Key));
    }

    [Fact]
    public async Task Invalid_policies_and_bindings_are_refused_with_422()
    {
        using var api = new SimApi(host);
        var noValidations = await api.Post(Policies, Policy("empty", """{"matchConstraints":{"resourceRules":[]}}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noValidations.Status);
        Assert.Contains("validations or auditAnnotations must contain at least one item", noValidations.Message, StringComparison.Ordinal);

        var syntax = await api.Post(Policies, Policy("syntax", """{"matchConstraints":{"resourceRules":[]},"validations":[{"expression":"object.spec.("}]}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, syntax.Status);
        Assert.StartsWith("ValidatingAdmissionPolicy.admissionregistration.k8s.io \"syntax\" is invalid: spec.validations[0].expression: Invalid value: \"object.spec.(\": compilation failed: ", syntax.Message, StringComparison.Ordinal);

        var both = await api.Post(Bindings, Binding("both", "x", """["Deny","Warn"]"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, both.Status);
        Assert.Contains("must not contain both Deny and Warn", both.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.Post(Bindings, Binding("none", "x", "[]"))).Status);
    }

    [Fact]
    public async Task Status_reports_type_checking_warnings_for_fields_the_kinds_schemas_lack()
    {
        using var api = new SimApi(host);
        const string Rules = """{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]},{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["deployments"]}]}""";
        await api.Post(Policies, Policy("typed", SimApi.Fill("""
            {"matchConstraints":@0@,"validations":[
              {"expression":"object.kind != 'Deployment' || !has(object.spec.template.spec.hostNetwork)"},
              {"expression":"has(object.metadata.labels.team) && variables.missing"}]}
            """, Rules)));
        var warnings = (await api.Get(Policies + "/typed")).Object["status"]!["typeChecking"]!["expressionWarnings"]!.AsArray();
        Assert.Equal(2, warnings.Count);
        Assert.Equal("spec.validations[0].expression", warnings[0]!["fieldRef"]!.ToString());
        Assert.Equal("/v1, Kind=Pod: ERROR: <input>:1:48: undefined field 'template'\n | object.kind != 'Deployment' || !has(object.spec.template.spec.hostNetwork)\n | ...............................................^\n", warnings[0]!["warning"]!.ToString());
        Assert.Equal("spec.validations[1].expression", warnings[1]!["fieldRef"]!.ToString());
        Assert.Contains("undefined field 'missing'", warnings[1]!["warning"]!.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("/v1, Kind=Pod: ", warnings[1]!["warning"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("\napps/v1, Kind=Deployment: ", warnings[1]!["warning"]!.ToString(), StringComparison.Ordinal);

        var scenarioPolicy = (await api.Get(Policies + "/deny-host-network")).Object;
        Assert.Equal(1, scenarioPolicy["status"]!["observedGeneration"]!.GetValue<long>());
        Assert.Null(scenarioPolicy["status"]!["typeChecking"]!["expressionWarnings"]);
    }

    [Fact]
    public async Task Status_follows_after_the_configured_delay_with_injected_warnings()
    {
        var options = new SimulatorOptions { PolicyStatusDelayMilliseconds = 300 };
        options.TypeCheckWarnings.Add(new InjectedTypeCheckWarning { Policy = "slow*", Warning = "injected" });
        await using var slow = await SimHost.StartAsync(ScenarioCatalog.Empty(), options);
        using var api = new SimApi(slow);
        await api.Post(Policies, Policy("slow-policy", """{"matchConstraints":{"resourceRules":[]},"validations":[{"expression":"true"}]}"""));
        Assert.Null((await api.Get(Policies + "/slow-policy")).Object["status"]);

        JsonObject? status = null;
        for (var i = 0; i < 200 && status is null; i++)
        {
            await Task.Delay(50);
            status = (await api.Get(Policies + "/slow-policy")).Object["status"] as JsonObject;
        }

        Assert.NotNull(status);
        Assert.Equal(1, status["observedGeneration"]!.GetValue<long>());
        Assert.Equal("injected", status["typeChecking"]!["expressionWarnings"]![0]!["warning"]!.ToString());
    }

    [Fact]
    public async Task Policy_admission_can_be_turned_off_leaving_admission_to_what_a_scenario_declares()
    {
        await using var off = await SimHost.StartAsync(AdmissionScenario.Create(), new SimulatorOptions { ValidatingAdmissionPolicyAdmission = false });
        using var api = new SimApi(off);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/api/v1/namespaces/apps/pods?dryRun=All", Pod("probe", hostNetwork: true))).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.Get(Policies + "/deny-host-network")).Status);
    }

    [Theory]
    [InlineData("v1.31.4", "v1", true)]
    [InlineData("v1.30.0", "v1", true)]
    [InlineData("v1.29.2", "v1beta1", true)]
    [InlineData("v1.28.0", "v1beta1", true)]
    [InlineData("v1.27.3", null, false)]
    public async Task The_served_version_follows_the_Kubernetes_version_and_scenario_policies_are_enforced_where_served(string version, string? served, bool enforced)
    {
        var scenario = AdmissionScenario.Create();
        scenario.ServerVersion = version;
        await using var old = await SimHost.StartAsync(scenario);
        using var api = new SimApi(old);
        foreach (var apiVersion in new[] { "v1", "v1beta1" })
        {
            var list = await api.Get($"/apis/admissionregistration.k8s.io/{apiVersion}/validatingadmissionpolicies");
            Assert.Equal(apiVersion == served ? HttpStatusCode.OK : HttpStatusCode.NotFound, list.Status);
            if (apiVersion == served)
            {
                Assert.Equal(5, list.Object["items"]!.AsArray().Count);
                Assert.All(list.Object["items"]!.AsArray(), p => Assert.Equal("admissionregistration.k8s.io/" + served, p!["apiVersion"]!.ToString()));
            }
        }

        var pod = await api.Post("/api/v1/namespaces/apps/pods?dryRun=All", Pod("probe", hostNetwork: true));
        Assert.Equal(enforced ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.Created, pod.Status);
    }
}

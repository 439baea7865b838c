using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

/// <summary>
/// The simulated apiserver's PodSecurity admission over HTTP: pod create and update, pod controllers,
/// namespace create and update, defaults and exemptions, the existing-pod check and its limits, and the
/// warning headers as the apiserver sends them. Expected texts are the apiserver's wording; each
/// scenario's truth is written here by hand.
/// </summary>
public sealed class PodSecurityAdmissionTests
{
    private const string Enforce = "pod-security.kubernetes.io/enforce";
    private const string EnforceVersion = "pod-security.kubernetes.io/enforce-version";
    private const string Warn = "pod-security.kubernetes.io/warn";
    private const string WarnVersion = "pod-security.kubernetes.io/warn-version";

    /// <summary>A spec meeting the restricted profile (the reference pod's twin), plus JSON members.</summary>
    private static string Spec(string extra = "", string container = "") =>
        "{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}" + extra +
        ",\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.10\",\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}" + container + "}]}";

    private const string HostNetwork = ",\"hostNetwork\":true";

    private static JsonObject Namespace(string name, params (string Key, string Value)[] labels)
    {
        var map = new JsonObject();
        foreach (var (key, value) in labels)
        {
            map[key] = value;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = map } };
    }

    private static JsonObject Pod(string ns, string name, string spec, string? controllerUid = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (controllerUid is not null)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = "rs-" + controllerUid, ["uid"] = controllerUid, ["controller"] = true });
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = JsonNode.Parse(spec) };
    }

    private static string PodJson(string name, string spec) => Pod("x", name, spec).ToJsonString().Replace(",\"namespace\":\"x\"", string.Empty, StringComparison.Ordinal);

    private static async Task<SimHost> Start(IEnumerable<JsonObject> objects, SimulatorOptions? options = null, string version = "v1.31.4")
    {
        var scenario = new Scenario { Name = "psa", ServerVersion = version };
        scenario.Objects.AddRange(objects);
        return await SimHost.StartAsync(scenario, options);
    }

    private sealed record Reply(HttpStatusCode Status, JsonNode? Body, IReadOnlyList<string> Warnings);

    private static async Task<Reply> Send(SimHost host, HttpMethod method, string path, string? body = null, string contentType = "application/json", string? token = null)
    {
        using var http = host.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? host.Server.Token);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var raw = response.Headers.NonValidated.TryGetValues("Warning", out var values) ? string.Join(", ", values) : string.Empty;
        return new Reply(response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonNode.Parse(text) : null, ParseWarnings(raw));
    }

    /// <summary>Reads <c>299 - "text"</c> warning values (one or several, comma-joined) back to their texts.</summary>
    private static List<string> ParseWarnings(string raw)
    {
        var result = new List<string>();
        var i = 0;
        while ((i = raw.IndexOf("299 - \"", i, StringComparison.Ordinal)) >= 0)
        {
            i += 7;
            var text = new StringBuilder();
            for (; i < raw.Length && raw[i] != '"'; i++)
            {
                if (raw[i] == '\\' && i + 1 < raw.Length)
                {
                    i++;
                }

                text.Append(raw[i]);
            }

            result.Add(text.ToString());
        }

        return result;
    }

    private static Task<Reply> CreatePod(SimHost host, string ns, string name, string spec, bool dryRun = true, string? token = null) =>
        Send(host, HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods" + (dryRun ? "?dryRun=All" : string.Empty), PodJson(name, spec), token: token);

    private static Task<Reply> Label(SimHost host, string ns, string labelsJson, string query = "?dryRun=All") =>
        Send(host, HttpMethod.Patch, $"/api/v1/namespaces/{ns}{query}", "{\"metadata\":{\"labels\":" + labelsJson + "}}", "application/merge-patch+json");

    [Fact]
    public async Task Enforce_refuses_a_pod_with_the_apiservers_status_and_message_and_dry_run_stores_nothing()
    {
        await using var host = await Start(new[] { Namespace("web", (Enforce, "baseline"), (Warn, "restricted")) });
        var reply = await CreatePod(host, "web", "probe", Spec(HostNetwork, ",\"ports\":[{\"containerPort\":80,\"hostPort\":80}]").Replace("\"allowPrivilegeEscalation\":false", "\"privileged\":true", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.Equal("Status", reply.Body!["kind"]!.GetValue<string>());
        Assert.Equal("Failure", reply.Body["status"]!.GetValue<string>());
        Assert.Equal("Forbidden", reply.Body["reason"]!.GetValue<string>());
        Assert.Equal(403, reply.Body["code"]!.GetValue<int>());
        Assert.Equal(
            "pods \"probe\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true), hostPort (container \"c\" uses hostPort 80), privileged (container \"c\" must not set securityContext.privileged=true)",
            reply.Body["message"]!.GetValue<string>());
        Assert.Equal("probe", reply.Body["details"]!["name"]!.GetValue<string>());
        Assert.Equal("pods", reply.Body["details"]!["kind"]!.GetValue<string>());
        Assert.Empty(reply.Warnings);
        var logged = Assert.Single(host.Cluster.Requests.All, r => r.Verb == "create");
        Assert.True(logged.DryRun);
        Assert.Equal(403, logged.Status);
        Assert.Empty(host.Cluster.Store.Snapshot(host.Cluster.Store.Definitions.First(d => d.Kind == "Pod")));
    }

    [Fact]
    public async Task Warn_mode_admits_the_pod_and_warns_with_the_level_and_version_of_the_labels()
    {
        await using var host = await Start(new[]
        {
            Namespace("team", (Warn, "restricted"), (WarnVersion, "v1.30")),
            Namespace("pinned", (Enforce, "restricted"), (EnforceVersion, "v1.30")),
        });
        var pod = "{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}";
        var admitted = await CreatePod(host, "team", "app", pod, dryRun: false);
        Assert.Equal(HttpStatusCode.Created, admitted.Status);
        Assert.Equal(
            new[] { "would violate PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")" },
            admitted.Warnings);
        Assert.Single(host.Cluster.Store.InNamespace(host.Cluster.Store.Definitions.First(d => d.Kind == "Pod"), "team"));

        var refused = await CreatePod(host, "pinned", "app", pod);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.StartsWith("pods \"app\" is forbidden: violates PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation != false", refused.Body!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var compliant = await CreatePod(host, "team", "twin", Spec());
        Assert.Equal(HttpStatusCode.Created, compliant.Status);
        Assert.Empty(compliant.Warnings);
    }

    [Fact]
    public async Task An_invalid_enforce_label_fails_closed_as_restricted_and_invalid_warn_labels_warn_nothing()
    {
        await using var host = await Start(new[]
        {
            Namespace("legacy", (Enforce, "Baseline")),
            Namespace("typo", (Warn, "restriced"), (WarnVersion, "1.30")),
            Namespace("badversion", (Enforce, "baseline"), (EnforceVersion, "v1.x")),
        });
        var baselineOnly = "{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}";
        var legacy = await CreatePod(host, "legacy", "app", baselineOnly);
        Assert.Equal(HttpStatusCode.Forbidden, legacy.Status);
        Assert.StartsWith("pods \"app\" is forbidden: violates PodSecurity \"restricted:latest\": ", legacy.Body!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await CreatePod(host, "legacy", "twin", Spec())).Status);

        var typo = await CreatePod(host, "typo", "app", Spec(HostNetwork));
        Assert.Equal(HttpStatusCode.Created, typo.Status);
        Assert.Empty(typo.Warnings);

        var version = await CreatePod(host, "badversion", "app", Spec(HostNetwork));
        Assert.Equal("pods \"app\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)", version.Body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cluster_defaults_from_an_AdmissionConfiguration_apply_where_namespaces_have_no_labels()
    {
        await using var host = await Start(new[] { Namespace("plain"), Namespace("opted-out", (Enforce, "privileged")) });
        const string configuration = """
            {"podSecurity":{"apiVersion":"apiserver.config.k8s.io/v1","kind":"AdmissionConfiguration","plugins":[{"name":"PodSecurity","configuration":{
              "apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration",
              "defaults":{"enforce":"baseline","enforce-version":"latest","audit":"restricted","audit-version":"latest","warn":"restricted","warn-version":"v1.29"},
              "exemptions":{"usernames":[],"runtimeClasses":[],"namespaces":["kube-system"]}}}]}}
            """;
        var set = await Send(host, HttpMethod.Post, "/_sim/options", configuration);
        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal("v1.29", set.Body!["podSecurity"]!["defaults"]!["warn-version"]!.GetValue<string>());

        var denied = await CreatePod(host, "plain", "agent", Spec(HostNetwork));
        Assert.Equal("pods \"agent\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)", denied.Body!["message"]!.GetValue<string>());
        var warned = await CreatePod(host, "plain", "app", "{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\",\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]},\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"},\"runAsUser\":0}}]}");
        Assert.Equal(HttpStatusCode.Created, warned.Status);
        Assert.Equal(new[] { "would violate PodSecurity \"restricted:v1.29\": runAsUser=0 (container \"app\" must not set runAsUser=0)" }, warned.Warnings);

        // A namespace's own label overrides the default for its mode only.
        var optedOut = await CreatePod(host, "opted-out", "agent", Spec(HostNetwork));
        Assert.Equal(HttpStatusCode.Created, optedOut.Status);
        Assert.Equal(new[] { "would violate PodSecurity \"restricted:v1.29\": host namespaces (hostNetwork=true)" }, optedOut.Warnings);

        var bad = await Send(host, HttpMethod.Post, "/_sim/options", """{"podSecurity":{"defaults":{"enforce":"strict"}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("baseline", host.Cluster.Options.PodSecurity.Defaults.Enforce);
    }

    [Fact]
    public async Task Exempt_namespaces_users_and_runtime_classes_are_never_evaluated()
    {
        var options = new SimulatorOptions();
        options.PodSecurity.Exemptions.Namespaces.Add("kube-system");
        options.PodSecurity.Exemptions.Usernames.Add("system:serviceaccount:kube-system:daemon-set-controller");
        options.PodSecurity.Exemptions.RuntimeClasses.Add("kata");
        await using var host = await Start(new[] { Namespace("kube-system", (Enforce, "restricted"), (Warn, "restricted")), Namespace("apps", (Enforce, "baseline"), (Warn, "restricted")) }, options);
        host.Cluster.Access.AddToken("controller-token", "system:serviceaccount:kube-system:daemon-set-controller");
        const string root = "{\"hostNetwork\":true,\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}";

        var system = await CreatePod(host, "kube-system", "cilium-abcde", root);
        Assert.Equal(HttpStatusCode.Created, system.Status);
        Assert.Empty(system.Warnings);

        var controller = await CreatePod(host, "apps", "agent-abcde", root, token: "controller-token");
        Assert.Equal(HttpStatusCode.Created, controller.Status);
        Assert.Empty(controller.Warnings);
        Assert.Contains(host.Cluster.Requests.All, r => r.User == "system:serviceaccount:kube-system:daemon-set-controller" && r.Status == 201);

        var kata = await CreatePod(host, "apps", "sandboxed", root.Replace("{\"hostNetwork\":true,", "{\"hostNetwork\":true,\"runtimeClassName\":\"kata\",", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Created, kata.Status);
        Assert.Empty(kata.Warnings);

        var user = await CreatePod(host, "apps", "agent-abcde", root);
        Assert.Equal(HttpStatusCode.Forbidden, user.Status);
    }

    [Fact]
    public async Task Pod_controllers_get_warn_mode_warnings_but_are_never_refused()
    {
        await using var host = await Start(new[] { Namespace("ops", (Enforce, "baseline"), (Warn, "baseline")), Namespace("quiet", (Enforce, "restricted")) });
        var template = "{\"metadata\":{\"labels\":{\"app\":\"agent\"}},\"spec\":" + Spec(HostNetwork) + "}";
        var daemonSet = "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"agent\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"agent\"}},\"template\":" + template + "}}";
        var created = await Send(host, HttpMethod.Post, "/apis/apps/v1/namespaces/ops/daemonsets?dryRun=All", daemonSet);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(new[] { "would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)" }, created.Warnings);

        var cronJob = "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"probe\"},\"spec\":{\"schedule\":\"* * * * *\",\"jobTemplate\":{\"spec\":{\"template\":" + template + "}}}}";
        var cron = await Send(host, HttpMethod.Post, "/apis/batch/v1/namespaces/ops/cronjobs?dryRun=All", cronJob);
        Assert.Equal(HttpStatusCode.Created, cron.Status);
        Assert.Equal(new[] { "would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)" }, cron.Warnings);

        // Enforce alone does not warn about templates: only warn (and audit) look at them.
        var quiet = await Send(host, HttpMethod.Post, "/apis/apps/v1/namespaces/quiet/daemonsets?dryRun=All", daemonSet);
        Assert.Equal(HttpStatusCode.Created, quiet.Status);
        Assert.Empty(quiet.Warnings);
    }

    [Fact]
    public async Task Pod_updates_are_enforced_only_when_an_image_or_container_changes()
    {
        await using var host = await Start(new[] { Namespace("web", (Enforce, "baseline")), Pod("web", "legacy", Spec(HostNetwork)) });
        var labels = await Send(host, HttpMethod.Patch, "/api/v1/namespaces/web/pods/legacy", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, labels.Status);

        var image = await Send(host, HttpMethod.Patch, "/api/v1/namespaces/web/pods/legacy", "[{\"op\":\"replace\",\"path\":\"/spec/containers/0/image\",\"value\":\"registry.k8s.io/pause:3.11\"}]", "application/json-patch+json");
        Assert.Equal(HttpStatusCode.Forbidden, image.Status);
        Assert.Equal("pods \"legacy\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)", image.Body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_PSA_labels_are_refused_on_create_and_update_with_the_apiservers_Invalid_status()
    {
        await using var host = await Start(new[] { Namespace("ops"), Namespace("legacy", (Enforce, "Baseline")) });
        var one = await Label(host, "ops", "{\"pod-security.kubernetes.io/enforce\":\"strict\"}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, one.Status);
        Assert.Equal("Invalid", one.Body!["reason"]!.GetValue<string>());
        Assert.Equal("Namespace \"ops\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted", one.Body["message"]!.GetValue<string>());
        Assert.Equal("Namespace", one.Body["details"]!["kind"]!.GetValue<string>());
        var cause = one.Body["details"]!["causes"]![0]!;
        Assert.Equal("FieldValueInvalid", cause["reason"]!.GetValue<string>());
        Assert.Equal("metadata.labels[pod-security.kubernetes.io/enforce]", cause["field"]!.GetValue<string>());
        Assert.Equal("Invalid value: \"strict\": must be one of privileged, baseline, restricted", cause["message"]!.GetValue<string>());

        var two = await Label(host, "ops", "{\"pod-security.kubernetes.io/enforce-version\":\"v1.x\",\"pod-security.kubernetes.io/warn\":\"none\"}");
        Assert.Equal(
            "Namespace \"ops\" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: \"v1.x\": must be \"latest\" or \"v1.x\", metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: \"none\": must be one of privileged, baseline, restricted]",
            two.Body!["message"]!.GetValue<string>());

        var create = await Send(host, HttpMethod.Post, "/api/v1/namespaces?dryRun=All", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"new\",\"labels\":{\"pod-security.kubernetes.io/audit\":\"audit\"}}}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, create.Status);
        Assert.Equal("Namespace \"new\" is invalid: metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"audit\": must be one of privileged, baseline, restricted", create.Body!["message"]!.GetValue<string>());
        var good = await Send(host, HttpMethod.Post, "/api/v1/namespaces?dryRun=All", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"new\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"restricted\"}}}");
        Assert.Equal(HttpStatusCode.Created, good.Status);

        // An update that leaves the same invalid labels in place is not refused again; changing them is.
        Assert.Equal(HttpStatusCode.OK, (await Label(host, "legacy", "{\"team\":\"a\"}")).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Label(host, "legacy", "{\"pod-security.kubernetes.io/enforce\":\"Restricted\"}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Label(host, "legacy", "{\"pod-security.kubernetes.io/enforce\":\"restricted\"}")).Status);
        Assert.DoesNotContain(host.Cluster.Requests.All, r => r.IsWrite);
    }

    private static JsonObject[] Shop() => new[]
    {
        Namespace("shop", (Warn, "baseline")),
        Pod("shop", "agent", Spec(HostNetwork + ",\"volumes\":[{\"name\":\"root\",\"hostPath\":{\"path\":\"/\"}}]")),
        Pod("shop", "c-1", Spec(), controllerUid: "uid-c"),
        Pod("shop", "c-2", Spec(container: ",\"ports\":[]").Replace("\"allowPrivilegeEscalation\":false", "\"seLinuxOptions\":{\"user\":\"root\"}", StringComparison.Ordinal), controllerUid: "uid-c"),
        Pod("shop", "db", Spec(container: ",\"ports\":[{\"containerPort\":5432}]").Replace("\"allowPrivilegeEscalation\":false", "\"privileged\":true", StringComparison.Ordinal)),
        Pod("shop", "web-3", Spec(HostNetwork)),
        Pod("shop", "web-1", Spec(HostNetwork)),
        Pod("shop", "web-2", Spec(HostNetwork)),
        Pod("shop", "x-a", Spec(), controllerUid: "uid-x"),
        Pod("shop", "x-b", Spec(container: ",\"ports\":[{\"containerPort\":80,\"hostPort\":80}]"), controllerUid: "uid-x"),
        Pod("shop", "y", Spec(container: ",\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]")),
        Pod("shop", "z-ok", Spec()),
    };

    [Fact]
    public async Task Tightening_enforce_warns_about_existing_pods_one_line_per_reason_set_in_the_apiservers_order()
    {
        // Evaluation order is agent, c-1, db, web-1..3, x-a, y, z-ok, then the replicas c-2 and x-b; the
        // warnings come sorted, each naming the lexically first pod of its reasons (x-b, not y).
        await using var host = await Start(Shop());
        var expected = new[]
        {
            "existing pods in namespace \"shop\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "agent: host namespaces, hostPath volumes",
            "c-2: seLinuxOptions",
            "db: privileged",
            "web-1 (and 2 other pods): host namespaces",
            "x-b (and 1 other pod): hostPort",
        };
        var dry = await Label(host, "shop", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}");
        Assert.Equal(HttpStatusCode.OK, dry.Status);
        Assert.Equal(expected, dry.Warnings);
        Assert.Equal("baseline", dry.Body!["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]!.GetValue<string>());
        Assert.False(host.Cluster.Store.Get(host.Cluster.Store.Definitions.First(d => d.Kind == "Namespace"), null, "shop")!.Labels.ContainsKey(Enforce));

        var applied = await Label(host, "shop", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}", query: string.Empty);
        Assert.Equal(expected, applied.Warnings);
        Assert.Equal("baseline", host.Cluster.Store.Get(host.Cluster.Store.Definitions.First(d => d.Kind == "Namespace"), null, "shop")!.Labels[Enforce]);

        // Same enforce level-version again: nothing to evaluate.
        Assert.Empty((await Label(host, "shop", "{\"pod-security.kubernetes.io/enforce\":\"baseline\",\"x\":\"y\"}")).Warnings);
    }

    [Fact]
    public async Task Only_a_stricter_level_or_another_version_is_evaluated_and_exempt_namespaces_never()
    {
        var options = new SimulatorOptions();
        options.PodSecurity.Exemptions.Namespaces.Add("exempt");
        var objects = Shop().ToList();
        objects.Add(Namespace("strict", (Enforce, "restricted")));
        objects.Add(Pod("strict", "agent", Spec(HostNetwork)));
        objects.Add(Namespace("exempt"));
        objects.Add(Pod("exempt", "agent", Spec(HostNetwork)));
        await using var host = await Start(objects, options);

        Assert.Empty((await Label(host, "strict", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}")).Warnings);
        Assert.Empty((await Label(host, "strict", "{\"pod-security.kubernetes.io/enforce\":\"privileged\"}")).Warnings);
        Assert.Equal(
            new[] { "existing pods in namespace \"strict\" violate the new PodSecurity enforce level \"restricted:v1.31\"", "agent: host namespaces" },
            (await Label(host, "strict", "{\"pod-security.kubernetes.io/enforce-version\":\"v1.31\"}")).Warnings);
        Assert.Empty((await Label(host, "exempt", "{\"pod-security.kubernetes.io/enforce\":\"restricted\"}")).Warnings);
        Assert.Empty((await Label(host, "shop", "{\"pod-security.kubernetes.io/audit\":\"restricted\"}")).Warnings);
    }

    [Fact]
    public async Task The_existing_pod_check_stops_at_3000_pods_prioritising_one_pod_per_controller()
    {
        var objects = new List<JsonObject> { Namespace("big") };
        for (var i = 0; i < 3000; i++)
        {
            objects.Add(Pod("big", $"aa-{i:D4}", Spec(), controllerUid: "uid-web"));
        }

        for (var i = 0; i < 5; i++)
        {
            objects.Add(Pod("big", $"zz-{i}", Spec(HostNetwork)));
        }

        objects.Add(Pod("big", "zzz-kata", Spec(HostNetwork + ",\"runtimeClassName\":\"kata\"")));
        var options = new SimulatorOptions { ExistingPodCheckCostMilliseconds = 0 };
        options.PodSecurity.Exemptions.RuntimeClasses.Add("kata");
        await using var host = await Start(objects, options);

        // Replicas of one controller go last, so the five standalone pods are among the first 3,000; the pod
        // of the exempt runtime class counts neither as checked nor in the total.
        Assert.Equal(
            new[]
            {
                "new PodSecurity enforce level only checked against the first 3000 of 3005 existing pods",
                "existing pods in namespace \"big\" violate the new PodSecurity enforce level \"baseline:latest\"",
                "zz-0 (and 4 other pods): host namespaces",
            },
            (await Label(host, "big", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}")).Warnings);

        Assert.Equal(HttpStatusCode.OK, (await Send(host, HttpMethod.Post, "/_sim/options", "{\"existingPodCheckLimit\":2}")).Status);
        Assert.Equal(
            new[]
            {
                "new PodSecurity enforce level only checked against the first 2 of 3005 existing pods",
                "existing pods in namespace \"big\" violate the new PodSecurity enforce level \"baseline:latest\"",
                "zz-0: host namespaces",
            },
            (await Label(host, "big", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}")).Warnings);
    }

    [Fact]
    public async Task The_existing_pod_check_stops_after_the_pod_during_which_its_time_budget_ran_out()
    {
        var objects = new List<JsonObject> { Namespace("ns") };
        for (var i = 0; i < 6; i++)
        {
            objects.Add(Pod("ns", $"p{i}", Spec(HostNetwork)));
        }

        await using var host = await Start(objects, new SimulatorOptions { ExistingPodCheckTimeoutMilliseconds = 0 });
        var header = "existing pods in namespace \"ns\" violate the new PodSecurity enforce level \"baseline:latest\"";
        Assert.Equal(
            new[] { "new PodSecurity enforce level only checked against the first 1 of 6 existing pods", header, "p0: host namespaces" },
            (await Label(host, "ns", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}")).Warnings);

        // A simulated 300 ms per pod against the 1 s budget: the fourth pod runs it out.
        Assert.Equal(HttpStatusCode.OK, (await Send(host, HttpMethod.Post, "/_sim/options", "{\"existingPodCheckTimeoutMilliseconds\":1000,\"existingPodCheckCostMilliseconds\":300}")).Status);
        Assert.Equal(
            new[] { "new PodSecurity enforce level only checked against the first 4 of 6 existing pods", header, "p0 (and 3 other pods): host namespaces" },
            (await Label(host, "ns", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}")).Warnings);

        // A request timeout of 1 s leaves half of it, 500 ms: the second pod runs it out.
        Assert.Equal(
            new[] { "new PodSecurity enforce level only checked against the first 2 of 6 existing pods", header, "p0 (and 1 other pod): host namespaces" },
            (await Label(host, "ns", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}", "?dryRun=All&timeout=1s")).Warnings);

        // With no simulated cost and the real clock, six pods fit easily in 1 s.
        Assert.Equal(HttpStatusCode.OK, (await Send(host, HttpMethod.Post, "/_sim/options", "{\"existingPodCheckCostMilliseconds\":null}")).Status);
        Assert.Equal(new[] { header, "p0 (and 5 other pods): host namespaces" }, (await Label(host, "ns", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}")).Warnings);
    }

    [Fact]
    public async Task Warnings_beyond_4096_characters_are_cut_as_the_apiservers_warning_recorder_cuts_them()
    {
        // 20 pods with long names, each failing a different set of baseline checks: 21 warnings, about 5,300
        // characters before the recorder cuts them.
        var toggles = new (string Reason, string Spec, string Container, string Annotation)[]
        {
            ("forbidden AppArmor profile", string.Empty, string.Empty, "unconfined"),
            ("non-default capabilities", string.Empty, ",\"securityContext\":{\"capabilities\":{\"add\":[\"NET_ADMIN\"]}}", string.Empty),
            ("host namespaces", HostNetwork, string.Empty, string.Empty),
            ("hostPath volumes", ",\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/\"}}]", string.Empty, string.Empty),
            ("hostPort", string.Empty, ",\"ports\":[{\"containerPort\":1,\"hostPort\":1}]", string.Empty),
        };
        var objects = new List<JsonObject> { Namespace("crowded") };
        var expected = new List<string>();
        for (var mask = 1; mask <= 20; mask++)
        {
            var name = $"pod-{mask:D2}-" + new string('x', 240);
            var active = toggles.Where((_, bit) => (mask & (1 << bit)) != 0).ToList();
            var container = string.Concat(active.Select(t => t.Container));
            var spec = "{\"containers\":[{\"name\":\"c\",\"image\":\"x\"" + container + "}]" + string.Concat(active.Select(t => t.Spec)) + "}";
            var pod = Pod("crowded", name, spec);
            if (active.Any(t => t.Annotation.Length > 0))
            {
                pod["metadata"]!["annotations"] = new JsonObject { ["container.apparmor.security.beta.kubernetes.io/c"] = "unconfined" };
            }

            objects.Add(pod);
            expected.Add(name + ": " + string.Join(", ", active.Select(t => t.Reason)));
        }

        expected.Sort(StringComparer.Ordinal);
        var header = "existing pods in namespace \"crowded\" violate the new PodSecurity enforce level \"baseline:latest\"";
        Assert.True(header.Length + expected.Sum(e => e.Length) > WarningRecorder.TruncateAtTotalRunes);
        await using var host = await Start(objects, new SimulatorOptions { ExistingPodCheckCostMilliseconds = 0 });

        var warnings = (await Label(host, "crowded", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}")).Warnings;

        // Every warning longer than 256 characters is cut to 256; once 4,096 characters are written the
        // rest are left out. Each pod warning here is over 256 characters, so all of them are cut.
        Assert.Equal(header, warnings[0]);
        var pods = warnings.Skip(1).ToList();
        Assert.All(pods, w => Assert.Equal(WarningRecorder.TruncateItemRunes, w.Length));
        Assert.Equal(expected.Take(pods.Count).Select(e => e[..WarningRecorder.TruncateItemRunes]), pods);
        var untilOver = 0;
        var total = header.Length;
        while (total <= WarningRecorder.TruncateAtTotalRunes)
        {
            total += expected[untilOver++].Length;
        }

        var written = header.Length + (untilOver * WarningRecorder.TruncateItemRunes);
        var kept = untilOver;
        while (written < WarningRecorder.TruncateAtTotalRunes)
        {
            written += WarningRecorder.TruncateItemRunes;
            kept++;
        }

        Assert.Equal(kept, pods.Count);
        Assert.True(pods.Count < expected.Count);
    }

    [Fact]
    public void The_warning_recorder_deduplicates_drops_control_characters_and_cuts_on_character_boundaries()
    {
        Assert.Equal(new[] { "a", "b" }, WarningRecorder.Record(new[] { "a", "b", "a", string.Empty, "bad\ntext" }));

        var recorder = new WarningRecorder();
        var long300 = new string('a', 300);
        for (var i = 0; i < 13; i++)
        {
            recorder.Add(i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + long300[2..]);
        }

        Assert.False(recorder.Truncating);
        Assert.Equal(13 * 300, recorder.Warnings.Sum(w => w.Length));

        // The 14th goes over 4,096: all 14 are cut to 256 (3,584 written), two more fit, the rest are left out.
        var accented = string.Concat(Enumerable.Repeat("Iñtërnâtiôn", 40));
        for (var i = 13; i < 20; i++)
        {
            recorder.Add(i == 15 ? accented : i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + long300[2..]);
        }

        Assert.True(recorder.Truncating);
        Assert.Equal(16, recorder.Warnings.Count);
        Assert.All(recorder.Warnings, w => Assert.Equal(256, w.EnumerateRunes().Count()));
        Assert.Equal(accented[..256], recorder.Warnings[15]);
        Assert.StartsWith("00", recorder.Warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PSA_is_off_before_Kubernetes_1_23_unless_the_scenario_turns_it_on()
    {
        var objects = new[] { Namespace("web", (Enforce, "baseline")) };
        await using (var old = await Start(objects, version: "v1.22.17"))
        {
            Assert.False(old.Cluster.PodSecurityEnabled);
            Assert.Equal(HttpStatusCode.Created, (await CreatePod(old, "web", "agent", Spec(HostNetwork))).Status);
            Assert.Equal(HttpStatusCode.OK, (await Label(old, "web", "{\"pod-security.kubernetes.io/enforce\":\"strict\"}")).Status);
        }

        await using var forced = await Start(objects, new SimulatorOptions { PodSecurityAdmission = true }, version: "v1.22.17");
        Assert.Equal(HttpStatusCode.Forbidden, (await CreatePod(forced, "web", "agent", Spec(HostNetwork))).Status);
    }

    [Fact]
    public void The_command_line_configures_defaults_exemptions_and_limits()
    {
        var options = new SimulatorOptions();
        PodSecurityCommandLine.Apply(
            new Dictionary<string, string>
            {
                ["psa-default-enforce"] = "baseline",
                ["psa-default-enforce-version"] = "v1.30",
                ["psa-default-warn"] = "restricted",
                ["psa-exempt-namespaces"] = "kube-system, gatekeeper-system",
                ["psa-exempt-usernames"] = "system:serviceaccount:kube-system:replicaset-controller",
                ["psa-exempt-runtime-classes"] = "kata",
                ["psa-existing-pod-limit"] = "50",
                ["psa-existing-pod-timeout-ms"] = "0",
                ["psa-admission"] = "on",
            },
            options);
        Assert.Equal(new LevelVersion("baseline", PodSecurityVersion.Of(30)), options.PodSecurity.DefaultPolicy.Enforce);
        Assert.Equal(new LevelVersion("restricted", PodSecurityVersion.Latest), options.PodSecurity.DefaultPolicy.Warn);
        Assert.Equal(new LevelVersion("privileged", PodSecurityVersion.Latest), options.PodSecurity.DefaultPolicy.Audit);
        Assert.Equal(new[] { "kube-system", "gatekeeper-system" }, options.PodSecurity.Exemptions.Namespaces);
        Assert.True(options.PodSecurity.IsExemptUser("system:serviceaccount:kube-system:replicaset-controller"));
        Assert.True(options.PodSecurity.IsExemptRuntimeClass("kata"));
        Assert.Equal(50, options.ExistingPodCheckLimit);
        Assert.Equal(0, options.ExistingPodCheckTimeoutMilliseconds);
        Assert.True(options.PodSecurityAdmission);

        var error = Assert.Throws<ArgumentException>(() => PodSecurityCommandLine.Apply(new Dictionary<string, string> { ["psa-default-enforce"] = "strict" }, new SimulatorOptions()));
        Assert.Contains("defaults.enforce: Invalid value: \"strict\": must be one of privileged, baseline, restricted", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PodSecurityCommandLine.Apply(new Dictionary<string, string> { ["psa-default-warn-version"] = "1.30" }, new SimulatorOptions()));

        var path = Path.Combine(Path.GetTempPath(), $"psa-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"apiVersion":"pod-security.admission.config.k8s.io/v1","kind":"PodSecurityConfiguration","defaults":{"enforce":"restricted"},"exemptions":{"namespaces":["kube-system"]}}""");
        try
        {
            var fromFile = new SimulatorOptions();
            PodSecurityCommandLine.Apply(new Dictionary<string, string> { ["psa-config"] = path, ["psa-default-audit"] = "baseline" }, fromFile);
            Assert.Equal("restricted", fromFile.PodSecurity.Defaults.Enforce);
            Assert.Equal("baseline", fromFile.PodSecurity.Defaults.Audit);
            Assert.True(fromFile.PodSecurity.IsExemptNamespace("kube-system"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Namespace_labels_resolve_to_a_policy_as_the_apiserver_resolves_them()
    {
        var defaults = new PodSecurityConfiguration { Defaults = new PodSecurityDefaults { Enforce = "baseline", Warn = "restricted", WarnVersion = "v1.29" } }.DefaultPolicy;
        var (none, noErrors) = PodSecurity.PolicyToEvaluate(new Dictionary<string, string>(), defaults);
        Assert.Same(defaults, none);
        Assert.Empty(noErrors);

        var (policy, errors) = PodSecurity.PolicyToEvaluate(
            new Dictionary<string, string> { [Enforce] = "Baseline", ["pod-security.kubernetes.io/audit"] = "all", [WarnVersion] = "v1.05", ["other"] = "x" },
            defaults);
        Assert.Equal(new LevelVersion("restricted", PodSecurityVersion.Latest), policy.Enforce);
        Assert.Equal(new LevelVersion("privileged", PodSecurityVersion.Latest), policy.Audit);
        Assert.Equal(new LevelVersion("restricted", PodSecurityVersion.Latest), policy.Warn);
        Assert.Equal(new[] { Enforce, "pod-security.kubernetes.io/audit", WarnVersion }, errors.Select(e => e.Label));
        Assert.Equal(1, PodSecurity.CompareLevels("restricted", "baseline"));
        Assert.Equal(-1, PodSecurity.CompareLevels("privileged", "baseline"));
        Assert.True(PodSecurity.EnforceTightened(new LevelVersion("baseline", PodSecurityVersion.Latest), new LevelVersion("baseline", PodSecurityVersion.Of(30))));
        Assert.False(PodSecurity.EnforceTightened(new LevelVersion("restricted", PodSecurityVersion.Latest), new LevelVersion("baseline", PodSecurityVersion.Latest)));
    }
}

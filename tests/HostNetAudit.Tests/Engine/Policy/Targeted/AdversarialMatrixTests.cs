using System.Net;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Simulator;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>
/// The adversarial matrix of issue 10 against the targeted policy generated for the demo cluster: each request is
/// refused by the apiserver (simulated) naming the policy, and its legitimate twin is admitted, so the refusal is the
/// chain's and not a policy that refuses everything.
/// </summary>
public sealed class AdversarialMatrixTests : IAsyncLifetime
{
    private TargetedPolicyHarness harness = null!;

    public async Task InitializeAsync() => harness = await TargetedPolicyHarness.StartAsync(ScenarioCatalog.Demo(), ScenarioCatalog.DemoLegitimate);

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private const string DaemonSetController = "system:serviceaccount:kube-system:daemon-set-controller";
    private const string ReplicaSetController = "system:serviceaccount:kube-system:replicaset-controller";

    private async Task<JsonObject> Pod(string ns, string namePrefix) =>
        TargetedPolicyHarness.AsCreate((await harness.ListAsync($"/api/v1/namespaces/{ns}/pods")).First(p => p["metadata"]!["name"]!.ToString().StartsWith(namePrefix, StringComparison.Ordinal)));

    private async Task<JsonObject> Item(string path, string name) =>
        TargetedPolicyHarness.AsCreate((await harness.ListAsync(path)).First(p => p["metadata"]!["name"]!.ToString().StartsWith(name, StringComparison.Ordinal)));

    private static void SetOwner(JsonObject obj, string apiVersion, string kind, string name) =>
        obj["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["name"] = name, ["uid"] = Guid.NewGuid().ToString(), ["controller"] = true, ["blockOwnerDeletion"] = true });

    private static void Refused(SimReply reply) =>
        Assert.True(TargetedPolicyHarness.RefusedByPolicy(reply), $"expected the policy's refusal, got {reply.Status} {reply.Message}");

    private static void Admitted(SimReply reply) =>
        Assert.True(TargetedPolicyHarness.Admitted(reply), $"expected admission, got {reply.Status} {reply.Message}");

    [Fact]
    public async Task A_bare_pod_with_a_real_DaemonSet_ownerReference_created_by_a_user_is_refused()
    {
        var pod = await Pod("kube-system", "cilium-");
        Refused(await harness.CreateAsync("alice", "/api/v1/namespaces/kube-system/pods", pod));
        Admitted(await harness.CreateAsync(DaemonSetController, "/api/v1/namespaces/kube-system/pods", pod));
    }

    [Fact]
    public async Task The_daemon_set_controller_creating_a_pod_of_a_DaemonSet_that_is_not_excepted_is_refused()
    {
        var pod = await Pod("kube-system", "cilium-");
        SetOwner(pod, "apps/v1", "DaemonSet", "cilium-evil");
        Refused(await harness.CreateAsync(DaemonSetController, "/api/v1/namespaces/kube-system/pods", pod));
        Refused(await harness.CreateAsync("system:kube-controller-manager", "/api/v1/namespaces/kube-system/pods", pod));
    }

    [Theory]
    [InlineData("ingress-nginx-controller-evil-x")]
    [InlineData("ingress-nginx-controller-evil")]
    [InlineData("ingress-nginx-controller")]
    [InlineData("ingress-nginx-controller-bcdfghjklmn")]
    public async Task The_replicaset_controller_creating_a_pod_of_a_ReplicaSet_not_named_for_the_excepted_Deployment_is_refused(string replicaSet)
    {
        var pod = await Pod("ingress-nginx", "ingress-nginx-controller-");
        Admitted(await harness.CreateAsync(ReplicaSetController, "/api/v1/namespaces/ingress-nginx/pods", pod));
        SetOwner(pod, "apps/v1", "ReplicaSet", replicaSet);
        Refused(await harness.CreateAsync(ReplicaSetController, "/api/v1/namespaces/ingress-nginx/pods", pod));
    }

    [Fact]
    public async Task A_hostNetwork_ReplicaSet_created_directly_by_a_user_is_refused()
    {
        var rs = await Item("/apis/apps/v1/namespaces/ingress-nginx/replicasets", "ingress-nginx-controller-");
        Refused(await harness.CreateAsync("alice", "/apis/apps/v1/namespaces/ingress-nginx/replicasets", rs));
        rs["metadata"]!.AsObject().Remove("ownerReferences");
        Refused(await harness.CreateAsync("alice", "/apis/apps/v1/namespaces/ingress-nginx/replicasets", rs));
        Admitted(await harness.CreateAsync("system:serviceaccount:kube-system:deployment-controller", "/apis/apps/v1/namespaces/ingress-nginx/replicasets", await Item("/apis/apps/v1/namespaces/ingress-nginx/replicasets", "ingress-nginx-controller-")));
    }

    [Fact]
    public async Task Kubectl_create_job_from_an_excepted_CronJob_is_refused_because_a_user_creates_it()
    {
        // kubectl create job node-probe-manual --from=cronjob/node-probe: the CronJob's job template, owned by the
        // CronJob, created by the user (the annotation kubectl adds).
        var cron = await Item("/apis/batch/v1/namespaces/ops/cronjobs", "node-probe");
        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject { ["name"] = "node-probe-manual", ["namespace"] = "ops", ["annotations"] = new JsonObject { ["cronjob.kubernetes.io/instantiate"] = "manual" } },
            ["spec"] = cron["spec"]!["jobTemplate"]!["spec"]!.DeepClone(),
        };
        SetOwner(job, "batch/v1", "CronJob", "node-probe");
        Refused(await harness.CreateAsync("alice", "/apis/batch/v1/namespaces/ops/jobs", job));
        job["metadata"]!["name"] = "node-probe-29000001";
        Refused(await harness.CreateAsync("alice", "/apis/batch/v1/namespaces/ops/jobs", job));
        Admitted(await harness.CreateAsync("system:serviceaccount:kube-system:cronjob-controller", "/apis/batch/v1/namespaces/ops/jobs", job));
    }

    [Fact]
    public async Task The_same_owner_name_in_another_namespace_is_refused()
    {
        var pod = await Pod("kube-system", "kube-proxy-");
        pod["metadata"]!["namespace"] = "default";
        Refused(await harness.CreateAsync(DaemonSetController, "/api/v1/namespaces/default/pods", pod));
        var ingress = await Pod("ingress-nginx", "ingress-nginx-controller-");
        ingress["metadata"]!["namespace"] = "default";
        Refused(await harness.CreateAsync(ReplicaSetController, "/api/v1/namespaces/default/pods", ingress));
    }

    [Fact]
    public async Task Another_service_account_on_an_excepted_workloads_pod_is_refused()
    {
        var pod = await Pod("kube-system", "kube-proxy-");
        pod["spec"]!["serviceAccountName"] = "cilium";
        pod["spec"]!["serviceAccount"] = "cilium";
        Refused(await harness.CreateAsync(DaemonSetController, "/api/v1/namespaces/kube-system/pods", pod));
    }

    [Theory]
    [InlineData("daemon-set-controller", false)]
    [InlineData("replicaset-controller", false)]
    [InlineData("job-controller", true)]
    public async Task A_pod_in_kube_system_using_a_controller_managers_service_account_is_refused_with_or_without_hostNetwork(string serviceAccount, bool hostNetwork)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "token-thief", ["namespace"] = "kube-system" },
            ["spec"] = new JsonObject { ["serviceAccountName"] = serviceAccount, ["hostNetwork"] = hostNetwork, ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "busybox" }) },
        };
        Refused(await harness.CreateAsync("alice", "/api/v1/namespaces/kube-system/pods", pod));
        pod["spec"]!["serviceAccountName"] = "default";
        pod["spec"]!["hostNetwork"] = false;
        Admitted(await harness.CreateAsync("alice", "/api/v1/namespaces/kube-system/pods", pod));
    }

    [Fact]
    public async Task An_ephemeral_container_added_to_an_excepted_pod_is_refused_unless_the_requester_is_a_declared_debugger()
    {
        const string Debug = """{"spec":{"ephemeralContainers":[{"name":"debugger","image":"nicolaka/netshoot:v0.13","targetContainerName":"controller"}]}}""";
        foreach (var (ns, prefix, debugger) in new[] { ("kube-system", "cilium-", (string?)null), ("ingress-nginx", "ingress-nginx-controller-", "oncall-sre") })
        {
            var name = (await Pod(ns, prefix))["metadata"]!["name"]!.ToString();
            var path = $"/api/v1/namespaces/{ns}/pods/{name}/ephemeralcontainers?dryRun=All";
            using var admin = SimApi.Admin(harness.Host);
            admin.ImpersonateUser = "alice";
            Refused(await admin.Patch(path, Debug, "application/strategic-merge-patch+json"));
            if (debugger is not null)
            {
                admin.ImpersonateUser = debugger;
                var reply = await admin.Patch(path, Debug, "application/strategic-merge-patch+json");
                Assert.True(reply.Status == HttpStatusCode.OK, $"{reply.Status} {reply.Message}");
            }
        }
    }

    [Fact]
    public async Task A_mirror_pod_from_another_nodes_identity_is_refused()
    {
        var pod = await Pod("kube-system", "kube-apiserver-cp-1");
        Refused(await harness.CreateAsync("system:node:worker-1", "/api/v1/namespaces/kube-system/pods", pod, "system:nodes"));
        Admitted(await harness.CreateAsync("system:node:cp-1", "/api/v1/namespaces/kube-system/pods", pod, "system:nodes"));

        // The node's own name on a mirror pod that is not declared, or without the kubelet's annotation.
        var other = pod.DeepClone().AsObject();
        other["metadata"]!["name"] = "rogue-cp-1";
        Refused(await harness.CreateAsync("system:node:cp-1", "/api/v1/namespaces/kube-system/pods", other, "system:nodes"));
        var unannotated = pod.DeepClone().AsObject();
        unannotated["metadata"]!["annotations"]!.AsObject().Remove("kubernetes.io/config.mirror");
        Refused(await harness.CreateAsync("system:node:cp-1", "/api/v1/namespaces/kube-system/pods", unannotated, "system:nodes"));
        Refused(await harness.CreateAsync("system:node:cp-1", "/api/v1/namespaces/kube-system/pods", pod));
    }

    [Fact]
    public async Task A_workload_update_keeping_hostNetwork_is_admitted_only_for_an_excepted_workload_or_an_unchanged_template()
    {
        // The excepted ingress Deployment: a template change by anyone the RBAC lets is admitted (not re-checked).
        var deployment = (await harness.ListAsync("/apis/apps/v1/namespaces/ingress-nginx/deployments")).Single();
        deployment["spec"]!["template"]!["metadata"]!["labels"]!["rolled"] = "1";
        Admitted(await harness.SendAsync("bob", HttpMethod.Put, "/apis/apps/v1/namespaces/ingress-nginx/deployments/ingress-nginx-controller", deployment));

        // team-b's undeclared debug-tools, covered with -Force: a scale or a label is admitted (template unchanged),
        // a template change that keeps hostNetwork is refused, one that drops it admitted.
        await using var forced = await TargetedPolicyHarness.StartAsync(ScenarioCatalog.Demo(), ScenarioCatalog.DemoLegitimate, new() { Context = "sim", Force = true });
        Assert.Contains("team-b", forced.Plan.ProtectedNamespaces);
        Assert.Contains(forced.Plan.Warnings, w => w.Id == "UndeclaredWorkloadsCovered" && w.Target == "team-b");
        const string Path = "/apis/apps/v1/namespaces/team-b/deployments/debug-tools";
        var tools = (await forced.ListAsync("/apis/apps/v1/namespaces/team-b/deployments")).Single(d => d["metadata"]!["name"]!.ToString() == "debug-tools");
        var scaled = tools.DeepClone().AsObject();
        scaled["spec"]!["replicas"] = 3;
        scaled["metadata"]!["labels"]!["scaled"] = "yes";
        Admitted(await forced.SendAsync("alice", HttpMethod.Put, Path, scaled));
        var changed = tools.DeepClone().AsObject();
        changed["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nicolaka/netshoot:v0.14";
        Refused(await forced.SendAsync("alice", HttpMethod.Put, Path, changed));
        changed["spec"]!["template"]!["spec"]!["hostNetwork"] = false;
        Admitted(await forced.SendAsync("alice", HttpMethod.Put, Path, changed));
    }
}

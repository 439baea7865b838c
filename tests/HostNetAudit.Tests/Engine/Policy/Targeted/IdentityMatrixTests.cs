using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Simulator.Scenarios;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>
/// The identity matrix of issue 10: with the targeted policy generated from the cluster and applied, each existing pod
/// (and each hostNetwork workload) is sent again as a CREATE by the identity that re-creates it (admitted when
/// declared) and by an ordinary user (every hostNetwork one refused, naming the policy). Judged from the server's
/// answers, on the demo cluster (shipped example exemptions plus the entries its author marks legitimate).
/// </summary>
public sealed class IdentityMatrixTests : IdentityMatrix
{
    private protected override Task<TargetedPolicyHarness> StartAsync() => TargetedPolicyHarness.StartAsync(ScenarioCatalog.Demo(), ScenarioCatalog.DemoLegitimate);

    [Fact]
    public void The_plan_protects_kube_system_and_leaves_out_only_the_namespace_with_an_undeclared_workload()
    {
        Assert.Contains("kube-system", Harness.Plan.ProtectedNamespaces);
        var leftOut = Assert.Single(Harness.Plan.LeftOut);
        Assert.Equal("team-b", leftOut.Namespace);
        Assert.Equal(LeftOutReason.UndeclaredWorkloads, leftOut.Reason);
        Assert.Equal("Deployment/debug-tools (0 pods)", Assert.Single(leftOut.Workloads).ToString());
        Assert.Contains(Harness.Plan.Exceptions, e => e.Shape == ExceptionShape.MirrorPod && e.Name == "kube-apiserver" && e.Namespace == "kube-system");
        Assert.Contains(Harness.Plan.Warnings, w => w.Id == "ExemptionMatchesNothing" && w.Target.Contains("aws-node", StringComparison.Ordinal));
        Assert.DoesNotContain(Harness.Plan.Exceptions, e => e.Name == "aws-node");
    }
}

/// <summary>The identity matrix on the realistic mixed cluster (TargetedScenario), its author's truth checked first.</summary>
public sealed class MixedClusterIdentityMatrixTests : IdentityMatrix
{
    private protected override Task<TargetedPolicyHarness> StartAsync() => TargetedPolicyHarness.StartAsync(TargetedScenario.Create(), TargetedScenario.Legitimate);

    [Fact]
    public void The_plan_leaves_out_exactly_the_namespaces_the_author_names_each_workload_once_with_its_pods()
    {
        var truth = TargetedScenario.Create().Truth["targeted"]!["leftOut"]!.AsObject();
        var leftOut = Harness.Plan.LeftOut.Where(l => l.Reason == LeftOutReason.UndeclaredWorkloads).ToDictionary(l => l.Namespace, l => l.Workloads.Select(w => w.ToString()).ToArray());
        Assert.Equal(truth.Select(t => t.Key).Order(StringComparer.Ordinal), leftOut.Keys.Order(StringComparer.Ordinal));
        foreach (var (ns, workloads) in truth)
        {
            Assert.Equal(workloads!.AsArray().Select(w => w!.ToString()), leftOut[ns]);
        }

        Assert.DoesNotContain(Harness.Plan.LeftOut, l => l.Reason == LeftOutReason.Exempt);
        Assert.Contains("kube-system", Harness.Plan.ProtectedNamespaces);
        Assert.Contains("logging", Harness.Plan.ProtectedNamespaces);
        Assert.Equal(3, Harness.Plan.Exceptions.Count(e => e.Shape == ExceptionShape.Workload && e.Kind == "Deployment"));
        Assert.Equal(4, Harness.Plan.Exceptions.Count(e => e.Shape == ExceptionShape.MirrorPod));
        Assert.Contains(Harness.Plan.Exceptions, e => e.Kind == "DaemonSet" && e.Name == "ebs-csi-node" && e.ServiceAccounts.SequenceEqual(new[] { "ebs-csi-node-sa" }));

        // The example's ~20 agents are not pre-authorised: only those that run here are carried.
        Assert.Equal(6, Harness.Plan.Exceptions.Count(e => e.Kind == "DaemonSet"));
        Assert.True(Harness.Plan.Warnings.Count(w => w.Id == "ExemptionMatchesNothing") >= 12);
    }

    [Fact]
    public async Task A_bare_pod_is_admitted_only_for_its_declared_requester()
    {
        var pod = TargetedPolicyHarness.AsCreate((await Harness.ListAsync("/api/v1/namespaces/lab/pods")).Single());
        Assert.True(TargetedPolicyHarness.Admitted(await Harness.CreateAsync("alice", "/api/v1/namespaces/lab/pods", pod)));
        Assert.True(TargetedPolicyHarness.RefusedByPolicy(await Harness.CreateAsync("bob", "/api/v1/namespaces/lab/pods", pod)));
    }
}

/// <summary>
/// The matrix itself: each existing pod and workload of the cluster, re-created by the identity that creates it
/// (admitted) and by an ordinary user (refused when hostNetwork), in every namespace the binding covers.
/// </summary>
public abstract class IdentityMatrix : IAsyncLifetime
{
    private TargetedPolicyHarness? harness;

    private protected TargetedPolicyHarness Harness => harness!;

    public async Task InitializeAsync() => harness = await StartAsync();

    public async Task DisposeAsync() => await Harness.DisposeAsync();

    private protected abstract Task<TargetedPolicyHarness> StartAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Each_existing_pod_recreated_by_its_controller_is_admitted_and_by_an_ordinary_user_refused_when_hostNetwork(bool sharedControllerIdentity)
    {
        var excluded = Harness.Plan.ExcludedNamespaces.ToHashSet(StringComparer.Ordinal);
        var pods = (await Harness.ListAsync("/api/v1/pods")).Where(p => !excluded.Contains(p["metadata"]!["namespace"]!.ToString())).ToList();
        Assert.Contains(pods, TargetedPolicyHarness.HostNetwork);
        var failures = new List<string>();
        foreach (var pod in pods)
        {
            var ns = pod["metadata"]!["namespace"]!.ToString();
            var name = pod["metadata"]!["name"]!.ToString();
            var path = $"/api/v1/namespaces/{ns}/pods";
            var body = TargetedPolicyHarness.AsCreate(pod);
            var (user, groups) = TargetedPolicyHarness.Recreator(pod, sharedControllerIdentity) ?? ("alice", Array.Empty<string>());
            var byCreator = await Harness.CreateAsync(user, path, body, groups);
            if (!TargetedPolicyHarness.Admitted(byCreator))
            {
                failures.Add($"{ns}/{name} as {user}: {byCreator.Status} {byCreator.Message}");
            }

            var byUser = await Harness.CreateAsync("mallory", path, body, "developers");
            if (TargetedPolicyHarness.HostNetwork(pod) ? !TargetedPolicyHarness.RefusedByPolicy(byUser) : !TargetedPolicyHarness.Admitted(byUser))
            {
                failures.Add($"{ns}/{name} as mallory: {byUser.Status} {byUser.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Each_hostNetwork_workload_is_admitted_again_from_its_creator_and_its_controllers_children_too()
    {
        var excluded = Harness.Plan.ExcludedNamespaces.ToHashSet(StringComparer.Ordinal);
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var (path, resource) in new[] { ("/apis/apps/v1", "daemonsets"), ("/apis/apps/v1", "deployments"), ("/apis/apps/v1", "replicasets"), ("/apis/apps/v1", "statefulsets"), ("/apis/batch/v1", "jobs"), ("/apis/batch/v1", "cronjobs"), ("/api/v1", "replicationcontrollers") })
        {
            foreach (var item in await Harness.ListAsync($"{path}/{resource}"))
            {
                var ns = item["metadata"]!["namespace"]!.ToString();
                if (excluded.Contains(ns))
                {
                    continue;
                }

                var template = resource == "cronjobs" ? item["spec"]!["jobTemplate"]!["spec"]!["template"]! : item["spec"]!["template"]!;
                var hostNetwork = template["spec"]?["hostNetwork"]?.GetValue<bool>() == true;
                var (user, groups) = TargetedPolicyHarness.Recreator(item) ?? ("alice", Array.Empty<string>());
                var reply = await Harness.CreateAsync(user, $"{path}/namespaces/{ns}/{resource}", TargetedPolicyHarness.AsCreate(item), groups);
                checkedCount++;
                if (!TargetedPolicyHarness.Admitted(reply))
                {
                    failures.Add($"{resource} {ns}/{item["metadata"]!["name"]} as {user}: {reply.Status} {reply.Message}");
                }

                // Children (a Deployment's ReplicaSets, a CronJob's Jobs) created by a user instead of their controller.
                if (hostNetwork && item["metadata"]?["ownerReferences"] is JsonArray { Count: > 0 })
                {
                    var byUser = await Harness.CreateAsync("mallory", $"{path}/namespaces/{ns}/{resource}", TargetedPolicyHarness.AsCreate(item));
                    if (!TargetedPolicyHarness.RefusedByPolicy(byUser))
                    {
                        failures.Add($"{resource} {ns}/{item["metadata"]!["name"]} as mallory: {byUser.Status} {byUser.Message}");
                    }
                }
            }
        }

        Assert.True(checkedCount > 5);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task The_policy_type_checks_without_warnings()
    {
        await Task.Delay(50);
        var policy = await Harness.ListAsync("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies");
        var status = Assert.Single(policy)["status"];
        Assert.NotNull(status);
        Assert.Null(status!["typeChecking"]?["expressionWarnings"]);
    }
}

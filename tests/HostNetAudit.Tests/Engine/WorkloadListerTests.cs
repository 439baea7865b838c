using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public sealed class WorkloadListerTests : IAsyncLifetime
{
    private SimHost host = null!;
    private HashSet<string> truth = null!;

    public async Task InitializeAsync()
    {
        host = await SimHost.StartAsync(WorkloadScenario.Create());
        truth = host.Cluster.Scenario.Truth["hostNetworkWorkloads"]!.AsArray().Select(n => n!.GetValue<string>()).ToHashSet();
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    private async Task<List<HostNetworkWorkload>> ListAsync(RecordingLog log, WorkloadQuery? query = null)
    {
        using var session = new ClusterSession(host.Api(log), log);
        var result = new List<HostNetworkWorkload>();
        await foreach (var workload in session.GetHostNetworkWorkloadsAsync(query ?? new WorkloadQuery(), CancellationToken.None))
        {
            result.Add(workload);
        }

        return result;
    }

    private List<RequestRecord> Lists() => host.Cluster.Requests.All.Where(r => r.Verb == "list").ToList();

    [Fact]
    public void The_scenario_declares_every_template_shape()
    {
        // The author's truth covers what the issue asks for; the engine is not consulted.
        foreach (var expected in new[] { "ReplicaSet/edge/edge-proxy", "Job/batch/net-bench", "Deployment/apps/standby-gateway", "Job/batch/paused-probe", "DaemonSet/edge/gpu-agent", "CronJob/batch/nightly-scan" })
        {
            Assert.Contains(expected, truth);
        }
    }

    [Fact]
    public async Task Finds_exactly_the_declared_workloads_with_one_list_per_kind()
    {
        var workloads = await ListAsync(new RecordingLog());
        Assert.Equal(truth, workloads.Select(w => w.ToString()).ToHashSet());
        Assert.Equal(truth.Count, workloads.Count);
        // The kinds are listed at once: which answer comes first is the server's business, the set is what counts.
        Assert.Equal(
            new[] { "/apis/apps/v1/daemonsets", "/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets", "/apis/apps/v1/replicasets", "/api/v1/replicationcontrollers", "/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs" }.Order(StringComparer.Ordinal),
            Lists().Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.Equal(7, host.Cluster.Requests.All.Count);
    }

    [Fact]
    public async Task Reports_desired_counts_and_suspension_as_the_scenario_declares_them()
    {
        var workloads = (await ListAsync(new RecordingLog())).ToDictionary(w => w.ToString());
        foreach (var (key, value) in host.Cluster.Scenario.Truth["workloadReplicas"]!.AsObject())
        {
            Assert.Equal(value!.GetValue<int>(), workloads[key].Replicas);
        }

        var suspended = host.Cluster.Scenario.Truth["suspendedWorkloads"]!.AsArray().Select(n => n!.GetValue<string>()).ToHashSet();
        Assert.Equal(suspended, workloads.Values.Where(w => w.Suspended).Select(w => w.ToString()).ToHashSet());
        Assert.Equal(0, workloads["CronJob/batch/nightly-scan"].CurrentReplicas); // no Job at all
        Assert.Equal(0, workloads["DaemonSet/edge/gpu-agent"].CurrentReplicas); // no node matches
    }

    [Fact]
    public async Task Lists_literal_namespaces_one_by_one_and_only_the_kinds_asked_for()
    {
        var query = new WorkloadQuery { Namespaces = new[] { "batch", "edge" }, Kinds = new[] { WorkloadKind.CronJob, WorkloadKind.Job } };
        var workloads = await ListAsync(new RecordingLog(), query);
        Assert.Equal(truth.Where(t => t.StartsWith("Job/batch/", StringComparison.Ordinal) || t.StartsWith("CronJob/batch/", StringComparison.Ordinal)).ToHashSet(), workloads.Select(w => w.ToString()).ToHashSet());
        Assert.Equal(
            new[] { "/apis/batch/v1/namespaces/batch/jobs", "/apis/batch/v1/namespaces/edge/jobs", "/apis/batch/v1/namespaces/batch/cronjobs", "/apis/batch/v1/namespaces/edge/cronjobs" }.Order(StringComparer.Ordinal),
            Lists().Select(r => r.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Pages_every_list_and_filters_namespaces_on_the_client()
    {
        var workloads = await ListAsync(new RecordingLog(), new WorkloadQuery { PageSize = 1, NamespaceFilter = ns => ns != "kube-system" });
        Assert.Equal(truth.Where(t => !t.Contains("/kube-system/", StringComparison.Ordinal)).ToHashSet(), workloads.Select(w => w.ToString()).ToHashSet());
        Assert.All(Lists(), r => Assert.Contains("limit=1", r.Query, StringComparison.Ordinal));
        var kinds = new[] { "DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Job", "CronJob" };
        var expectedPages = kinds.Sum(k => Math.Max(1, host.Cluster.Scenario.Objects.Count(o => o["kind"]!.GetValue<string>() == k)));
        Assert.Equal(expectedPages, Lists().Count); // one object per page
    }

    [Fact]
    public async Task A_kind_RBAC_forbids_is_skipped_with_a_warning_naming_the_permission()
    {
        host.Cluster.Access.Deny(new DenyRule { Verb = "list", Group = "apps", Resource = "daemonsets" });
        var log = new RecordingLog();
        var workloads = await ListAsync(log);
        Assert.Equal(truth.Where(t => !t.StartsWith("DaemonSet/", StringComparison.Ordinal)).ToHashSet(), workloads.Select(w => w.ToString()).ToHashSet());
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("'list' on 'daemonsets' in API group 'apps'", warning, StringComparison.Ordinal);
        Assert.Empty(log.Errors);
    }

    [Fact]
    public async Task An_API_the_server_does_not_serve_is_skipped()
    {
        host.Cluster.Faults.Add(new FaultRule { StatusCode = 404, Resource = "cronjobs", Times = 0 });
        var log = new RecordingLog();
        var workloads = await ListAsync(log);
        Assert.Equal(truth.Where(t => !t.StartsWith("CronJob/", StringComparison.Ordinal)).ToHashSet(), workloads.Select(w => w.ToString()).ToHashSet());
        Assert.Empty(log.Warnings);
        Assert.Contains(log.Verbose, v => v.Contains("does not serve cronjobs in batch/v1beta1", StringComparison.Ordinal));
        Assert.Equal(new[] { "/apis/batch/v1/cronjobs", "/apis/batch/v1beta1/cronjobs" }, Lists().Where(r => r.Resource == "cronjobs").Select(r => r.Path));
    }

    [Fact]
    public async Task Reads_CronJobs_from_batch_v1beta1_on_servers_before_1_21()
    {
        host.Cluster.Faults.Add(new FaultRule { StatusCode = 404, PathContains = "/apis/batch/v1/cronjobs", Times = 0 });
        host.Cluster.AddObject(JsonNode.Parse("""
            {"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"legacy-cron","namespace":"batch","uid":"9f1c2d8e-0000-4000-8000-000000000001"},
             "spec":{"schedule":"0 * * * *","jobTemplate":{"spec":{"template":{"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"busybox"}]}}}}}}
            """)!.AsObject());
        var workloads = await ListAsync(new RecordingLog(), new WorkloadQuery { Kinds = new[] { WorkloadKind.CronJob } });
        var cron = Assert.Single(workloads);
        Assert.Equal(("CronJob/batch/legacy-cron", "batch/v1beta1"), (cron.ToString(), cron.ApiVersion));
    }

    [Fact]
    public async Task Survives_410_429_and_5xx_on_workload_lists()
    {
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Expired, Resource = "replicasets", Times = 1 });
        host.Cluster.Faults.Add(new FaultRule { StatusCode = 429, RetryAfterSeconds = 1, Resource = "deployments", Times = 1 });
        host.Cluster.Faults.Add(new FaultRule { StatusCode = 503, Resource = "jobs", Times = 2 });
        var workloads = await ListAsync(new RecordingLog(), new WorkloadQuery { PageSize = 1 });
        Assert.Equal(truth, workloads.Select(w => w.ToString()).ToHashSet());
        Assert.Equal(truth.Count, workloads.Count);
        Assert.Equal(4, host.Cluster.Requests.All.Count(r => r.Fault is not null));
    }
}

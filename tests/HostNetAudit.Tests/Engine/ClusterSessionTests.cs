using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Engine.Api;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public sealed class ClusterSessionTests : IAsyncLifetime
{
    private SimHost host = null!;
    private HashSet<string> truth = null!;

    public async Task InitializeAsync()
    {
        host = await SimHost.StartAsync(ScenarioCatalog.Bench(pods: 3000, namespaces: 60, hostNetworkPercent: 2));
        truth = host.Cluster.Scenario.Truth["hostNetworkPods"]!.AsArray().Select(n => n!.GetValue<string>()).ToHashSet();
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    private async Task<List<HostNetworkPod>> ListAsync(RecordingLog log, int pageSize = 500)
    {
        using var session = new ClusterSession(host.Api(log), log);
        var result = new List<HostNetworkPod>();
        await foreach (var pod in session.GetHostNetworkPodsAsync(new PodQuery { PageSize = pageSize }, CancellationToken.None))
        {
            result.Add(pod);
        }

        return result;
    }

    private void AssertTruth(List<HostNetworkPod> pods)
    {
        Assert.Equal(truth.Count, pods.Count);
        Assert.Equal(truth, pods.Select(p => p.Namespace + "/" + p.Name).ToHashSet());
    }

    [Fact]
    public async Task Lists_with_the_field_selector_in_pages()
    {
        var log = new RecordingLog();
        AssertTruth(await ListAsync(log, pageSize: 7));
        var lists = host.Cluster.Requests.All.Where(r => r.Verb == "list").ToList();
        Assert.All(lists, r => Assert.Contains("fieldSelector=spec.hostNetwork%3Dtrue", r.Query, StringComparison.Ordinal));
        Assert.Equal((int)Math.Ceiling(truth.Count / 7.0), lists.Count);
    }

    [Fact]
    public async Task Falls_back_to_client_side_filtering_on_servers_before_1_28()
    {
        host.Cluster.Options.HostNetworkFieldSelector = false;
        var log = new RecordingLog();
        AssertTruth(await ListAsync(log));
        Assert.Single(log.Verbose, v => v.Contains("does not support the field selector", StringComparison.Ordinal));
        var lists = host.Cluster.Requests.All.Where(r => r.Verb == "list").ToList();
        Assert.Equal(400, lists[0].Status);
        Assert.All(lists.Skip(1), r => Assert.DoesNotContain("fieldSelector", r.Query, StringComparison.Ordinal));
        Assert.Equal(1 + 6, lists.Count);
    }

    [Fact]
    public async Task Follows_empty_pages_that_carry_a_continue_token()
    {
        host.Cluster.Options.PageScanLimit = 20;
        var log = new RecordingLog();
        AssertTruth(await ListAsync(log, pageSize: 50));
        var lists = host.Cluster.Requests.All.Where(r => r.Verb == "list").ToList();
        Assert.True(lists.Count >= 100, $"expected many short pages, saw {lists.Count}");
    }

    [Fact]
    public async Task Restarts_once_on_410_Expired_and_never_yields_a_pod_twice()
    {
        host.Cluster.Options.HostNetworkFieldSelector = false;
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Expired, Resource = "pods", Skip = 2, Times = 1 });
        var log = new RecordingLog();
        var pods = await ListAsync(log);
        AssertTruth(pods);
        Assert.Contains(log.Verbose, v => v.Contains("restarting", StringComparison.Ordinal));
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public async Task On_a_second_410_continues_with_the_fresh_token_and_warns()
    {
        host.Cluster.Options.HostNetworkFieldSelector = false;
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Expired, Resource = "pods", Skip = 2, Times = 2 });
        var log = new RecordingLog();
        var pods = await ListAsync(log);
        AssertTruth(pods);
        Assert.Single(log.Warnings, w => w.Contains("inconsistent", StringComparison.Ordinal) || w.Contains("missed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retries_429_with_Retry_After_and_5xx_then_succeeds()
    {
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 429, RetryAfterSeconds = 1, Resource = "pods", Times = 2 });
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 503, Resource = "pods", Skip = 3, Times = 2 });
        var log = new RecordingLog();
        var started = DateTime.UtcNow;
        AssertTruth(await ListAsync(log, pageSize: 20));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.9), "Retry-After was honoured");
        Assert.Equal(4, host.Cluster.Requests.All.Count(r => r.Fault is not null));
        Assert.Contains(host.Cluster.Requests.All, r => r.Status == 429);
    }

    [Fact]
    public async Task Gives_up_after_bounded_retries_with_a_stable_error()
    {
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Status, StatusCode = 500, Resource = "pods", Times = 0 });
        var error = await Assert.ThrowsAsync<KubeApiException>(() => ListAsync(new RecordingLog()));
        Assert.Equal("ApiServerError", error.ErrorId);
        Assert.Equal(6, host.Cluster.Requests.All.Count(r => r.Verb == "list"));
    }

    [Fact]
    public async Task Retries_a_reset_connection()
    {
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Reset, Resource = "pods", Times = 1 });
        AssertTruth(await ListAsync(new RecordingLog()));
    }

    [Fact]
    public async Task Does_not_retry_permanent_errors()
    {
        host.Cluster.Access.Deny(new DenyRule { Verb = "list", Resource = "pods" });
        var error = await Assert.ThrowsAsync<KubeApiException>(() => ListAsync(new RecordingLog()));
        Assert.Equal("ListPodsForbidden", error.ErrorId);
        Assert.Equal(FailureCategory.PermissionDenied, error.Category);
        Assert.Single(host.Cluster.Requests.All, r => r.Verb == "list");
    }

    [Fact]
    public async Task Yields_the_first_pod_before_the_next_page_is_requested()
    {
        host.Cluster.Options.HostNetworkFieldSelector = false;
        var log = new RecordingLog();
        using var session = new ClusterSession(host.Api(log), log);
        await using var pods = session.GetHostNetworkPodsAsync(new PodQuery { PageSize = 100 }, CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await pods.MoveNextAsync());
        var listsSoFar = host.Cluster.Requests.All.Where(r => r.Verb == "list").ToList();
        Assert.Equal(2, listsSoFar.Count); // the refused selector, then the first page of the fallback
        Assert.DoesNotContain("continue=", listsSoFar[1].Query, StringComparison.Ordinal);
        var count = 1;
        while (await pods.MoveNextAsync())
        {
            count++;
        }

        Assert.Equal(truth.Count, count);
        Assert.Equal(1 + 30, host.Cluster.Requests.All.Count(r => r.Verb == "list")); // 3000 pods in pages of 100
    }

    [Fact]
    public async Task A_namespace_RBAC_forbids_is_an_error_and_the_other_namespaces_go_on()
    {
        var namespaces = truth.Select(t => t.Split('/')[0]).Distinct().OrderBy(n => n, StringComparer.Ordinal).Take(3).ToArray();
        host.Cluster.Access.Deny(new DenyRule { Verb = "list", Resource = "pods", Namespace = namespaces[1] });
        var log = new RecordingLog();
        using var session = new ClusterSession(host.Api(log), log);
        var pods = new List<HostNetworkPod>();
        await foreach (var pod in session.GetHostNetworkPodsAsync(new PodQuery { Namespaces = namespaces }, CancellationToken.None))
        {
            pods.Add(pod);
        }

        Assert.Equal(truth.Where(t => t.StartsWith(namespaces[0] + "/", StringComparison.Ordinal) || t.StartsWith(namespaces[2] + "/", StringComparison.Ordinal)).ToHashSet(), pods.Select(p => p.Namespace + "/" + p.Name).ToHashSet());
        var error = Assert.Single(log.Errors);
        Assert.Equal("ListPodsForbidden", error.ErrorId);
        Assert.Equal(namespaces[1], error.Target);
        Assert.Equal(FailureCategory.PermissionDenied, error.Category);
    }

    [Fact]
    public async Task Says_what_a_listing_cost_in_one_verbose_line()
    {
        var log = new RecordingLog();
        await ListAsync(log, pageSize: 50);
        Assert.Contains(log.Verbose, v => v.Contains($"{truth.Count} hostNetwork pod(s) from 2 request(s) (0 owner lookup(s))", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Counts_the_bytes_of_streamed_pages_as_the_server_sent_them()
    {
        host.Cluster.Options.HostNetworkFieldSelector = false;
        var log = new RecordingLog();
        var api = host.Api(log);
        using var session = new ClusterSession(api, log);
        var count = 0;
        await foreach (var pod in session.GetHostNetworkPodsAsync(new PodQuery { PageSize = 250 }, CancellationToken.None))
        {
            count++;
        }

        Assert.Equal(truth.Count, count);
        var requests = host.Cluster.Requests.All;
        Assert.Equal(requests.Count, api.RequestCount);
        Assert.Equal(requests.Sum(r => r.ResponseBytes), api.BytesReceived);
        Assert.True(api.BytesReceived > 3000 * 1000, "every pod crossed the wire once");
    }
}

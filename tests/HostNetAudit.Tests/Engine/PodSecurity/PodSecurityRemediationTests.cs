using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.PodSecurity;

/// <summary>The write-time precondition: never overwrite a concurrent change of the pod-security labels.</summary>
public sealed class PodSecurityRemediationTests : IAsyncLifetime
{
    private SimHost host = null!;

    public async Task InitializeAsync() => host = await SimHost.StartAsync(RemediationScenario.Create());

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static PodSecurityRequest Baseline(string ns) => new()
    {
        Namespace = ns,
        Operation = PodSecurityOperation.Set,
        Level = PodSecurityLevel.Baseline,
        Modes = new[] { PodSecurityMode.Enforce, PodSecurityMode.Warn, PodSecurityMode.Audit },
    };

    private void ChangeLabels(string ns, Action<JsonObject> change)
    {
        var stored = host.Cluster.Store.Get(host.Cluster.Store.Definitions.First(d => d.Kind == "Namespace"), null, ns)!.Node.DeepClone().AsObject();
        change(stored["metadata"]!["labels"]!.AsObject());
        stored["metadata"]!.AsObject().Remove("resourceVersion");
        host.Cluster.Store.Put(host.Cluster.Store.Definitions.First(d => d.Kind == "Namespace"), stored);
    }

    [Fact]
    public async Task A_concurrent_change_of_the_pod_security_labels_fails_the_write_instead_of_overwriting_it()
    {
        using var session = new ClusterSession(host.Api(), NullEngineLog.Instance);
        var plans = await session.PodSecurity.PlanAsync(new[] { Baseline("mixed-b") }, 4, CancellationToken.None);
        Assert.Equal(PodSecurityDecision.Apply, plans[0].Decision);

        ChangeLabels("mixed-b", labels => labels["pod-security.kubernetes.io/enforce"] = "restricted");
        var outcome = (await session.PodSecurity.ApplyAsync(plans, 4, CancellationToken.None))[0];

        Assert.Equal("Failed", outcome.Record.Action);
        Assert.Equal("ConcurrentLabelChange", outcome.Error!.ErrorId);
        Assert.Equal("mixed-b", outcome.Error.Target);
        var labels = host.Cluster.Store.Get(host.Cluster.Store.Definitions.First(d => d.Kind == "Namespace"), null, "mixed-b")!.Node["metadata"]!["labels"]!;
        Assert.Equal("restricted", labels["pod-security.kubernetes.io/enforce"]!.GetValue<string>());
        Assert.Single(host.Cluster.Requests.All, r => r.IsWrite && r.Status == 422);
    }

    [Fact]
    public async Task An_unrelated_concurrent_change_is_kept_and_the_labels_still_applied()
    {
        using var session = new ClusterSession(host.Api(), NullEngineLog.Instance);
        var plans = await session.PodSecurity.PlanAsync(new[] { Baseline("plain") }, 4, CancellationToken.None);
        ChangeLabels("plain", labels => labels["owner"] = "someone-else");
        var outcome = (await session.PodSecurity.ApplyAsync(plans, 4, CancellationToken.None))[0];

        Assert.Null(outcome.Error);
        Assert.Equal("Applied", outcome.Record.Action);
        var labels = host.Cluster.Store.Get(host.Cluster.Store.Definitions.First(d => d.Kind == "Namespace"), null, "plain")!.Node["metadata"]!["labels"]!;
        Assert.Equal("someone-else", labels["owner"]!.GetValue<string>());
        Assert.Equal("baseline", labels["pod-security.kubernetes.io/enforce"]!.GetValue<string>());
        Assert.Equal(2, host.Cluster.Requests.All.Count(r => r.IsWrite));
    }

    [Fact]
    public async Task Many_namespaces_are_read_and_checked_with_one_list_per_kind()
    {
        await using var big = await SimHost.StartAsync(RemediationScenario.Create(bulkNamespaces: 40));
        using var session = new ClusterSession(big.Api(), NullEngineLog.Instance);
        var requests = Enumerable.Range(1, 40).Select(i => Baseline(RemediationScenario.BulkName(i))).ToList();
        var plans = await session.PodSecurity.PlanAsync(requests, 8, CancellationToken.None);

        Assert.All(plans, p => Assert.Equal(PodSecurityDecision.Apply, p.Decision));
        var reads = big.Cluster.Requests.All.Where(r => !r.DryRun && r.Verb is "get" or "list").ToList();
        Assert.DoesNotContain(reads, r => r.Verb == "get" && r.Resource == "namespaces");
        Assert.All(reads.Where(r => r.Verb == "list"), r => Assert.Null(r.Namespace));
        Assert.Equal(9, reads.Count(r => r.Verb == "list")); // namespaces + 8 kinds
        Assert.Equal(40, big.Cluster.Requests.All.Count(r => r.Verb == "patch" && r.DryRun));
    }
}

using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

/// <summary>
/// Owners through custom controllers (issue 15, point 11): any controller ownerReference is followed to the top, live
/// and offline, with one lookup per distinct owner; an owner RBAC cannot read is said in a warning and the walk
/// stops there.
/// </summary>
public sealed class OwnerResolverTests : IAsyncLifetime
{
    private const string Evidence = """
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: canary, namespace: argo}
        ---
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: canary-6f7d
          namespace: argo
          ownerReferences: [{apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: canary, uid: r1, controller: true}]
        ---
        apiVersion: tekton.dev/v1
        kind: TaskRun
        metadata:
          name: build-1-fetch
          namespace: ci
          ownerReferences: [{apiVersion: tekton.dev/v1, kind: PipelineRun, name: build-1, uid: p1, controller: true}]
        ---
        apiVersion: tekton.dev/v1
        kind: PipelineRun
        metadata: {name: build-1, namespace: ci}
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: calico-node
          namespace: calico-system
          ownerReferences: [{apiVersion: operator.tigera.io/v1, kind: Installation, name: default, uid: i1, controller: true}]
        """;

    private SimHost host = null!;

    public async Task InitializeAsync() => host = await SimHost.StartAsync(ScenarioCatalog.Empty());

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static string Pod(string name, string ns, string apiVersion, string kind, string owner) =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  uid: {name}\n  ownerReferences: [{{apiVersion: {apiVersion}, kind: {kind}, name: {owner}, uid: x, controller: true}}]\nspec: {{hostNetwork: true, nodeName: n1, containers: [{{name: c, image: x}}]}}\n";

    private static readonly string Pods = string.Join("---\n",
        Pod("canary-6f7d-a", "argo", "apps/v1", "ReplicaSet", "canary-6f7d"),
        Pod("canary-6f7d-b", "argo", "apps/v1", "ReplicaSet", "canary-6f7d"),
        Pod("build-1-fetch-pod", "ci", "tekton.dev/v1", "TaskRun", "build-1-fetch"),
        Pod("calico-node-x1", "calico-system", "apps/v1", "DaemonSet", "calico-node"));

    [Fact]
    public void Offline_the_owner_is_the_top_controller_found_in_the_evidence()
    {
        var folder = Directory.CreateTempSubdirectory("hna-owners-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "objects.yaml"), Evidence);
            File.WriteAllText(Path.Combine(folder, "pods.yaml"), Pods);
            var log = new RecordingLog();
            var set = new EvidenceSet(EvidenceReader.Read(new[] { folder }, log, CancellationToken.None), log);
            var owners = set.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None).ToBlockingEnumerable().ToDictionary(p => p.Name, p => p.Owner);
            Assert.Equal("Rollout/canary", owners["canary-6f7d-a"]);
            Assert.Equal("Rollout/canary", owners["canary-6f7d-b"]);
            Assert.Equal("PipelineRun/build-1", owners["build-1-fetch-pod"]);
            Assert.Equal("DaemonSet/calico-node", owners["calico-node-x1"]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private void AddToCluster()
    {
        foreach (var ns in new[] { "argo", "ci", "calico-system" })
        {
            host.Cluster.AddObject(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
        }

        // Tekton's kinds are not served here: their pods keep the TaskRun, whose API discovery does not find.
        foreach (var document in YamlDocuments.Read(Evidence + "\n---\n" + Pods).Where(d => d.Node is not null && d.Node["apiVersion"]!.GetValue<string>() is "argoproj.io/v1alpha1" or "apps/v1" or "v1"))
        {
            host.Cluster.AddObject((JsonObject)document.Node!);
        }
    }

    private async Task<(List<HostNetworkPod> Pods, RecordingLog Log)> ListAsync()
    {
        var log = new RecordingLog();
        using var session = new ClusterSession(host.Api(log), log);
        var pods = new List<HostNetworkPod>();
        await foreach (var pod in session.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None))
        {
            pods.Add(pod);
        }

        return (pods, log);
    }

    [Fact]
    public async Task Live_a_ReplicaSet_of_an_Argo_Rollout_names_the_Rollout_with_one_lookup_per_distinct_owner()
    {
        AddToCluster();
        var (pods, log) = await ListAsync();
        var owners = pods.ToDictionary(p => p.Name, p => p.Owner);
        Assert.Equal("Rollout/canary", owners["canary-6f7d-a"]);
        Assert.Equal("Rollout/canary", owners["canary-6f7d-b"]);
        Assert.Equal("DaemonSet/calico-node", owners["calico-node-x1"]);
        Assert.Equal("TaskRun/build-1-fetch", owners["build-1-fetch-pod"]);
        // The ReplicaSet and the Rollout, once for both pods, and the TaskRun; the DaemonSet is a top workload.
        Assert.Contains(log.Verbose, v => v.Contains("(3 owner lookup(s))", StringComparison.Ordinal));
        var requests = host.Cluster.Requests.All.Select(r => (r.Verb, r.Resource, r.Path)).ToList();
        Assert.Single(requests, r => r.Verb == "get" && r.Resource == "replicasets");
        Assert.Single(requests, r => r.Verb == "get" && r.Resource == "rollouts");
        Assert.Single(requests, r => r.Path == "/apis/argoproj.io/v1alpha1");
        Assert.Empty(log.Warnings);
        Assert.Empty(log.Errors);
    }

    [Fact]
    public async Task Live_an_owner_RBAC_cannot_read_is_said_once_and_the_walk_stops_there()
    {
        AddToCluster();
        host.Cluster.Access.Deny(new DenyRule { Verb = "get", Group = "argoproj.io", Resource = "rollouts" });
        var (pods, log) = await ListAsync();
        Assert.Equal(new[] { "Rollout/canary", "Rollout/canary" }, pods.Where(p => p.Namespace == "argo").Select(p => p.Owner));
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("cannot get rollouts.argoproj.io", warning, StringComparison.Ordinal);
        Assert.Contains("'get' on 'rollouts' in API group 'argoproj.io'", warning, StringComparison.Ordinal);

        host.Cluster.Access.Deny(new DenyRule { Verb = "get", Group = "apps", Resource = "replicasets" });
        var (again, secondLog) = await ListAsync();
        Assert.Equal(new[] { "ReplicaSet/canary-6f7d", "ReplicaSet/canary-6f7d" }, again.Where(p => p.Namespace == "argo").Select(p => p.Owner));
        Assert.Contains(secondLog.Warnings, w => w.Contains("cannot get replicasets.apps", StringComparison.Ordinal));
    }
}

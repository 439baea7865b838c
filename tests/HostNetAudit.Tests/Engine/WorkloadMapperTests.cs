using System.Text.Json;
using HostNetAudit.Engine.Workloads;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public class WorkloadMapperTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Reads_a_CronJob_template_under_jobTemplate_with_its_schedule_and_active_jobs()
    {
        var cron = Parse("""
            {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"probe","namespace":"ops","uid":"u1"},
             "spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"hostNetwork":true,"hostPID":true,
               "containers":[{"name":"c","image":"busybox","ports":[{"containerPort":9000}]}]}}}}},
             "status":{"active":[{"name":"probe-1"},{"name":"probe-2"}]}}
            """);
        Assert.True(WorkloadMapper.IsHostNetworkWorkload(cron, WorkloadKind.CronJob));
        Assert.False(WorkloadMapper.IsHostNetworkWorkload(cron, WorkloadKind.Deployment)); // spec.template is not where a CronJob keeps it
        var record = WorkloadMapper.Map(cron, WorkloadKind.CronJob, "ctx");
        Assert.Equal(("CronJob", "ops", "probe", "ctx"), (record.Kind, record.Namespace, record.Name, record.Context));
        Assert.Equal("*/5 * * * *", record.Schedule);
        Assert.Equal(2, record.CurrentReplicas);
        Assert.Null(record.Replicas);
        Assert.True(record.HostPID);
        Assert.Equal(9000, Assert.Single(record.HostPorts).Port);
        Assert.False(Assert.Single(record.HostPorts).Declared);
        Assert.Equal("*/5 * * * *", record.ReplicaSummary);
    }

    [Fact]
    public void A_ReplicaSet_a_Deployment_controls_and_a_Job_a_CronJob_controls_are_left_to_their_parent()
    {
        var owned = Parse("""
            {"kind":"ReplicaSet","metadata":{"name":"web-abc","ownerReferences":[{"kind":"Deployment","name":"web","controller":true}]},
             "spec":{"template":{"spec":{"hostNetwork":true}}}}
            """);
        var bare = Parse("""{"kind":"ReplicaSet","metadata":{"name":"web-abc"},"spec":{"template":{"spec":{"hostNetwork":true}}}}""");
        var rolloutOwned = Parse("""
            {"kind":"ReplicaSet","metadata":{"name":"web-abc","ownerReferences":[{"kind":"Rollout","name":"web","controller":true}]},
             "spec":{"template":{"spec":{"hostNetwork":true}}}}
            """);
        var cronJobOwned = Parse("""
            {"kind":"Job","metadata":{"name":"j","ownerReferences":[{"kind":"CronJob","name":"c","controller":true}]},"spec":{"template":{"spec":{"hostNetwork":true}}}}
            """);
        Assert.False(WorkloadMapper.IsHostNetworkWorkload(owned, WorkloadKind.ReplicaSet));
        Assert.True(WorkloadMapper.IsHostNetworkWorkload(bare, WorkloadKind.ReplicaSet));
        Assert.True(WorkloadMapper.IsHostNetworkWorkload(rolloutOwned, WorkloadKind.ReplicaSet)); // no listed parent reports it
        Assert.False(WorkloadMapper.IsHostNetworkWorkload(cronJobOwned, WorkloadKind.Job));
    }

    [Theory]
    [InlineData("""{"spec":{"template":{"spec":{"hostNetwork":false}}}}""")]
    [InlineData("""{"spec":{"template":{"spec":{"hostNetwork":"true"}}}}""")]
    [InlineData("""{"spec":{"template":{"spec":{"hostPID":true,"hostIPC":true}}}}""")]
    [InlineData("""{"spec":{"template":{}}}""")]
    [InlineData("""{"spec":{"hostNetwork":true}}""")]
    public void Only_a_template_with_hostNetwork_true_counts(string json) =>
        Assert.False(WorkloadMapper.IsHostNetworkWorkload(Parse(json), WorkloadKind.Deployment));

    [Fact]
    public void Counts_read_zero_when_the_apiserver_omits_them_and_null_when_a_manifest_has_no_status()
    {
        var live = Parse("""{"kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":0,"template":{"spec":{"hostNetwork":true}}},"status":{"observedGeneration":3}}""");
        var manifest = Parse("""{"kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"hostNetwork":true}}}}""");
        var daemonSet = Parse("""{"kind":"DaemonSet","metadata":{"name":"ds"},"spec":{"template":{"spec":{"hostNetwork":true}}},"status":{"desiredNumberScheduled":0,"numberMisscheduled":0}}""");
        var job = Parse("""{"kind":"Job","metadata":{"name":"j"},"spec":{"suspend":true,"parallelism":3,"template":{"spec":{"hostNetwork":true}}},"status":{}}""");

        var d = WorkloadMapper.Map(live, WorkloadKind.Deployment, "c");
        Assert.Equal((0, 0, 0), (d.Replicas, d.CurrentReplicas, d.ReadyReplicas));
        Assert.Equal("0/0", d.ReplicaSummary);
        Assert.Equal("default", d.Namespace);

        var m = WorkloadMapper.Map(manifest, WorkloadKind.Deployment, "c");
        Assert.Equal(1, m.Replicas); // spec.replicas defaults to 1
        Assert.Null(m.CurrentReplicas);
        Assert.Null(m.ReadyReplicas);
        Assert.Equal("1", m.ReplicaSummary);

        var ds = WorkloadMapper.Map(daemonSet, WorkloadKind.DaemonSet, "c");
        Assert.Equal((0, 0, 0), (ds.Replicas, ds.CurrentReplicas, ds.ReadyReplicas));

        var j = WorkloadMapper.Map(job, WorkloadKind.Job, "c");
        Assert.True(j.Suspended);
        Assert.Equal(3, j.Replicas);
        Assert.Equal(0, j.CurrentReplicas);
        Assert.Null(j.ReadyReplicas); // status.ready is absent before Kubernetes 1.24
        Assert.Equal("suspended", j.ReplicaSummary);
    }

    [Fact]
    public void Knows_offline_kinds_by_their_API_group_including_the_retired_ones()
    {
        Assert.Equal(WorkloadKind.DaemonSet, WorkloadResource.ForObject("DaemonSet", "extensions")!.Kind);
        Assert.Equal(WorkloadKind.CronJob, WorkloadResource.ForObject("CronJob", "batch")!.Kind);
        Assert.Equal(WorkloadKind.ReplicationController, WorkloadResource.ForObject("ReplicationController", string.Empty)!.Kind);
        Assert.Null(WorkloadResource.ForObject("Deployment", "example.com"));
        Assert.Null(WorkloadResource.ForObject("Pod", string.Empty));
        Assert.Equal("/apis/batch/v1/namespaces/a%20b/cronjobs", WorkloadResource.Of(WorkloadKind.CronJob).ListPath("batch/v1", "a b"));
        Assert.Equal("/api/v1/replicationcontrollers", WorkloadResource.Of(WorkloadKind.ReplicationController).ListPath("v1", null));
    }
}

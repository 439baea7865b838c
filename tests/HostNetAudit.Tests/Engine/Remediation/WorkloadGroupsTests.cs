using HostNetAudit.Engine.PodSecurity;
using HostNetAudit.Engine.Remediation;
using Xunit;

namespace HostNetAudit.Tests.Engine.Remediation;

public sealed class WorkloadGroupsTests
{
    private static PodSecurityViolation Pod(string name, string? owner, params string[] reasons) =>
        new() { Kind = "Pod", Namespace = "ns", Name = name, Owner = owner, Level = "baseline:latest", Reasons = reasons };

    [Fact]
    public void Three_hundred_violating_pods_read_as_one_short_line_per_workload()
    {
        var items = new List<PodSecurityViolation>();
        for (var i = 0; i < 6; i++)
        {
            items.Add(Pod($"fluent-bit-{i:x5}", "DaemonSet/fluent-bit", "hostPath volumes (volume \"varlog\")"));
        }

        for (var i = 0; i < 290; i++)
        {
            items.Add(Pod($"web-7d9f8b6c4-{i:x5}", "Deployment/web", "host namespaces (hostNetwork=true)", "hostPort (container \"web\" uses hostPort 80)"));
        }

        items.Add(Pod("debug", null, "privileged (container \"sh\" must not set securityContext.privileged=true)"));
        for (var i = 0; i < 3; i++)
        {
            items.Add(Pod($"db-{i}", "StatefulSet/db", "non-default capabilities (container \"db\" must not include \"NET_ADMIN\" in securityContext.capabilities.add)"));
        }

        items.Add(new PodSecurityViolation { Kind = "CronJob", Namespace = "ns", Name = "backup", Level = "baseline:latest", State = "0 0 * * *", Reasons = new[] { "host namespaces (hostNetwork=true)" } });
        items.Add(new PodSecurityViolation { Kind = "Deployment", Namespace = "ns", Name = "web", Level = "baseline:latest", Reasons = new[] { "host namespaces (hostNetwork=true)" } });
        Assert.Equal(300, items.Count(i => i.Kind == "Pod"));

        var block = RemediationRules.Grouped(items);
        var lines = block.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();

        Assert.Equal(
            new[]
            {
                "Deployment/web (290 pods): host namespaces (hostNetwork=true); hostPort (container \"web\" uses hostPort 80)",
                "DaemonSet/fluent-bit (6 pods): hostPath volumes (volume \"varlog\")",
                "StatefulSet/db (3 pods): non-default capabilities (container \"db\" must not include \"NET_ADMIN\" in securityContext.capabilities.add)",
                "Pod/debug: privileged (container \"sh\" must not set securityContext.privileged=true)",
                "CronJob/backup (template): host namespaces (hostNetwork=true)",
            },
            lines);
        Assert.All(lines, l => Assert.True(l.Length < 160, l));
        Assert.Equal("5 workloads", RemediationRules.Workloads(items));
    }

    [Fact]
    public void Beyond_the_line_limit_the_rest_is_counted_not_listed()
    {
        var items = Enumerable.Range(0, WorkloadGroups.MaxLines + 5)
            .SelectMany(w => Enumerable.Range(0, 2).Select(p => new RefusedItem("Pod", $"w{w}-{p}", $"DaemonSet/w{w}", new[] { "host namespaces (hostNetwork=true)" })))
            .ToList();
        var lines = WorkloadGroups.Lines(WorkloadGroups.Group(items));
        Assert.Equal(WorkloadGroups.MaxLines + 1, lines.Count);
        Assert.Equal("... and 5 more workloads (10 pods); the record lists every one", lines[^1]);
        Assert.Equal("DaemonSet/w0 (2 pods): host namespaces (hostNetwork=true)", lines[0]);
    }
}

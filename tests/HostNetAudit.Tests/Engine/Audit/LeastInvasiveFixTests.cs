using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Engine.Audit;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Reports;
using HostNetAudit.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace HostNetAudit.Tests.Engine.Audit;

/// <summary>
/// Issue 10, point 11: each failing namespace's Fix is the least invasive one that works now (a Pod Security label
/// where Set-NamespacePodSecurity applies it without -Force, else the targeted policy), and never a command that
/// would be refused: every recommended label is applied here, without -Force, against the simulated cluster.
/// </summary>
public sealed class LeastInvasiveFixTests
{
    private readonly ITestOutputHelper output;

    public LeastInvasiveFixTests(ITestOutputHelper output) => this.output = output;

    public static TheoryData<string, string, string> Scenarios => new()
    {
        // scenario, namespaces whose fix is the label, namespaces whose fix is the targeted policy (among others)
        { "demo", "default,kube-node-lease,kube-public", "ingress-nginx,kube-system,monitoring,ops,team-b" },
        { TargetedScenario.Name, "app-01,app-24,default,kube-node-lease,kube-public", "ingress-nginx,kube-system,lab,legacy,logging,metallb-system,monitoring,ops,rook-ceph,streaming,team-b" },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Every_recommended_label_applies_without_Force_and_the_rest_get_the_targeted_policy(string scenario, string labels, string policies)
    {
        await using var host = await SimHost.StartAsync(ScenarioCatalog.Create(scenario));
        var log = new RecordingLog();
        using var session = new ClusterSession(host.Api(log), log);
        var report = await session.AuditAsync(new NamespacePolicyQuery { ExemptionPaths = new[] { SimulatedAudits.ExampleExemptions } }, CancellationToken.None);
        var failing = report.Namespaces.Where(n => n.Status == "NonCompliant").ToList();
        var sent = host.Cluster.Requests.All.ToList();
        foreach (var n in failing)
        {
            output.WriteLine($"{n.Namespace}: {n.Fix}: {n.Remediation}");
        }

        Assert.NotEmpty(failing);
        Assert.All(failing, n => Assert.NotNull(n.Fix));
        Assert.All(report.Namespaces.Where(n => n.Status != "NonCompliant"), n => Assert.Null(n.Fix));
        var labelled = failing.Where(n => n.Fix == "PodSecurityLabel").ToList();
        var targeted = failing.Where(n => n.Fix == "TargetedPolicy").ToList();
        Assert.Equal(failing.Count, labelled.Count + targeted.Count);
        Assert.All(labels.Split(','), name => Assert.Contains(name, labelled.Select(n => n.Namespace)));
        Assert.Equal(policies.Split(','), targeted.Select(n => n.Namespace).OrderBy(n => n, StringComparer.Ordinal));
        if (scenario == TargetedScenario.Name)
        {
            // No hostNetwork there, but a label would refuse the log shipper's hostPath volumes: the policy, and why.
            Assert.Contains("not a Pod Security label: a Pod Security label would refuse 8 pods and 1 template of 1 workload that violate baseline:latest (first: DaemonSet/fluent-bit (8 pods): hostPath volumes", targeted.Single(n => n.Namespace == "logging").Remediation, StringComparison.Ordinal);
            Assert.Equal(27, labelled.Count);
        }
        else
        {
            Assert.Equal(3, labelled.Count);
        }

        // What it cost: read-only lists only; per namespace only for the candidates (no hostNetwork there), 8 kinds
        // each, or one cluster-wide list per kind for more than 16 candidates.
        Assert.DoesNotContain(sent, r => r.IsWrite || r.DryRun);
        var candidates = labelled.Select(n => n.Namespace).Append("logging").ToHashSet(StringComparer.Ordinal);
        var perNamespace = sent.Where(r => r.Verb == "list" && r.Namespace is not null).ToList();
        Assert.All(perNamespace, r => Assert.Contains(r.Namespace!, candidates));
        Assert.Equal(scenario == "demo" ? 24 : 0, perNamespace.Count);
        output.WriteLine($"{scenario}: {sent.Count} requests, {perNamespace.Count} per-namespace lists, pod lists {sent.Count(r => r.Verb == "list" && r.Resource == "pods")}");
        Assert.Contains($"Fix: a Pod Security label for {labelled.Count} failing namespace(s) (nothing running or templated there violates baseline), the targeted hostNetwork policy for {targeted.Count}.", report.Notes);
        Assert.All(labelled, n => Assert.Equal($"Set-NamespacePodSecurity -Context '{report.Context}' -Namespace {n.Namespace} -Level Baseline -WhatIf", n.Remediation));
        Assert.All(targeted, n => Assert.Contains("Set-HostNetworkPolicy -Context", n.Remediation, StringComparison.Ordinal));

        // The recommended labels, run as recommended (no -Force): previewed, then applied, none refused.
        var requests = labelled.Select(n => FixAdvisor.LabelRequest(n.Namespace)).ToList();
        var plans = await session.PodSecurity.PlanAsync(requests, 4, CancellationToken.None);
        Assert.All(plans, p => Assert.True(p.Decision == PodSecurityDecision.Apply, $"{p.Request.Namespace}: {p.Decision} {p.Error?.Message}"));
        Assert.All(plans, p => Assert.Empty(p.Record.WouldBreak));
        var outcomes = await session.PodSecurity.ApplyAsync(plans, 4, CancellationToken.None);
        Assert.All(outcomes, o => Assert.Equal("Applied", o.Record.Action));
        var ns = host.Cluster.Store.Definitions.First(d => d.Kind == "Namespace");
        Assert.All(labelled, n => Assert.Equal("baseline", host.Cluster.Store.Get(ns, null, n.Namespace)!.Node["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]!.GetValue<string>()));

        // Every other failing namespace: the label would have been refused (or does not apply) without -Force.
        var others = await session.PodSecurity.PlanAsync(targeted.Select(n => FixAdvisor.LabelRequest(n.Namespace)).ToList(), 4, CancellationToken.None);
        Assert.All(others, p => Assert.True(p.Decision != PodSecurityDecision.Apply, $"{p.Request.Namespace} would have taken the label: {p.Record.Reason}"));

        // After the labels, those namespaces pass.
        var after = await session.AuditAsync(new NamespacePolicyQuery { ExemptionPaths = new[] { SimulatedAudits.ExampleExemptions } }, CancellationToken.None);
        Assert.All(labelled, n => Assert.Equal("Compliant", after.Namespaces.Single(a => a.Namespace == n.Namespace).Status));
        output.WriteLine($"{scenario}: {failing.Count} failing, {labelled.Count} label, {targeted.Count} targeted policy");
    }

    [Fact]
    public async Task An_inventory_that_cannot_be_read_falls_back_to_the_targeted_policy_and_says_why()
    {
        var inputs = new HostNetAudit.Engine.Policy.PolicyInputs { Live = true, Context = "c" };
        inputs.HostNetworkPods = new();
        var results = new[] { "team-a", "team-b", "team-c" }.Select(name =>
        {
            var info = new HostNetAudit.Engine.Policy.NamespaceInfo(name, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = name }, default, null);
            return new HostNetAudit.Engine.Policy.NamespaceFindings(info, "c") { Status = HostNetAudit.Engine.Policy.NamespaceStatus.NonCompliant };
        }).ToList();
        var forbidden = new HostNetAudit.Engine.Api.KubeApiException("Forbidden", FailureCategory.PermissionDenied, "pods", "listing pods in team-b is forbidden", System.Net.HttpStatusCode.Forbidden, "Forbidden", null);

        var fixes = await FixAdvisor.DecideAsync(inputs, null, results, Array.Empty<HostNetworkWorkload>(), (targets, _) =>
        {
            var found = targets.Keys.ToDictionary(k => k, _ => new HostNetAudit.Engine.PodSecurity.NamespaceViolations(), StringComparer.Ordinal);
            found["team-b"].Errors.Add(forbidden);
            return Task.FromResult(found);
        }, NullEngineLog.Instance, CancellationToken.None);

        Assert.True(fixes["team-a"].Applies);
        Assert.False(fixes["team-b"].Applies);
        Assert.Equal("what baseline would refuse here could not be listed (listing pods in team-b is forbidden)", fixes["team-b"].WhyNot);

        // A failure of the whole inventory: no label anywhere, with a warning.
        var log = new RecordingLog();
        fixes = await FixAdvisor.DecideAsync(inputs, null, results, Array.Empty<HostNetworkWorkload>(), (_, _) => throw forbidden, log, CancellationToken.None);
        Assert.All(fixes.Values, f => Assert.False(f.Applies));
        Assert.Single(log.Warnings);

        // Pods that could not be listed: no label either (a label might refuse hostNetwork pods nobody saw).
        inputs.HostNetworkPods = null;
        fixes = await FixAdvisor.DecideAsync(inputs, null, results, Array.Empty<HostNetworkWorkload>(), (_, _) => throw new InvalidOperationException("not asked"), log, CancellationToken.None);
        Assert.All(fixes.Values, f => Assert.StartsWith("the hostNetwork pods could not be listed", f.WhyNot, StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_label_is_recommended_where_Pod_Security_Admission_would_not_enforce_it()
    {
        var results = new[] { "team-a" }.Select(name =>
        {
            var info = new HostNetAudit.Engine.Policy.NamespaceInfo(name, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = name }, default, null);
            return new HostNetAudit.Engine.Policy.NamespaceFindings(info, "c") { Status = HostNetAudit.Engine.Policy.NamespaceStatus.NonCompliant };
        }).ToList();
        Task<Dictionary<string, HostNetAudit.Engine.PodSecurity.NamespaceViolations>> Clean(IReadOnlyDictionary<string, HostNetAudit.Engine.PodSecurity.EnforceTarget> targets, CancellationToken token) =>
            Task.FromResult(targets.Keys.ToDictionary(k => k, _ => new HostNetAudit.Engine.PodSecurity.NamespaceViolations(), StringComparer.Ordinal));

        // A server before the PodSecurity admission plugin (1.21, no pod-security webhook): the label is not enforced.
        var old = new HostNetAudit.Engine.Policy.PolicyInputs { Live = true, Context = "c", ServerVersion = "v1.21.14", ServerMinor = 21 };
        old.HostNetworkPods = new();
        var fix = (await FixAdvisor.DecideAsync(old, null, results, Array.Empty<HostNetworkWorkload>(), Clean, NullEngineLog.Instance, CancellationToken.None))["team-a"];
        Assert.False(fix.Applies);
        Assert.True(fix.WhyNot!.Contains("predates the PodSecurity admission plugin", StringComparison.Ordinal), fix.WhyNot);

        // An admission configuration that exempts the ReplicaSet controller: PSA checks none of its pods.
        var path = Path.Combine(Path.GetTempPath(), "hostnetaudit-fix-psa-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    exemptions:\n      usernames: [\"system:serviceaccount:kube-system:replicaset-controller\"]\n");
        try
        {
            var current = new HostNetAudit.Engine.Policy.PolicyInputs { Live = true, Context = "c", ServerVersion = "v1.31.4", ServerMinor = 31 };
            current.HostNetworkPods = new();
            var psa = HostNetAudit.Engine.Policy.Psa.PodSecurityConfiguration.Load(path);
            fix = (await FixAdvisor.DecideAsync(current, psa, results, Array.Empty<HostNetworkWorkload>(), Clean, NullEngineLog.Instance, CancellationToken.None))["team-a"];
            Assert.False(fix.Applies);
            Assert.True(fix.WhyNot!.Contains("exemptions.usernames", StringComparison.Ordinal), fix.WhyNot);

            // Without the exemption the same namespace takes the label.
            fix = (await FixAdvisor.DecideAsync(current, null, results, Array.Empty<HostNetworkWorkload>(), Clean, NullEngineLog.Instance, CancellationToken.None))["team-a"];
            Assert.True(fix.Applies, fix.WhyNot);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_audit_record_names_the_label_or_the_policy_and_why()
    {
        var result = new NamespacePolicyResult { Context = "c", Namespace = "team-a", Status = "NonCompliant" };
        var label = AuditReportBuilder.Flatten(result, live: false, identities: null, label: new LabelFix(true, "enforce,warn,audit=baseline", null, new Dictionary<string, string> { ["pod-security.kubernetes.io/enforce"] = "baseline" }));
        Assert.Equal("PodSecurityLabel", label.Fix);
        Assert.Equal("Label namespace team-a in its manifest: pod-security.kubernetes.io/enforce: baseline", label.Remediation);

        var policy = AuditReportBuilder.Flatten(result, live: true, identities: null, label: LabelFix.No("why"));
        Assert.Equal("TargetedPolicy", policy.Fix);
        Assert.Equal("Set-HostNetworkPolicy -Context 'c' -ExemptionPath <exemptions file> -WhatIf (not a Pod Security label: why)", policy.Remediation);
    }

    [Fact]
    public async Task Offline_the_evidence_decides_label_or_policy()
    {
        var folder = Directory.CreateTempSubdirectory("hna-fix-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "cluster.yaml"), """
                apiVersion: v1
                kind: Namespace
                metadata: {name: team-a}
                ---
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: team-b
                  labels: {pod-security.kubernetes.io/warn: restricted}
                ---
                apiVersion: v1
                kind: Namespace
                metadata: {name: team-c}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web-1, namespace: team-a}
                spec:
                  containers: [{name: web, image: nginx}]
                status: {phase: Running}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: api-1, namespace: team-b}
                spec:
                  containers: [{name: api, image: api}]
                status: {phase: Running}
                ---
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: log-shipper, namespace: team-c}
                spec:
                  selector: {matchLabels: {app: log}}
                  template:
                    metadata: {labels: {app: log}}
                    spec:
                      containers: [{name: ship, image: fluent-bit}]
                      volumes: [{name: logs, hostPath: {path: /var/log}}]
                """);
            var log = new RecordingLog();
            using var set = new HostNetAudit.Engine.Offline.EvidenceSet(HostNetAudit.Engine.Offline.EvidenceReader.Read(new[] { folder.FullName }, log, CancellationToken.None), log);
            var report = await set.AuditAsync(new NamespacePolicyQuery(), CancellationToken.None);
            var byName = report.Namespaces.ToDictionary(n => n.Namespace);

            Assert.Equal("PodSecurityLabel", byName["team-a"].Fix);
            Assert.Equal("Label namespace team-a in its manifest: pod-security.kubernetes.io/audit: baseline, pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/warn: baseline", byName["team-a"].Remediation);
            // The stricter warn label is kept, as Set-NamespacePodSecurity keeps it without -Force.
            Assert.Equal("Label namespace team-b in its manifest: pod-security.kubernetes.io/audit: baseline, pod-security.kubernetes.io/enforce: baseline", byName["team-b"].Remediation);
            Assert.Equal("TargetedPolicy", byName["team-c"].Fix);
            Assert.StartsWith("New-HostNetworkPolicyManifest -Path hostnetwork-policy.yaml -ExemptionPath <exemptions file>, then apply the manifest (not a Pod Security label: a Pod Security label would refuse 1 template of 1 workload that violates baseline:latest (first: DaemonSet/log-shipper (template): hostPath volumes", byName["team-c"].Remediation, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(false, "pods")]
    [InlineData(true, "workloads")]
    public async Task Offline_evidence_without_pods_or_workloads_never_gets_a_label(bool withPod, string missing)
    {
        var folder = Directory.CreateTempSubdirectory("hna-fix-");
        try
        {
            var text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team-b}\n";
            if (withPod)
            {
                text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: team-a}\nspec:\n  containers: [{name: web, image: nginx}]\nstatus: {phase: Running}\n";
            }

            File.WriteAllText(Path.Combine(folder.FullName, "cluster.yaml"), text);
            var log = new RecordingLog();
            using var set = new HostNetAudit.Engine.Offline.EvidenceSet(HostNetAudit.Engine.Offline.EvidenceReader.Read(new[] { folder.FullName }, log, CancellationToken.None), log);
            var report = await set.AuditAsync(new NamespacePolicyQuery(), CancellationToken.None);
            Assert.All(report.Namespaces.Where(n => n.Status == "NonCompliant"), n =>
            {
                Assert.Equal("TargetedPolicy", n.Fix);
                Assert.Contains($"the evidence holds no {missing}", n.Remediation, StringComparison.Ordinal);
            });
            Assert.Equal(2, report.Namespaces.Count(n => n.Status == "NonCompliant"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

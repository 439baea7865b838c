using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>
/// Issue 10, "Must show", Offline: the targeted policy written for each engine (New-HostNetworkPolicyManifest -Engine),
/// audited offline against the cluster it was generated from, gives the ValidatingAdmissionPolicy manifest's verdicts
/// (Compliant with the exceptions listed, or Exempt) where the evidence holds that engine's wiring, and names the
/// difference where it does not. The cluster holds no Kyverno or Gatekeeper objects, so each engine's defaults are
/// assumed, as the evaluators model them.
/// </summary>
public sealed class EngineManifestAuditTests
{
    private readonly ITestOutputHelper output;

    public EngineManifestAuditTests(ITestOutputHelper output) => this.output = output;

    public static TheoryData<string> Scenarios => new() { "demo", "targeted" };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Each_engine_manifest_gives_the_verdicts_of_the_ValidatingAdmissionPolicy_manifest(string scenario)
    {
        var audit = await OfflineAudit.StartAsync(scenario);
        var vap = audit.Verdicts(audit.Plan.Policy, audit.Plan.Binding);
        var kyverno = audit.Verdicts(TargetedPolicyEngines.Kyverno(audit.Plan));
        var (template, constraint) = TargetedPolicyEngines.Gatekeeper(audit.Plan);
        var gatekeeper = audit.Verdicts(template, constraint);
        foreach (var (engine, results) in new[] { ("ValidatingAdmissionPolicy", vap), ("Kyverno", kyverno), ("Gatekeeper", gatekeeper) })
        {
            output.WriteLine($"{scenario} {engine}: {string.Join(", ", results.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}={g.Count()}"))}");
        }

        var leftOut = audit.Plan.LeftOut.Select(l => l.Namespace).ToHashSet(StringComparer.Ordinal);
        Assert.All(vap.Where(r => !leftOut.Contains(r.Namespace)), r => Assert.True(r.Status is "Compliant" or "Exempt", $"{r.Namespace}: {r.Status}: {r.Reason}"));
        Assert.Contains(vap, r => r.PolicyExceptions.Length > 0 && r.Namespace != "kube-system");

        // The evidence holds no kyverno ConfigMap: the chart's default resourceFilters are assumed, and named.
        string[] filtered = { "kube-node-lease", "kube-public", "kube-system" };
        foreach (var (expected, actual) in vap.Zip(kyverno))
        {
            Assert.Equal(expected.Namespace, actual.Namespace);
            if (filtered.Contains(actual.Namespace))
            {
                Assert.Equal("NonCompliant", actual.Status);
                Assert.Contains($"resourceFilters entry [*/*,{actual.Namespace},*] in the Kyverno chart's default ConfigMap", actual.Reason, StringComparison.Ordinal);
                continue;
            }

            Assert.True(expected.Status == actual.Status, $"Kyverno, {actual.Namespace}: {actual.Status} ({actual.Reason}), the ValidatingAdmissionPolicy gives {expected.Status}");
            Assert.Equal(expected.PolicyExceptions, actual.PolicyExceptions);
        }

        // No Gatekeeper webhook in the evidence: its default is assumed, which fails open, and the Compliant reason says so.
        foreach (var (expected, actual) in vap.Zip(gatekeeper))
        {
            Assert.Equal(expected.Namespace, actual.Namespace);
            Assert.True(expected.Status == actual.Status, $"Gatekeeper, {actual.Namespace}: {actual.Status} ({actual.Reason}), the ValidatingAdmissionPolicy gives {expected.Status}");
            Assert.Equal(expected.PolicyExceptions, actual.PolicyExceptions);
            if (actual.Status == "Compliant" && actual.EnforcedBy.All(f => f.Engine == "Gatekeeper"))
            {
                Assert.Contains("fails open", actual.Reason, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>
    /// Where the evidence holds the engine's wiring, the verdicts follow it: a kyverno ConfigMap whose filters keep no
    /// namespace gives the ValidatingAdmissionPolicy's verdicts in kube-system too; a Gatekeeper webhook that fails
    /// closed drops the fails-open note; a Gatekeeper Config that exempts a namespace names itself there.
    /// </summary>
    [Fact]
    public async Task With_the_engines_wiring_in_the_evidence_the_verdicts_follow_it()
    {
        var audit = await OfflineAudit.StartAsync("demo");
        var vap = audit.Verdicts(audit.Plan.Policy, audit.Plan.Binding);
        var kyvernoConfig = JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno"},"data":{"resourceFilters":"[Event,*,*]","excludeGroups":""}}""")!.AsObject();
        var kyverno = audit.Verdicts(TargetedPolicyEngines.Kyverno(audit.Plan), kyvernoConfig);
        foreach (var (expected, actual) in vap.Zip(kyverno))
        {
            Assert.True(expected.Status == actual.Status, $"Kyverno, {actual.Namespace}: {actual.Status} ({actual.Reason}), the ValidatingAdmissionPolicy gives {expected.Status}");
            Assert.Equal(expected.PolicyExceptions, actual.PolicyExceptions);
        }

        Assert.NotEmpty(kyverno.Single(r => r.Namespace == "kube-system").PolicyExceptions);

        var (template, constraint) = TargetedPolicyEngines.Gatekeeper(audit.Plan);
        var webhook = JsonNode.Parse("""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"gatekeeper-validating-webhook-configuration"},"webhooks":[{"name":"validation.gatekeeper.sh","failurePolicy":"Fail","clientConfig":{"service":{"name":"gatekeeper-webhook-service","namespace":"gatekeeper-system"}},"namespaceSelector":{"matchExpressions":[{"key":"admission.gatekeeper.sh/ignore","operator":"DoesNotExist"}]},"rules":[{"apiGroups":["*"],"apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["*"]}]}]}""")!.AsObject();
        var config = JsonNode.Parse("""{"apiVersion":"config.gatekeeper.sh/v1alpha1","kind":"Config","metadata":{"name":"config","namespace":"gatekeeper-system"},"spec":{"match":[{"excludedNamespaces":["kube-system"],"processes":["*"]}]}}""")!.AsObject();
        var gatekeeper = audit.Verdicts(template, constraint, webhook, config);
        foreach (var (expected, actual) in vap.Zip(gatekeeper))
        {
            if (actual.Namespace == "kube-system")
            {
                Assert.Equal("NonCompliant", actual.Status);
                Assert.Contains("Gatekeeper Config gatekeeper-system/config excludes kube-system", actual.Reason, StringComparison.Ordinal);
                continue;
            }

            Assert.True(expected.Status == actual.Status, $"Gatekeeper, {actual.Namespace}: {actual.Status} ({actual.Reason}), the ValidatingAdmissionPolicy gives {expected.Status}");
            Assert.Equal(expected.PolicyExceptions, actual.PolicyExceptions);
            Assert.DoesNotContain("fails open", actual.Reason, StringComparison.Ordinal);
        }
    }

    /// <summary>A scenario's objects as an export, its exemptions and the plan generated from them.</summary>
    private sealed class OfflineAudit
    {
        public required List<JsonElement> Cluster { get; init; }

        public required ExemptionSet Exemptions { get; init; }

        public required TargetedPolicyPlan Plan { get; init; }

        public static async Task<OfflineAudit> StartAsync(string scenario)
        {
            var (cluster, legitimate) = scenario == "demo"
                ? (ScenarioCatalog.Demo(), ScenarioCatalog.DemoLegitimate)
                : (TargetedScenario.Create(), TargetedScenario.Legitimate);
            await using var harness = await TargetedPolicyHarness.StartAsync(cluster, legitimate, apply: false);
            using var http = harness.Host.Http();
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", harness.Host.Cluster.Options.AdminToken);
            var export = JsonNode.Parse(await http.GetStringAsync("/_sim/objects"))!.AsArray();
            return new OfflineAudit
            {
                Cluster = export.Select(o => JsonSerializer.SerializeToElement(o)).ToList(),
                Exemptions = ExemptionSet.Load(new[] { harness.ExemptionPath }, new RecordingLog(), DateTimeOffset.UtcNow),
                Plan = harness.Plan,
            };
        }

        public List<HostNetAudit.NamespacePolicyResult> Verdicts(params JsonObject[] manifest) =>
            PolicyHarness.Evaluate(Cluster.Concat(manifest.Select(o => JsonSerializer.SerializeToElement(o))), exemptions: Exemptions)
                .OrderBy(r => r.Namespace, StringComparer.Ordinal).ToList();
    }
}

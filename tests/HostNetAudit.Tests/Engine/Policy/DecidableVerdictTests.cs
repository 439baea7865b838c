using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using static HostNetAudit.Tests.Engine.Policies.PolicyHarness;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>
/// Issue 12: verdicts to the last decidable case. Each test pins a shape real policies have (read from the corpus
/// where it holds one, else written in the same shape) and the verdict the engine itself would give it.
/// </summary>
public sealed class DecidableVerdictTests
{
    private const string HostNetworkTemplate = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__template.yaml";
    private const string BlockHostNetwork = "open-policy-agent_gatekeeper-library__library__pod-security-policy__host-network-ports__samples__block_host_network__constraint.yaml";

    /// <summary>A namespace without PSA enforcement, where only the policy under test can refuse.</summary>
    private static readonly JsonElement Team = Namespace("team-a", ("pod-security.kubernetes.io/enforce", "privileged"));

    // ---- 0. False compliance: a constraint whose template is missing, or does not compile ----

    [CorpusFact]
    public void A_library_constraint_without_its_ConstraintTemplate_is_Unknown_and_names_the_template()
    {
        var constraint = Corpus.Read(BlockHostNetwork).Single().Object;
        var result = One(new[] { Team, constraint });
        Assert.Equal("Unknown", result.Status);
        Assert.Empty(result.EnforcedBy);
        var finding = Assert.Single(result.Unknown);
        Assert.Equal(("Gatekeeper", "K8sPSPHostNetworkingPorts", "psp-host-network"), (finding.Engine, finding.Kind, finding.Policy));
        Assert.Contains("ConstraintTemplate k8spsphostnetworkingports is not in the evidence", finding.Detail, StringComparison.Ordinal);
        Assert.Contains("k8spsphostnetworkingports", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Azure_Policy_constraint_without_its_ConstraintTemplate_is_Unknown()
    {
        var constraint = Json("""{"apiVersion":"constraints.gatekeeper.sh/v1beta1","kind":"K8sAzureV2HostNetworkingPorts","metadata":{"name":"azurepolicy-k8sazurev2hostnetworkingports-3f1c"},"spec":{"enforcementAction":"deny","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"excludedNamespaces":["kube-system","gatekeeper-system","azure-arc"]},"parameters":{"allowHostNetwork":false,"minPort":0,"maxPort":0}}}""");
        var result = One(new[] { Team, constraint });
        Assert.Equal("Unknown", result.Status);
        Assert.Contains("ConstraintTemplate k8sazurev2hostnetworkingports is not in the evidence", Assert.Single(result.Unknown).Detail, StringComparison.Ordinal);
    }

    [CorpusFact]
    public void A_template_whose_status_shows_it_does_not_compile_on_every_webhook_pod_enforces_nothing()
    {
        var template = Corpus.Read(HostNetworkTemplate).Single().Object;
        var constraint = Corpus.Read(BlockHostNetwork).Single().Object;
        var failed = With(template, t => t["status"] = JsonNode.Parse("""
            {"created":true,"byPod":[
              {"id":"gatekeeper-audit-6d9f7b7c5d-x2x7q","observedGeneration":1,"operations":["audit","status"],"templateUID":"5c1b","errors":[{"code":"ingest_error","message":"Could not ingest Rego: 1 error occurred: __modsrc__/template0.rego:12: rego_parse_error: unexpected } token"}]},
              {"id":"gatekeeper-controller-manager-7c8b9f6d4-abcde","observedGeneration":1,"operations":["mutation-webhook","webhook"],"templateUID":"5c1b","errors":[{"code":"ingest_error","message":"Could not ingest Rego: 1 error occurred: __modsrc__/template0.rego:12: rego_parse_error: unexpected } token"}]}]}
            """));
        var result = One(new[] { Team, failed, constraint });
        Assert.Equal("NonCompliant", result.Status);
        Assert.Empty(result.EnforcedBy);
        var skipped = Assert.Single(result.Informational, f => f.Verdict == "NotApplied");
        Assert.Contains("does not compile", skipped.Detail, StringComparison.Ordinal);
        Assert.Contains("rego_parse_error", result.Reason, StringComparison.Ordinal);

        // Errors on one webhook pod of two: that pod enforces nothing, the other may: Unknown.
        var partial = With(template, t => t["status"] = JsonNode.Parse("""
            {"created":true,"byPod":[
              {"id":"gatekeeper-controller-manager-7c8b9f6d4-abcde","operations":["webhook"],"errors":[{"code":"ingest_error","message":"rego_parse_error"}]},
              {"id":"gatekeeper-controller-manager-7c8b9f6d4-fghij","operations":["webhook"]}]}
            """));
        Assert.Equal("Unknown", One(new[] { Team, partial, constraint }).Status);

        // Without errors the template counts as before.
        Assert.Equal("Compliant", One(new[] { Team, template, constraint }).Status);
    }
}

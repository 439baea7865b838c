using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>Evaluates evidence built in memory with the same code path as -Path.</summary>
internal static class PolicyHarness
{
    /// <summary>What the evaluators read from the objects: the policy side and the hostNetwork pods, as -Path reads them.</summary>
    public static PolicyInputs Inputs(IEnumerable<EvidenceObject> objects, RecordingLog log) =>
        new EvidenceSet(objects.ToList(), log).ReadPolicyInputsAsync(new NamespacePolicyQuery(), CancellationToken.None).GetAwaiter().GetResult();

    public static List<NamespacePolicyResult> Evaluate(IEnumerable<JsonElement> objects, PodSecurityConfiguration? psa = null, ExemptionSet? exemptions = null, RecordingLog? log = null) =>
        Evaluate(TestObjects.Evidence(objects), psa, exemptions, log);

    public static List<NamespacePolicyResult> Evaluate(IEnumerable<EvidenceObject> objects, PodSecurityConfiguration? psa = null, ExemptionSet? exemptions = null, RecordingLog? log = null)
    {
        log ??= new RecordingLog();
        var evaluator = new NamespacePolicyEvaluator(Inputs(objects, log), psa, exemptions ?? ExemptionSet.Empty, log);
        return evaluator.Evaluate(null, CancellationToken.None);
    }

    public static NamespacePolicyResult One(IEnumerable<JsonElement> objects, PodSecurityConfiguration? psa = null) => Assert.Single(Evaluate(objects, psa));

    public static NamespacePolicyResult One(IEnumerable<EvidenceObject> objects, PodSecurityConfiguration? psa = null) => Assert.Single(Evaluate(objects, psa));
}

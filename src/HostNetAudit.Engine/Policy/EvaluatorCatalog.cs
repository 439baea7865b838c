using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine.Policy;

/// <summary>The engine evaluators, in the order their findings are listed.</summary>
internal static class EvaluatorCatalog
{
    public static IReadOnlyList<IEngineEvaluator> Create(PolicyInputs inputs, PodSecurityConfiguration? psa, Exemptions.ExemptionSet exemptions, IEngineLog log) =>
        new IEngineEvaluator[]
        {
            new PodSecurityEvaluator(inputs, psa),
            new Kyverno.KyvernoEvaluator(inputs, exemptions, log),
            new Gatekeeper.GatekeeperEvaluator(inputs, exemptions, log),
            new Vap.ValidatingAdmissionPolicyEvaluator(inputs, exemptions, log),
            new InformationalEvaluator(inputs),
        };
}

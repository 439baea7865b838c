using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine.Policy;

/// <summary>The engine evaluators, in the order their findings are listed.</summary>
internal static class EvaluatorCatalog
{
    public static IReadOnlyList<IEngineEvaluator> Create(PolicyInputs inputs, PodSecurityConfiguration? psa, ICelJudge cel, IEngineLog log) =>
        new IEngineEvaluator[]
        {
            new PodSecurityEvaluator(inputs, psa),
            new Kyverno.KyvernoEvaluator(inputs, cel, log),
            new Gatekeeper.GatekeeperEvaluator(inputs, cel, log),
            new Vap.ValidatingAdmissionPolicyEvaluator(inputs, cel, log),
            new InformationalEvaluator(inputs),
        };
}

using HostNetAudit.Abstractions;

namespace HostNetAudit.Engine.Policy.Targeted;

/// <summary>The generator's plan as the engine hands it across the boundary (Abstractions/HostNetworkPolicyPlan.cs).</summary>
internal static class TargetedPolicyService
{
    public static HostNetworkPolicyPlan ToBoundary(TargetedPolicyPlan plan, string context, string? manifest) => new()
    {
        Context = context,
        PolicyName = TargetedPolicyObjects.PolicyName,
        BindingName = TargetedPolicyObjects.BindingName,
        PolicyJson = plan.Policy.ToJsonString(),
        BindingJson = plan.Binding.ToJsonString(),
        ProtectedNamespaces = plan.ProtectedNamespaces,
        LeftOut = plan.LeftOut.Select(l => new Abstractions.HostNetworkPolicyLeftOut(l.Namespace, l.Reason.ToString(), l.Justification, l.Workloads.Select(w => new HostNetworkPolicyWorkload(w.Kind, w.Name, w.Pods)).ToList())).ToList(),
        Exceptions = plan.Exceptions.Select(e => new HostNetworkPolicyExceptionInfo(
            e.Shape == ExceptionShape.MirrorPod ? "MirrorPod" : e.Kind, e.Namespace, e.Name, e.Justification, e.Expires, e.ServiceAccounts, e.Requesters, e.Debuggers, e.CreatedBy, e.Entry)).ToList(),
        Warnings = plan.Warnings.Select(w => new HostNetworkPolicyWarning(w.Id, w.Target, w.Message)).ToList(),
        ControllerIdentity = plan.ControllerIdentity.ToString(),
        ObservedControllerIdentity = plan.ObservedControllerIdentity.ToString(),
        ValidationAction = plan.ValidationAction,
        Manifest = manifest,
    };
}

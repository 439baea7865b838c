using System.Net;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Engine.Remediation;

namespace HostNetAudit.Engine;

/// <summary>The targeted hostNetwork policy for this cluster as it is now (Set-HostNetworkPolicy).</summary>
internal sealed partial class ClusterSession
{
    private const int InventoryPageSize = 500;

    /// <summary>
    /// Reads the exemptions, the cluster's namespaces, hostNetwork pods and templates, and which identity its controllers
    /// use, then generates the policy and binding (Policy/Targeted) and what goes in the record.
    /// </summary>
    private async Task<TargetedPolicy> GenerateTargetedPolicyAsync(HostNetworkPolicySetRequest request, string version, CancellationToken cancellationToken)
    {
        var exemptions = ExemptionSet.Load(request.ExemptionPaths, Log, DateTimeOffset.UtcNow, cancellationToken);
        var inventory = await ReadTargetedInventoryAsync(InventoryPageSize, cancellationToken).ConfigureAwait(false);
        var observed = await ObserveControllerIdentityAsync(cancellationToken).ConfigureAwait(false);
        var plan = TargetedPolicyGenerator.Generate(exemptions, inventory, new TargetedPolicyOptions
        {
            Context = Context,
            ValidationAction = request.ValidationAction,
            IncludeUnmatched = request.IncludeUnmatched,
            Force = request.Force,
            ObservedControllerIdentity = observed,
        });

        var covered = plan.ProtectedNamespaces.ToHashSet(StringComparer.Ordinal);
        var excepted = plan.Exceptions;
        bool Declared(string ns, string kind, string name, string podName) => excepted.Any(e =>
            e.Namespace == ns &&
            ((e.Shape == ExceptionShape.Workload && e.Kind == kind && e.Name == name) ||
             (e.Shape == ExceptionShape.Workload && e.Kind == "Pod" && e.Name == podName) ||
             (e.Shape == ExceptionShape.MirrorPod && podName.StartsWith(e.Name + "-", StringComparison.Ordinal))));

        // What the policy refuses from now on: hostNetwork pods and templates in covered namespaces nobody declared (-Force).
        var refused = inventory.Pods
            .Where(p => covered.Contains(p.Namespace) && !Declared(p.Namespace, p.OwnerKind ?? "Pod", p.OwnerName ?? p.Name, p.Name))
            .Select(p => new RefusedItem("Pod", p.Name, p.OwnerKind is null ? null : p.OwnerKind + "/" + p.OwnerName, new[] { "hostNetwork" }))
            .Concat(inventory.Workloads
                .Where(w => covered.Contains(w.Namespace) && !Declared(w.Namespace, w.Kind, w.Name, string.Empty))
                .Select(w => new RefusedItem(w.Kind, w.Name, null, new[] { "hostNetwork" })))
            .ToList();

        return new TargetedPolicy
        {
            Policy = plan.Policy,
            Binding = plan.Binding,
            Covered = plan.ProtectedNamespaces,
            LeftOut = plan.LeftOut.Select(l => new HostNetworkPolicyLeftOut
            {
                Namespace = l.Namespace,
                Reason = l.Reason == LeftOutReason.Exempt ? "Exempt" : "UndeclaredHostNetwork",
                Workloads = l.Workloads.Select(w => w.ToString()).ToArray(),
            }).ToList(),
            Exceptions = plan.Exceptions.Select(e => new HostNetworkPolicyExemption
            {
                Kind = e.Shape == ExceptionShape.MirrorPod ? "MirrorPod" : e.Kind,
                Namespace = e.Namespace,
                Name = e.Name,
                Justification = e.Justification,
                Requesters = e.Requesters.ToArray(),
                Expires = e.Expires?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            }).ToList(),
            Warnings = TargetedPolicyGenerator.ToWrite(plan.Warnings).Select(w => $"{w.Id}: {w.Message}").ToList(),
            WouldRefuse = refused,
            ControllerIdentity = observed switch
            {
                ObservedControllerIdentity.ServiceAccounts => "service accounts (kube-system:*-controller; the policy also accepts system:kube-controller-manager)",
                ObservedControllerIdentity.ControllerManager => "system:kube-controller-manager (kube-system has no replicaset-controller service account; the policy also accepts the per-controller service accounts)",
                _ => "unknown (the policy accepts the per-controller service accounts and system:kube-controller-manager)",
            },
        };
    }

    /// <summary>
    /// Which identity the kube-controller-manager acts as: with --use-service-account-credentials it creates (and uses)
    /// kube-system service accounts per controller, replicaset-controller among them; without, it is system:kube-controller-manager.
    /// </summary>
    private async Task<ObservedControllerIdentity> ObserveControllerIdentityAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Api.SendAsync(new ApiRequest(HttpMethod.Get, "/api/v1/namespaces/kube-system/serviceaccounts/replicaset-controller", "GetServiceAccount", "get", "serviceaccounts", "kube-system", "replicaset-controller"), cancellationToken).ConfigureAwait(false);
            return ObservedControllerIdentity.ServiceAccounts;
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return ObservedControllerIdentity.ControllerManager;
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
        {
            return ObservedControllerIdentity.Unknown;
        }
    }
}

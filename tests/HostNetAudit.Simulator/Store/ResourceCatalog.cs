namespace HostNetAudit.Simulator.Store;

/// <summary>A resource the simulated apiserver can serve.</summary>
public sealed record ResourceDefinition(
    string Group,
    string Version,
    string Resource,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> FieldSelectors,
    string[] Verbs)
{
    /// <summary>"v1" for core, "group/version" otherwise.</summary>
    public string GroupVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string Key => Group + "/" + Version + "/" + Resource;

    public string ListKind => Kind + "List";

    /// <summary>True for the built-in APIs, always served; extension APIs (CRDs) are served only when present.</summary>
    public bool BuiltIn { get; init; } = true;

    /// <summary>Served only by apiservers older than 1.25 (PodSecurityPolicy).</summary>
    public bool RemovedIn125 { get; init; }

    /// <summary>Served only from this Kubernetes minor version on (SelfSubjectReview v1: 28).</summary>
    public int? AddedInMinor { get; init; }
}

/// <summary>Everything the simulator knows how to serve.</summary>
public static class ResourceCatalog
{
    private static readonly string[] ReadOnly = { "get", "list", "watch" };
    private static readonly string[] ReadWrite = { "create", "delete", "get", "list", "patch", "update", "watch" };
    private static readonly IReadOnlyList<string> MetaFields = new[] { "metadata.name", "metadata.namespace" };

    /// <summary>Pod field selectors the apiserver supports (spec.hostNetwork from 1.28).</summary>
    public static readonly IReadOnlyList<string> PodFields = new[]
    {
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
    };

    public static readonly IReadOnlyList<ResourceDefinition> All = new List<ResourceDefinition>
    {
        new(string.Empty, "v1", "namespaces", "Namespace", false, new[] { "metadata.name", "status.phase" }, ReadWrite),
        new(string.Empty, "v1", "pods", "Pod", true, PodFields, ReadWrite),
        new(string.Empty, "v1", "nodes", "Node", false, new[] { "metadata.name", "spec.unschedulable" }, ReadOnly),
        new(string.Empty, "v1", "configmaps", "ConfigMap", true, MetaFields, ReadWrite),
        new(string.Empty, "v1", "serviceaccounts", "ServiceAccount", true, MetaFields, ReadWrite),
        new(string.Empty, "v1", "replicationcontrollers", "ReplicationController", true, new[] { "metadata.name", "metadata.namespace", "status.replicas" }, ReadWrite),
        new("apps", "v1", "deployments", "Deployment", true, MetaFields, ReadWrite),
        new("apps", "v1", "daemonsets", "DaemonSet", true, MetaFields, ReadWrite),
        new("apps", "v1", "statefulsets", "StatefulSet", true, MetaFields, ReadWrite),
        new("apps", "v1", "replicasets", "ReplicaSet", true, new[] { "metadata.name", "metadata.namespace", "status.replicas" }, ReadWrite),
        new("batch", "v1", "jobs", "Job", true, new[] { "metadata.name", "metadata.namespace", "status.successful" }, ReadWrite),
        new("batch", "v1", "cronjobs", "CronJob", true, MetaFields, ReadWrite),
        new("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, MetaFields, ReadWrite),
        new("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, MetaFields, ReadWrite),
        new("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, MetaFields, ReadWrite),
        new("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, MetaFields, ReadWrite),
        new("policy", "v1beta1", "podsecuritypolicies", "PodSecurityPolicy", false, MetaFields, ReadWrite) { RemovedIn125 = true },
        new("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, MetaFields, new[] { "create" }) { AddedInMinor = 28 },
        new("kyverno.io", "v1", "clusterpolicies", "ClusterPolicy", false, MetaFields, ReadWrite) { BuiltIn = false },
        new("kyverno.io", "v1", "policies", "Policy", true, MetaFields, ReadWrite) { BuiltIn = false },
        new("kyverno.io", "v2", "policyexceptions", "PolicyException", true, MetaFields, ReadWrite) { BuiltIn = false },
        new("policies.kyverno.io", "v1alpha1", "validatingpolicies", "ValidatingPolicy", false, MetaFields, ReadWrite) { BuiltIn = false },
        new("templates.gatekeeper.sh", "v1", "constrainttemplates", "ConstraintTemplate", false, MetaFields, ReadWrite) { BuiltIn = false },
        new("config.gatekeeper.sh", "v1alpha1", "configs", "Config", true, MetaFields, ReadWrite) { BuiltIn = false },
    };

    /// <summary>Constraint kinds are served under constraints.gatekeeper.sh/v1beta1 once a template defines them.</summary>
    public static ResourceDefinition ConstraintResource(string kind) =>
        new("constraints.gatekeeper.sh", "v1beta1", kind.ToLowerInvariant(), kind, false, MetaFields, ReadWrite) { BuiltIn = false };

    public static ResourceDefinition? ForKind(string apiVersion, string kind)
    {
        var match = All.FirstOrDefault(r => r.GroupVersion == apiVersion && r.Kind == kind);
        if (match is null && All.FirstOrDefault(r => r.Kind == kind && SameGroup(r, apiVersion)) is { } sameGroup)
        {
            // Another served version of a known kind (kyverno.io/v2beta1 PolicyException, ...).
            var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
            match = sameGroup with { Version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..] };
        }

        if (match is null && apiVersion.StartsWith("constraints.gatekeeper.sh/", StringComparison.Ordinal))
        {
            return ConstraintResource(kind);
        }

        return match;
    }

    private static bool SameGroup(ResourceDefinition r, string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? string.Empty : apiVersion[..slash];
        return r.Group == group;
    }
}

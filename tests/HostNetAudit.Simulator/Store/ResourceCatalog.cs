using System.Text.Json.Nodes;

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

    /// <summary>Served only from this Kubernetes minor version on (SelfSubjectReview v1: 28).</summary>
    public int? AddedInMinor { get; init; }

    /// <summary>Served only before this Kubernetes minor version (PodSecurityPolicy: 25).</summary>
    public int? RemovedInMinor { get; init; }

    /// <summary>metadata.generation starts at 1 and grows when anything but metadata and status changes.</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>status is written by the server (a status subresource): writes to the object keep the stored status.</summary>
    public bool ServerStatus { get; init; }

    /// <summary>Subresources served besides the object (status, ephemeralcontainers).</summary>
    public IReadOnlyList<string> Subresources { get; init; } = Array.Empty<string>();

    /// <summary>Served because a CustomResourceDefinition defines it; the version's openAPIV3Schema prunes unknown fields.</summary>
    public bool FromCustomResourceDefinition { get; init; }

    /// <summary>The openAPIV3Schema of a CRD version (null: no pruning).</summary>
    public JsonNode? Schema { get; init; }

    /// <summary>Whether a Kubernetes minor version serves this resource.</summary>
    public bool ServedIn(int minor) => (AddedInMinor is null || minor >= AddedInMinor) && (RemovedInMinor is null || minor < RemovedInMinor);
}

/// <summary>Everything the simulator knows how to serve.</summary>
public static class ResourceCatalog
{
    private static readonly string[] ReadOnly = { "get", "list", "watch" };
    private static readonly string[] ReadWrite = { "create", "delete", "get", "list", "patch", "update", "watch" };
    private static readonly string[] Create = { "create" };
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
        new(string.Empty, "v1", "pods", "Pod", true, PodFields, ReadWrite) { Subresources = new[] { "status", "ephemeralcontainers" } },
        new(string.Empty, "v1", "nodes", "Node", false, new[] { "metadata.name", "spec.unschedulable" }, ReadOnly),
        new(string.Empty, "v1", "configmaps", "ConfigMap", true, MetaFields, ReadWrite),
        new(string.Empty, "v1", "serviceaccounts", "ServiceAccount", true, MetaFields, ReadWrite),
        new(string.Empty, "v1", "replicationcontrollers", "ReplicationController", true, new[] { "metadata.name", "metadata.namespace", "status.replicas" }, ReadWrite) { TracksGeneration = true, Subresources = new[] { "status" } },
        new("apps", "v1", "deployments", "Deployment", true, MetaFields, ReadWrite) { TracksGeneration = true, Subresources = new[] { "status" } },
        new("apps", "v1", "daemonsets", "DaemonSet", true, MetaFields, ReadWrite) { TracksGeneration = true, Subresources = new[] { "status" } },
        new("apps", "v1", "statefulsets", "StatefulSet", true, MetaFields, ReadWrite) { TracksGeneration = true, Subresources = new[] { "status" } },
        new("apps", "v1", "replicasets", "ReplicaSet", true, new[] { "metadata.name", "metadata.namespace", "status.replicas" }, ReadWrite) { TracksGeneration = true, Subresources = new[] { "status" } },
        new("batch", "v1", "jobs", "Job", true, new[] { "metadata.name", "metadata.namespace", "status.successful" }, ReadWrite) { TracksGeneration = true, Subresources = new[] { "status" } },
        new("batch", "v1", "cronjobs", "CronJob", true, MetaFields, ReadWrite) { TracksGeneration = true, Subresources = new[] { "status" } },
        new("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, MetaFields, ReadWrite) { AddedInMinor = 30, TracksGeneration = true, ServerStatus = true, Subresources = new[] { "status" } },
        new("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, MetaFields, ReadWrite) { AddedInMinor = 30, TracksGeneration = true },
        new("admissionregistration.k8s.io", "v1beta1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, MetaFields, ReadWrite) { AddedInMinor = 28, RemovedInMinor = 30, TracksGeneration = true, ServerStatus = true, Subresources = new[] { "status" } },
        new("admissionregistration.k8s.io", "v1beta1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, MetaFields, ReadWrite) { AddedInMinor = 28, RemovedInMinor = 30, TracksGeneration = true },
        new("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, MetaFields, ReadWrite),
        new("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, MetaFields, ReadWrite),
        new("policy", "v1beta1", "podsecuritypolicies", "PodSecurityPolicy", false, MetaFields, ReadWrite) { RemovedInMinor = 25 },
        new("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, MetaFields, Create) { AddedInMinor = 28 },
        new("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, MetaFields, Create),
        new("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, MetaFields, Create),
        new("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", true, MetaFields, Create),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, MetaFields, ReadWrite),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, MetaFields, ReadWrite),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", true, MetaFields, ReadWrite),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, MetaFields, ReadWrite),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, MetaFields, ReadWrite),
        new("kyverno.io", "v1", "clusterpolicies", "ClusterPolicy", false, MetaFields, ReadWrite) { BuiltIn = false },
        new("kyverno.io", "v1", "policies", "Policy", true, MetaFields, ReadWrite) { BuiltIn = false },
        new("kyverno.io", "v2", "policyexceptions", "PolicyException", true, MetaFields, ReadWrite) { BuiltIn = false },
        new("policies.kyverno.io", "v1alpha1", "validatingpolicies", "ValidatingPolicy", false, MetaFields, ReadWrite) { BuiltIn = false },
        new("policies.kyverno.io", "v1beta1", "namespacedvalidatingpolicies", "NamespacedValidatingPolicy", true, MetaFields, ReadWrite) { BuiltIn = false },
        new("templates.gatekeeper.sh", "v1", "constrainttemplates", "ConstraintTemplate", false, MetaFields, ReadWrite) { BuiltIn = false },
        new("config.gatekeeper.sh", "v1alpha1", "configs", "Config", true, MetaFields, ReadWrite) { BuiltIn = false },
        new("argoproj.io", "v1alpha1", "rollouts", "Rollout", true, MetaFields, ReadWrite) { BuiltIn = false },
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

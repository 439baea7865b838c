namespace HostNetAudit.Engine.Permissions;

/// <summary>
/// An identity as a binding names it: a User, a Group, or a ServiceAccount (namespace and name). A User named
/// system:serviceaccount:&lt;ns&gt;:&lt;name&gt; is that ServiceAccount: the authorizer cannot tell them apart.
/// </summary>
internal sealed record Subject(string Kind, string Name, string? Namespace)
{
    public const string User = "User";
    public const string Group = "Group";
    public const string ServiceAccount = "ServiceAccount";

    /// <summary>The user name requests of this identity carry (a Group has none).</summary>
    public string? UserName => Kind switch
    {
        User => Name,
        ServiceAccount => Identities.ServiceAccountUser(Namespace!, Name),
        _ => null,
    };

    /// <summary>The identity exactly as the subject names it, for the authorizer: a user (or service account) without
    /// groups, or a member of the group and nothing else. Rights through other groups are the other groups' records.</summary>
    public RbacUser AsUser() => Kind == Group ? new RbacUser(string.Empty, new[] { Name }) : new RbacUser(UserName!, Array.Empty<string>());

    /// <summary>A service account with the groups every token of it carries (what a pod that mounts it can do).</summary>
    public RbacUser AsAuthenticatedUser() => Kind switch
    {
        ServiceAccount => new RbacUser(UserName!, new[] { "system:serviceaccounts", "system:serviceaccounts:" + Namespace, "system:authenticated" }),
        User => new RbacUser(Name, new[] { "system:authenticated" }),
        _ => AsUser(),
    };

    /// <summary>"User alice", "Group system:authenticated", "ServiceAccount team-a/ci".</summary>
    public string Text => Kind == ServiceAccount ? $"{Kind} {Namespace}/{Name}" : Kind + " " + Name;

    public static Subject Of(string kind, string name, string? ns)
    {
        if (kind == User && Identities.ParseServiceAccountUser(name) is { } sa)
        {
            return new Subject(ServiceAccount, sa.Name, sa.Namespace);
        }

        return new Subject(kind, name, kind == ServiceAccount ? ns : null);
    }

    /// <summary>The identity a request's user name stands for.</summary>
    public static Subject OfUserName(string userName) => Of(User, userName, null);

    public override string ToString() => Text;
}

/// <summary>
/// Who is who among the identities the apiserver knows by name: the service-account user names, the groups that
/// stand for many identities, the control plane's own identities, and the audit categories.
/// </summary>
internal static class Identities
{
    public const string Masters = "system:masters";
    public const string Nodes = "system:nodes";
    public const string Authenticated = "system:authenticated";
    public const string Unauthenticated = "system:unauthenticated";
    public const string ServiceAccounts = "system:serviceaccounts";
    public const string ClusterAdmin = "cluster-admin";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>
    /// The service accounts kube-controller-manager's controllers run as (--use-service-account-credentials), in
    /// kube-system: the bootstrap policy's system:controller:&lt;name&gt; roles. The controllers that create pods and
    /// workloads are among them, so they can create pods in every namespace by design.
    /// </summary>
    public static readonly IReadOnlySet<string> ControllerServiceAccounts = new HashSet<string>(StringComparer.Ordinal)
    {
        "attachdetach-controller", "bootstrap-signer", "certificate-controller", "clusterrole-aggregation-controller",
        "cronjob-controller", "daemon-set-controller", "deployment-controller", "disruption-controller",
        "endpoint-controller", "endpointslice-controller", "endpointslicemirroring-controller", "ephemeral-volume-controller",
        "expand-controller", "generic-garbage-collector", "horizontal-pod-autoscaler", "job-controller",
        "legacy-service-account-token-cleaner", "namespace-controller", "node-controller", "persistent-volume-binder",
        "pod-garbage-collector", "pv-protection-controller", "pvc-protection-controller", "replicaset-controller",
        "replication-controller", "resource-claim-controller", "resourcequota-controller", "root-ca-cert-publisher",
        "route-controller", "selinux-warning-controller", "service-account-controller", "service-cidrs-controller",
        "service-controller", "statefulset-controller", "token-cleaner", "ttl-after-finished-controller", "ttl-controller",
        "validatingadmissionpolicy-status-controller", "volumeattributesclass-protection-controller",
    };

    /// <summary>The control plane's component users (certificates kubeadm and the managed distributions issue).</summary>
    private static readonly IReadOnlySet<string> ControlPlaneUsers = new HashSet<string>(StringComparer.Ordinal)
    {
        "system:kube-controller-manager", "system:kube-scheduler", "system:apiserver", "kube-apiserver", "system:kube-proxy",
        "kube-apiserver-kubelet-client",
    };

    /// <summary>
    /// Which workload kinds a pod-creating controller turns into pods: an admission exception that trusts the
    /// controller's identity lets through every pod created from such a workload, so whoever may create or change the
    /// workload gets a pod past the exception. kube-controller-manager's own user stands for all of them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> PodsCreatedFrom = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        [ServiceAccountUser("kube-system", "daemon-set-controller")] = new[] { "daemonsets" },
        [ServiceAccountUser("kube-system", "replicaset-controller")] = new[] { "replicasets", "deployments" },
        [ServiceAccountUser("kube-system", "deployment-controller")] = new[] { "deployments" },
        [ServiceAccountUser("kube-system", "statefulset-controller")] = new[] { "statefulsets" },
        [ServiceAccountUser("kube-system", "job-controller")] = new[] { "jobs", "cronjobs" },
        [ServiceAccountUser("kube-system", "cronjob-controller")] = new[] { "cronjobs" },
        [ServiceAccountUser("kube-system", "replication-controller")] = new[] { "replicationcontrollers" },
        ["system:kube-controller-manager"] = new[] { "daemonsets", "replicasets", "deployments", "statefulsets", "jobs", "cronjobs", "replicationcontrollers" },
    };

    public static string ServiceAccountUser(string ns, string name) => ServiceAccountPrefix + ns + ":" + name;

    /// <summary>(namespace, name) of system:serviceaccount:&lt;ns&gt;:&lt;name&gt;, else null.</summary>
    public static (string Namespace, string Name)? ParseServiceAccountUser(string userName)
    {
        if (!userName.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = userName[ServiceAccountPrefix.Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        return colon <= 0 || colon == rest.Length - 1 || rest.IndexOf(':', colon + 1) >= 0 ? null : (rest[..colon], rest[(colon + 1)..]);
    }

    /// <summary>
    /// The audit category of an identity reached through a role: ControlPlane (the control plane's own identities:
    /// its component users, nodes, kube-controller-manager's controller service accounts), Broad (groups that stand
    /// for many or all identities, and the anonymous user), Privileged (system:masters, or a path through
    /// cluster-admin), else Custom.
    /// </summary>
    public static string Category(Subject subject, string? roleName)
    {
        if (IsControlPlane(subject))
        {
            return PermissionCategories.ControlPlane;
        }

        if (IsBroad(subject))
        {
            return PermissionCategories.Broad;
        }

        return (subject.Kind == Subject.Group && subject.Name == Masters) || roleName == ClusterAdmin
            ? PermissionCategories.Privileged
            : PermissionCategories.Custom;
    }

    public static bool IsControlPlane(Subject subject) => subject.Kind switch
    {
        Subject.User => ControlPlaneUsers.Contains(subject.Name) || subject.Name.StartsWith("system:node:", StringComparison.Ordinal),
        Subject.Group => subject.Name == Nodes,
        Subject.ServiceAccount => subject.Namespace == "kube-system" && ControllerServiceAccounts.Contains(subject.Name),
        _ => false,
    };

    public static bool IsBroad(Subject subject) => subject.Kind switch
    {
        Subject.Group => subject.Name is Authenticated or Unauthenticated or ServiceAccounts || subject.Name.StartsWith(ServiceAccounts + ":", StringComparison.Ordinal),
        Subject.User => subject.Name == "system:anonymous",
        _ => false,
    };
}

/// <summary>The Category values of HostNetworkPermission records.</summary>
internal static class PermissionCategories
{
    public const string ControlPlane = "ControlPlane";
    public const string Broad = "Broad";
    public const string Privileged = "Privileged";
    public const string Custom = "Custom";
}

/// <summary>The PathType values of HostNetworkPermission records.</summary>
internal static class PathTypes
{
    /// <summary>The namespace admits any hostNetwork pod, and the subject can make one.</summary>
    public const string Open = "Open";

    /// <summary>The subject can use an exception of the admission policy.</summary>
    public const string ViaException = "ViaException";

    /// <summary>The subject can make itself able (bind, escalate, impersonate, a service account's token, weaken admission).</summary>
    public const string Escalation = "Escalation";

    /// <summary>The subject can act inside a running hostNetwork pod.</summary>
    public const string UsesExistingPod = "UsesExistingPod";
}

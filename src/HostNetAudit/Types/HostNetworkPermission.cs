namespace HostNetAudit;

/// <summary>
/// One identity that can get a hostNetwork pod admitted in one namespace, by one path: the binding and role (or the
/// rule of another authorizer) that grant the actions, and the admission state that lets the pod through. Output of
/// Get-HostNetworkPermission. A lower bound: webhook authorizers grant rights no RBAC object shows
/// (<see cref="AuthorizersNotEvaluated"/>). A collection serializes completely with <c>ConvertTo-Json -Depth 3</c>.
/// </summary>
public sealed class HostNetworkPermission
{
    /// <summary>The kubeconfig context (or "offline") the record came from.</summary>
    public string Context { get; set; } = string.Empty;

    public string Namespace { get; set; } = string.Empty;

    /// <summary>The namespace's verdict (Test-NamespacePolicy's Status): NonCompliant, Conditional, Exempt, Unknown or Compliant.</summary>
    public string AdmissionState { get; set; } = string.Empty;

    /// <summary>User, Group or ServiceAccount.</summary>
    public string SubjectKind { get; set; } = string.Empty;

    public string SubjectName { get; set; } = string.Empty;

    /// <summary>The service account's namespace (null for users and groups).</summary>
    public string? SubjectNamespace { get; set; }

    /// <summary>Open (the namespace admits any hostNetwork pod), ViaException (the subject can use an exception of the
    /// admission policy), Escalation (the subject can make itself able) or UsesExistingPod (the subject can act inside a
    /// running hostNetwork pod).</summary>
    public string PathType { get; set; } = string.Empty;

    /// <summary>The chain that grants it, in order: bindings, roles (aggregated ClusterRoles with the roles their rules
    /// come from), the identity a step makes the subject, and the exception or escalation used.</summary>
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The verbs of the first action, on <see cref="Resource"/>.</summary>
    public string[] Verbs { get; set; } = Array.Empty<string>();

    /// <summary>The resource of the first action: "pods", "deployments.apps", "pods/exec", "rolebindings.rbac.authorization.k8s.io".</summary>
    public string Resource { get; set; } = string.Empty;

    /// <summary>Every request the subject itself must be allowed for this path, exactly as the authorizer is asked.</summary>
    public PermissionAction[] Actions { get; set; } = Array.Empty<PermissionAction>();

    /// <summary>ControlPlane (the control plane's own identities), Broad (groups that stand for many or all
    /// identities), Privileged (system:masters, cluster-admin) or Custom. Audit counts leave out only ControlPlane.</summary>
    public string Category { get; set; } = string.Empty;

    /// <summary>The authorizer whose rules grant the path: RBAC, or by rule PrivilegedGroup (system:masters passes
    /// before RBAC) and Node (the Node authorizer's rights of nodes).</summary>
    public string Authorizer { get; set; } = "RBAC";

    /// <summary>The authorizers whose grants are not evaluated, so more identities may be able: Webhook (AKS Azure
    /// RBAC, EKS access entries, GKE IAM) and ABAC.</summary>
    public string[] AuthorizersNotEvaluated { get; set; } = Array.Empty<string>();

    /// <summary>The subject is declared in the identities section of an exemptions file.</summary>
    public bool Declared { get; set; }

    /// <summary>The declaration's justification.</summary>
    public string? Justification { get; set; }

    /// <summary>The binding refers to a role that does not exist: it grants nothing now, and whoever creates the role
    /// (<see cref="RoleCreators"/>) decides what the subject gets.</summary>
    public bool Latent { get; set; }

    /// <summary>For a latent binding: the identities that can create the missing role.</summary>
    public string[] RoleCreators { get; set; } = Array.Empty<string>();

    /// <summary>The path in one sentence.</summary>
    public string Detail { get; set; } = string.Empty;

    /// <summary>"User alice", "Group system:authenticated", "ServiceAccount team-a/ci".</summary>
    public string Subject => SubjectKind == "ServiceAccount" ? $"{SubjectKind} {SubjectNamespace}/{SubjectName}" : SubjectKind + " " + SubjectName;

    /// <summary>The path on one line, its links joined with " → ".</summary>
    public string PathText => string.Join(" → ", Path);

    public override string ToString() => $"{Namespace}: {Subject} ({PathType})";
}

/// <summary>One request an identity must be allowed, as the authorizer is asked (a SubjectAccessReview's resourceAttributes).</summary>
public sealed class PermissionAction
{
    public string Verb { get; set; } = string.Empty;

    /// <summary>The API group ("" for the core group).</summary>
    public string Group { get; set; } = string.Empty;

    public string Resource { get; set; } = string.Empty;

    public string? Subresource { get; set; }

    /// <summary>The namespace the request is made in; null at the cluster scope.</summary>
    public string? Namespace { get; set; }

    /// <summary>The object's name; null when the request carries none (a POST create).</summary>
    public string? Name { get; set; }

    public override string ToString() =>
        $"{Verb} {Resource}{(Group.Length == 0 ? string.Empty : "." + Group)}{(Subresource is null ? string.Empty : "/" + Subresource)}" +
        (Name is null ? string.Empty : $" '{Name}'") + (Namespace is null ? string.Empty : $" in '{Namespace}'");
}

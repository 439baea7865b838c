using System.Text.Json;

namespace HostNetAudit.Engine.Policy.Cel;

/// <summary>Which admission engine runs the CEL: it decides how <c>params</c> and <c>variables</c> are bound.</summary>
internal enum CelDialect
{
    /// <summary>admissionregistration.k8s.io ValidatingAdmissionPolicy: object, oldObject, request, params, namespaceObject, variables.</summary>
    ValidatingAdmissionPolicy,

    /// <summary>Kyverno <c>validate.cel</c> in a kyverno.io/v1 rule: bound as the apiserver binds a VAP.</summary>
    KyvernoRule,

    /// <summary>Kyverno policies.kyverno.io ValidatingPolicy: bound as a VAP (plus Kyverno libraries the module does not evaluate).</summary>
    KyvernoValidatingPolicy,

    /// <summary>
    /// Gatekeeper K8sNativeValidation: <c>params</c> is the constraint; Gatekeeper prepends the variables
    /// <c>anyObject</c> (the object, or oldObject on DELETE) and <c>params</c> (the constraint's spec.parameters, or null).
    /// </summary>
    Gatekeeper,
}

/// <summary>One validation: it DENIES the request when its expression evaluates to false.</summary>
internal sealed record CelValidation(string Expression, string? Message = null, string? MessageExpression = null, string? Reason = null);

/// <summary>A named expression: a variable, or a match condition (the policy applies only when all are true).</summary>
internal sealed record CelNamedExpression(string Name, string Expression);

/// <summary>
/// The CEL of one admission policy (or one Kyverno rule, or one Gatekeeper template with its constraint),
/// read by <see cref="CelPolicySources"/> or built by the caller.
/// </summary>
internal sealed class CelPolicy
{
    public required CelDialect Dialect { get; init; }

    /// <summary>What the details call the policy, e.g. "ValidatingAdmissionPolicy/deny-host-network".</summary>
    public required string Name { get; init; }

    public IReadOnlyList<CelValidation> Validations { get; init; } = Array.Empty<CelValidation>();

    /// <summary>Declared in order; each is evaluated lazily, when an expression reads <c>variables.&lt;name&gt;</c>.</summary>
    public IReadOnlyList<CelNamedExpression> Variables { get; init; } = Array.Empty<CelNamedExpression>();

    public IReadOnlyList<CelNamedExpression> MatchConditions { get; init; } = Array.Empty<CelNamedExpression>();

    /// <summary>
    /// The <c>params</c> object: a VAP's or Kyverno's param resource, Gatekeeper's constraint; null when the
    /// policy has none (or the caller judges it without one).
    /// </summary>
    public JsonElement? Params { get; init; }

    /// <summary>The failurePolicy as written (Fail, Ignore) or null.</summary>
    public string? FailurePolicy { get; init; }

    /// <summary>
    /// The apiserver's rule for evaluation errors (ValidatingAdmissionPolicy): under failurePolicy Fail (also when
    /// unset) an erroring validation, or a match condition that errors while none is false, denies (subject to the
    /// binding's validationActions, as a false validation is); under Ignore it is skipped. Otherwise an error is
    /// Unknown, the engine's own handling not being modelled.
    /// </summary>
    public bool FailurePolicyDecidesErrors { get; init; }

    /// <summary>Ignore when <see cref="FailurePolicy"/> says so, else Fail (the apiserver's default).</summary>
    public bool IgnoresErrors => string.Equals(FailurePolicy, "Ignore", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The identity that creates the reference pod: a controller, as docs/design.md requires.</summary>
internal sealed record CelUserInfo(string Username, IReadOnlyList<string> Groups, string Uid = "")
{
    /// <summary>The ReplicaSet controller (kube-controller-manager with service-account credentials).</summary>
    public static CelUserInfo ReplicaSetController { get; } = Controller("replicaset-controller");

    public static CelUserInfo DaemonSetController { get; } = Controller("daemon-set-controller");

    public static CelUserInfo Controller(string serviceAccount) => new(
        "system:serviceaccount:kube-system:" + serviceAccount,
        new[] { "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated" });
}

/// <summary>
/// What the policy is judged against: the reference pod (hostNetwork: true) and its control twin (the same
/// pod without hostNetwork), created in a namespace by a controller identity.
/// </summary>
internal sealed class CelAdmissionInput
{
    public required JsonElement ReferencePod { get; init; }

    public required JsonElement TwinPod { get; init; }

    /// <summary>The Namespace object bound as <c>namespaceObject</c>; null when unknown.</summary>
    public JsonElement? NamespaceObject { get; init; }

    /// <summary>Bound as <c>oldObject</c>; null on CREATE.</summary>
    public JsonElement? OldObject { get; init; }

    public string Operation { get; init; } = "CREATE";

    public CelUserInfo UserInfo { get; init; } = CelUserInfo.ReplicaSetController;
}

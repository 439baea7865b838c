using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Cel;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine.Permissions;

/// <summary>How a namespace's admission treats a hostNetwork pod, for the permission analysis.</summary>
internal enum AdmissionMode
{
    /// <summary>Compliant without exceptions: no hostNetwork pod is admitted (only running ones can be used).</summary>
    Closed,

    /// <summary>Admits a hostNetwork pod only through its exceptions (<see cref="NamespaceAdmission.Escapes"/>).</summary>
    Restricted,

    /// <summary>Admits any hostNetwork pod: NonCompliant, Exempt, Unknown, or Conditional in a way the pod's creator controls.</summary>
    Open,
}

/// <summary>One namespace as the permission analysis sees it.</summary>
internal sealed record NamespaceAdmission(string Namespace, NamespaceStatus State, AdmissionMode Mode, IReadOnlyList<Escape> Escapes, IReadOnlyList<Finding> Refusals, IReadOnlyList<HostNetworkPod> Pods)
{
    /// <summary>Reported on: it admits hostNetwork pods for anyone or for some, or runs some.</summary>
    public bool Covered => Mode != AdmissionMode.Closed || Pods.Count > 0;
}

/// <summary>
/// A way past one conditional refusal that only some requests have. A request gets a hostNetwork pod admitted in a
/// Restricted namespace when every escape of the namespace admits it (each refusal must be passed).
/// </summary>
internal abstract class Escape
{
    protected Escape(string description)
    {
        Description = description;
    }

    /// <summary>What lets the request through, as a path link: "exception: PodSecurity exemptions.usernames alice".</summary>
    public string Description { get; }

    public abstract bool Admits(Subject subject, ResourceAttributes action);

    /// <summary>Workload objects the escape names literally (kind resource, name): they are updated, patched or recreated by name.</summary>
    public virtual IEnumerable<(string Group, string Resource, string Name)> NamedObjects => Enumerable.Empty<(string, string, string)>();
}

/// <summary>
/// Requests by some identities pass (PSA exemptions.usernames, Kyverno exclude subjects, CEL matchConditions on
/// request.userInfo). When a pod-creating controller's identity passes, so does every pod it creates: whoever can
/// create or change a workload of a kind that controller turns into pods gets a hostNetwork pod past it.
/// </summary>
internal sealed class IdentityEscape : Escape
{
    private readonly Func<Subject, bool> matches;
    private readonly HashSet<string> controllerKinds;

    public IdentityEscape(string description, Func<Subject, bool> matches)
        : base(description)
    {
        this.matches = matches;
        controllerKinds = new HashSet<string>(
            Identities.PodsCreatedFrom.Where(c => matches(Subject.OfUserName(c.Key))).SelectMany(c => c.Value),
            StringComparer.Ordinal);
    }

    public override bool Admits(Subject subject, ResourceAttributes action) =>
        matches(subject) ||
        (action.Subresource.Length == 0 && action.Verb is "create" or "update" or "patch" && controllerKinds.Contains(action.Resource) &&
         PermissionCatalog.Workloads.Any(w => w.Resource == action.Resource && w.Group == action.Group));
}

/// <summary>
/// Requests on some workloads pass (a Kyverno PolicyException naming kinds and names, HostNetAudit's targeted policy's
/// exceptions): creating one (its creator picks the name), or updating, patching or recreating one the exception names.
/// <see cref="Requesters"/>, when given, limits who may.
/// </summary>
internal sealed class WorkloadEscape : Escape
{
    private readonly IReadOnlyList<string> namePatterns;

    public WorkloadEscape(string description, string group, string resource, IReadOnlyList<string> namePatterns, IReadOnlyList<string> requesters)
        : base(description)
    {
        Group = group;
        Resource = resource;
        this.namePatterns = namePatterns;
        Requesters = requesters;
    }

    public string Group { get; }

    public string Resource { get; }

    public IReadOnlyList<string> Requesters { get; }

    public override IEnumerable<(string Group, string Resource, string Name)> NamedObjects =>
        namePatterns.Where(p => p.IndexOfAny(new[] { '*', '?' }) < 0).Select(p => (Group, Resource, p));

    public override bool Admits(Subject subject, ResourceAttributes action)
    {
        if (action.Group != Group || action.Resource != Resource || action.Subresource.Length > 0)
        {
            return false;
        }

        var name = action.Name;
        var named = name.Length == 0 ? action.Verb == "create" && namePatterns.Count > 0 : namePatterns.Any(p => Wildcard.Match(p, name));
        return named && (Requesters.Count == 0 || (subject.UserName is { } user && Requesters.Contains(user, StringComparer.Ordinal)));
    }
}

/// <summary>
/// Decides each namespace's <see cref="AdmissionMode"/> from its verdict, and for a Conditional one which requests pass
/// each conditional refusal. A refusal whose condition the pod's creator controls (labels, names of pods, runtime
/// classes, parameters, anything not understood) passes everyone, so it adds no escape; when every conditional
/// refusal is of that sort the namespace is Open.
/// </summary>
internal static class AdmissionEscapes
{
    private static readonly Regex RequestOnlyUserInfo = new(@"\b(object|oldObject|params|namespaceObject|variables|authorizer)\b", RegexOptions.CultureInvariant);

    public static NamespaceAdmission For(NamespaceFindings result, PolicyInputs inputs, PodSecurityConfiguration? psa, RbacSnapshot rbac, IReadOnlyList<HostNetworkPod> pods)
    {
        var refusals = result.EnforcedBy.Concat(result.Conditional).ToList();
        switch (result.Status)
        {
            case NamespaceStatus.Compliant:
                // Every enforcing refusal must be passed. One that refuses every hostNetwork pod closes the namespace;
                // the module's own targeted policy, verified by the audit, is passed through its exceptions here.
                var own = new List<Escape>();
                foreach (var finding in result.EnforcedBy)
                {
                    if (!result.OwnPolicyExceptions.TryGetValue(NamespaceFindings.OwnPolicyKey(finding.Engine, finding.Policy), out var exceptions)
                        || TargetedPolicy(finding.Policy, exceptions) is not { } escape)
                    {
                        return new NamespaceAdmission(result.Namespace.Name, result.Status, AdmissionMode.Closed, Array.Empty<Escape>(), refusals, pods);
                    }

                    own.Add(escape);
                }

                return new NamespaceAdmission(result.Namespace.Name, result.Status, own.Count == 0 ? AdmissionMode.Closed : AdmissionMode.Restricted, own, refusals, pods);
            case NamespaceStatus.Conditional:
                var escapes = new List<Escape>();
                foreach (var finding in result.Conditional)
                {
                    if (Classify(finding, result.Namespace.Name, inputs, psa, rbac) is { } escape)
                    {
                        escapes.Add(escape);
                    }
                }

                return new NamespaceAdmission(result.Namespace.Name, result.Status, escapes.Count == 0 ? AdmissionMode.Open : AdmissionMode.Restricted, escapes, refusals, pods);
            default:
                return new NamespaceAdmission(result.Namespace.Name, result.Status, AdmissionMode.Open, Array.Empty<Escape>(), refusals, pods);
        }
    }

    /// <summary>The escape of one conditional refusal, or null when its creator can escape it (everyone passes).</summary>
    private static Escape? Classify(Finding finding, string ns, PolicyInputs inputs, PodSecurityConfiguration? psa, RbacSnapshot rbac) => finding.Engine switch
    {
        PolicyEngine.PodSecurityAdmission => PodSecurity(psa),
        PolicyEngine.ValidatingAdmissionPolicy => ValidatingAdmissionPolicy(finding, ns, inputs),
        PolicyEngine.Kyverno when finding.Kind == "ValidatingPolicy" => KyvernoValidatingPolicy(finding, ns, inputs),
        PolicyEngine.Kyverno => KyvernoRule(finding, ns, inputs, rbac),
        _ => null,
    };

    /// <summary>
    /// The module's targeted policy (issue 10): each exception admits the workload it names, by kind and exact name,
    /// created, updated or recreated by its declared requesters (by anyone when it declares none); the controllers
    /// then create the ReplicaSets, Jobs and pods of the chain, which only the control plane can. Mirror pods are
    /// admitted for node identities only, which the Node authorizer, not RBAC, grants (outside this lower bound; the
    /// residual-trust list names node credentials). Null when no exception applies: the policy refuses every pod.
    /// </summary>
    private static Escape? TargetedPolicy(string policy, IReadOnlyList<Policy.Targeted.PolicyException> exceptions)
    {
        var alternatives = new List<Escape>();
        foreach (var e in exceptions.Where(e => e.Shape == Policy.Targeted.ExceptionShape.Workload))
        {
            var resource = PermissionCatalog.ResourceOfKind(e.Kind)
                ?? (e.Group is { Length: > 0 } group ? PermissionCatalog.CustomKind(group + "/v1", e.Kind) : null);
            if (resource is not null)
            {
                var who = e.Requesters.Count == 0 ? string.Empty : $", requesters {string.Join(", ", e.Requesters)}";
                alternatives.Add(new WorkloadEscape($"exception: HostNetAudit targeted policy {policy} ({e.Kind} {e.Name}{who}: {e.Justification})", resource.Group, resource.Resource, new[] { e.Name }, e.Requesters));
            }
        }

        return alternatives.Count switch
        {
            0 => null,
            1 => alternatives[0],
            _ => new AnyEscape(alternatives),
        };
    }

    /// <summary>PSA exemptions: usernames are identities; an exempt runtime class is the pod creator's choice.</summary>
    private static Escape? PodSecurity(PodSecurityConfiguration? psa)
    {
        if (psa is null || psa.ExemptUsernames.Count == 0 || psa.ExemptRuntimeClasses.Count > 0)
        {
            return null;
        }

        var users = psa.ExemptUsernames.ToHashSet(StringComparer.Ordinal);
        return new IdentityEscape($"exception: Pod Security exemptions.usernames {string.Join(", ", psa.ExemptUsernames)} ('{psa.Source}')", s => s.UserName is { } u && users.Contains(u));
    }

    private static Escape? ValidatingAdmissionPolicy(Finding finding, string ns, PolicyInputs inputs)
    {
        const string group = "admissionregistration.k8s.io";
        var policy = inputs.Of(group, "ValidatingAdmissionPolicy").FirstOrDefault(p => p.Name == finding.Policy);
        var binding = inputs.Of(group, "ValidatingAdmissionPolicyBinding").FirstOrDefault(b => b.Name == finding.Rule);
        if (policy is null || binding is null || policy.Spec.Get("paramKind").Exists() ||
            !LabelSelector.SelectsEverything(policy.Spec.Get("matchConstraints", "objectSelector")) ||
            !LabelSelector.SelectsEverything(binding.Spec.Get("matchResources", "objectSelector")))
        {
            return null;
        }

        return UserInfoConditions(CelPolicySources.FromValidatingAdmissionPolicy(policy.Object), ns, inputs, $"ValidatingAdmissionPolicy {policy.Name}");
    }

    private static Escape? KyvernoValidatingPolicy(Finding finding, string ns, PolicyInputs inputs)
    {
        var policy = inputs.Of("policies.kyverno.io", "ValidatingPolicy").FirstOrDefault(p => p.Name == finding.Policy);
        return policy is null || !LabelSelector.SelectsEverything(policy.Spec.Get("matchConstraints", "objectSelector"))
            ? null
            : UserInfoConditions(CelPolicySources.FromKyvernoValidatingPolicy(policy.Object), ns, inputs, $"Kyverno ValidatingPolicy {policy.Name}");
    }

    /// <summary>
    /// A CEL policy whose only condition is on the requesting user: matchConditions that read nothing but
    /// request (userInfo), and validations the creator cannot escape. Each identity is judged by running the
    /// conditions with its user name and groups; a condition that cannot be run lets the identity through.
    /// </summary>
    private static Escape? UserInfoConditions(CelPolicy policy, string ns, PolicyInputs inputs, string name)
    {
        if (policy.MatchConditions.Count == 0 || policy.MatchConditions.Any(c => RequestOnlyUserInfo.IsMatch(c.Expression)) ||
            !policy.MatchConditions.Any(c => c.Expression.Contains("request.userInfo", StringComparison.Ordinal)))
        {
            return null;
        }

        var namespaceObject = inputs.Namespaces.FirstOrDefault(n => n.Name == ns)?.Object;
        if (CelVerdicts.Judge(policy, namespaceObject).PodFieldsEscape is not null)
        {
            return null;
        }

        var match = CelVerdicts.MatchPolicy(policy.Dialect, policy.Name, policy.MatchConditions)!;
        var cache = new Dictionary<Subject, bool>();
        bool Skips(Subject subject)
        {
            lock (cache)
            {
                if (!cache.TryGetValue(subject, out var skips))
                {
                    var user = subject.AsAuthenticatedUser();
                    var judgement = CelJudge.JudgeValidations(match, new CelAdmissionInput
                    {
                        ReferencePod = ReferencePod.Reference(ns),
                        TwinPod = ReferencePod.Twin(ns),
                        NamespaceObject = namespaceObject,
                        UserInfo = new CelUserInfo(user.Name, user.Groups),
                    });
                    skips = judgement.ExcludedByMatchCondition is not null || judgement.Verdict is not (CelVerdict.Refuses or CelVerdict.DeniesBoth);
                    cache[subject] = skips;
                }

                return skips;
            }
        }

        return new IdentityEscape($"exception: matchConditions of {name} on request.userInfo", Skips);
    }

    /// <summary>
    /// A Kyverno rule: identities its exclude names (subjects, roles, clusterRoles) pass; PolicyExceptions that name
    /// the rule pass the workloads, identities or everyone they match. Anything else conditional (selectors, names,
    /// annotations, preconditions, anyPattern, deny conditions, match subjects) is the creator's choice.
    /// </summary>
    private static Escape? KyvernoRule(Finding finding, string ns, PolicyInputs inputs, RbacSnapshot rbac)
    {
        var policy = inputs.Of("kyverno.io", finding.Kind).FirstOrDefault(p => p.QualifiedName == finding.Policy);
        var rule = policy?.Spec.Get("rules").Items().FirstOrDefault(r => r.Get("name").AsString() == finding.Rule);
        if (policy is null || rule is not { } r || CreatorControlled(r) || policy.Spec.Get("webhookConfiguration", "matchConditions").Exists() ||
            inputs.KyvernoConfigMap?.Object.Get("data", "matchConditions").Exists() == true)
        {
            return null;
        }

        var alternatives = new List<Escape>();
        foreach (var filter in Filters(r.Get("exclude")))
        {
            if (ResourceFiltered(filter.Get("resources")))
            {
                return null;
            }

            if (KyvernoSubjects(filter, rbac, $"exclude of Kyverno {finding.Kind} {finding.Policy} rule {finding.Rule}") is { } identity)
            {
                alternatives.Add(identity);
            }
        }

        foreach (var exception in inputs.Of("kyverno.io", "PolicyException").Where(e => Names(e, policy.Name, finding.Rule ?? string.Empty)))
        {
            if (!exception.Spec.Get("conditions").Exists() && !exception.Spec.Get("podSecurity").Exists())
            {
                foreach (var filter in Filters(exception.Spec.Get("match")))
                {
                    var resources = filter.Get("resources");
                    if (resources.Get("namespaces").Exists() && !resources.Get("namespaces").Items().Any(n => Wildcard.Match(n.AsString() ?? string.Empty, ns)))
                    {
                        continue;
                    }

                    if (resources.Get("selector").Exists() || resources.Get("annotations").Exists() || resources.Get("namespaceSelector").Exists())
                    {
                        return null;
                    }

                    var where = $"Kyverno PolicyException {exception.QualifiedName}";
                    if (KyvernoSubjects(filter, rbac, where) is { } identity)
                    {
                        alternatives.Add(identity);
                        continue;
                    }

                    var names = resources.Get("names").Items().Select(n => n.AsString()).OfType<string>().ToList();
                    if (resources.Get("name").AsString() is { } single)
                    {
                        names.Add(single);
                    }

                    if (names.Count == 0)
                    {
                        return null; // every object of its kinds: the creator's choice
                    }

                    foreach (var kind in resources.Get("kinds").Items().Select(k => k.AsString()).OfType<string>())
                    {
                        if (PermissionCatalog.ResourceOfKind(kind.Split('/')[^1]) is { } resource)
                        {
                            alternatives.Add(new WorkloadEscape($"exception: {where} ({kind} {string.Join(", ", names)})", resource.Group, resource.Resource, names, Array.Empty<string>()));
                        }
                    }
                }
            }
            else
            {
                return null;
            }
        }

        return alternatives.Count switch
        {
            0 => null,
            1 => alternatives[0],
            _ => new AnyEscape(alternatives),
        };
    }

    private static bool CreatorControlled(JsonElement rule) =>
        rule.Get("preconditions").Exists() || rule.Get("validate", "anyPattern").Exists() || rule.Get("validate", "deny").Exists() ||
        Filters(rule.Get("match")).Any(f => ResourceFiltered(f.Get("resources")) || f.Get("subjects").Exists() || f.Get("roles").Exists() || f.Get("clusterRoles").Exists());

    private static bool ResourceFiltered(JsonElement resources) =>
        resources.Get("selector").Exists() || resources.Get("names").Exists() || resources.Get("name").Exists() || resources.Get("annotations").Exists();

    /// <summary>A match or exclude block's filters: itself, and the entries of any and all.</summary>
    private static IEnumerable<JsonElement> Filters(JsonElement block)
    {
        if (!block.Exists())
        {
            yield break;
        }

        if (block.Properties().Any(p => p.Name is not ("any" or "all")))
        {
            yield return block;
        }

        foreach (var entry in block.Get("any").Items().Concat(block.Get("all").Items()))
        {
            yield return entry;
        }
    }

    private static bool Names(PolicyObject exception, string policyName, string rule) =>
        exception.Spec.Get("exceptions").Items().Any(e =>
            e.Get("policyName").AsString() == policyName &&
            e.Get("ruleNames").Items().Any(n => n.AsString() is { } name && (Wildcard.Match(name, rule) || Wildcard.Match(name, "autogen-" + rule))));

    /// <summary>Kyverno's subjects (User, Group, ServiceAccount with namespace), roles ("namespace:name") and clusterRoles:
    /// the roles Kyverno finds bound to the requesting user.</summary>
    private static IdentityEscape? KyvernoSubjects(JsonElement filter, RbacSnapshot rbac, string where)
    {
        var subjects = filter.Get("subjects").Items()
            .Select(s => Subject.Of(s.Get("kind").AsString() ?? string.Empty, s.Get("name").AsString() ?? string.Empty, s.Get("namespace").AsString()))
            .ToList();
        var roles = filter.Get("roles").Items().Select(r => r.AsString()).OfType<string>().ToList();
        var clusterRoles = filter.Get("clusterRoles").Items().Select(r => r.AsString()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (subjects.Count == 0 && roles.Count == 0 && clusterRoles.Count == 0)
        {
            return null;
        }

        bool Bound(Subject subject) => rbac.BindingsOf(subject.AsUser()).Any(b =>
            (b.Binding.RoleKind == "ClusterRole" && clusterRoles.Contains(b.Binding.RoleName)) ||
            (b.Binding.RoleKind == "Role" && roles.Contains(b.Binding.Namespace + ":" + b.Binding.RoleName, StringComparer.Ordinal)));

        var named = string.Join(", ", subjects.Select(s => s.Text).Concat(roles.Select(r => "Role " + r)).Concat(clusterRoles.Select(r => "ClusterRole " + r)));
        return new IdentityEscape($"exception: {where} ({named})", s => subjects.Contains(s) || Bound(s));
    }

    /// <summary>Several alternative ways past one refusal (a rule's exclude, its PolicyExceptions): any of them will do.</summary>
    private sealed class AnyEscape : Escape
    {
        private readonly IReadOnlyList<Escape> alternatives;

        public AnyEscape(IReadOnlyList<Escape> alternatives)
            : base(string.Join(" or ", alternatives.Select(a => a.Description)))
        {
            this.alternatives = alternatives;
        }

        public override IEnumerable<(string Group, string Resource, string Name)> NamedObjects => alternatives.SelectMany(a => a.NamedObjects);

        public override bool Admits(Subject subject, ResourceAttributes action)
        {
            foreach (var alternative in alternatives)
            {
                if (alternative.Admits(subject, action))
                {
                    return true;
                }
            }

            return false;
        }
    }
}

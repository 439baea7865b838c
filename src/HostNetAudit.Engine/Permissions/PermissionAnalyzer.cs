using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;

namespace HostNetAudit.Engine.Permissions;

/// <summary>Everything the permission analysis reads, from one evidence source.</summary>
internal sealed class PermissionEvidence
{
    public required string Context { get; init; }

    public required RbacSnapshot Rbac { get; init; }

    /// <summary>The namespace verdicts (Test-NamespacePolicy) of the namespaces asked about.</summary>
    public required IReadOnlyList<NamespaceFindings> Results { get; init; }

    /// <summary>The policy objects and the hostNetwork pods the verdicts were judged from.</summary>
    public required PolicyInputs Policy { get; init; }

    public PodSecurityConfiguration? PodSecurity { get; init; }

    public required ExemptionSet Exemptions { get; init; }
}

/// <summary>
/// Who can get a hostNetwork pod admitted, per namespace (docs/design.md, "Who can get a hostNetwork pod admitted").
/// Each identity a binding names is judged exactly as that subject (a user or service account without other groups,
/// a group's member): its bindings' roles, resolved as the RBAC authorizer resolves them, against the requests of
/// <see cref="PermissionCatalog"/> and the namespace's <see cref="NamespaceAdmission"/>. Then what an identity can
/// become (a service account whose pod or token it can make, an identity it can impersonate, a node) passes that
/// identity's paths on to it. system:masters and nodes are added by rule. The cost follows the number of bindings
/// and namespaces reported on, never a request.
/// </summary>
internal sealed class PermissionAnalyzer
{
    private const int BecomeRounds = 3;
    private static readonly string[] NotEvaluated = { "Webhook", "ABAC" };
    private static readonly string[] PathOrder = { PathTypes.Open, PathTypes.ViaException, PathTypes.UsesExistingPod, PathTypes.Escalation };
    private readonly PermissionEvidence evidence;
    private readonly RbacSnapshot rbac;
    private readonly List<NamespaceAdmission> covered;
    private readonly Dictionary<string, NamespaceAdmission> coveredByName;
    private readonly IReadOnlyList<KindResource> customKinds;
    private readonly Dictionary<Subject, Actor> actors = new();
    private readonly Dictionary<string, List<ServiceAccountInfo>> serviceAccountsByNamespace;
    private readonly IReadOnlyList<ResourceAttributes> probes;
    private readonly Dictionary<RbacRule, bool> counts = new();

    private PermissionAnalyzer(PermissionEvidence evidence)
    {
        this.evidence = evidence;
        rbac = evidence.Rbac;
        var pods = evidence.Policy.HostNetworkPodObjects.ToLookup(p => p.Namespace, StringComparer.Ordinal);
        covered = evidence.Results
            .Select(r => AdmissionEscapes.For(r, evidence.Policy, evidence.PodSecurity, rbac, pods[r.Namespace.Name].ToList()))
            .Where(a => a.Covered)
            .ToList();
        coveredByName = covered.ToDictionary(c => c.Namespace, StringComparer.Ordinal);
        customKinds = PermissionCatalog.CustomOwnerKinds(evidence.Policy.HostNetworkPodObjects);
        var constraints = covered.SelectMany(c => c.Refusals).Where(f => f.Engine == PolicyEngine.Gatekeeper)
            .Select(f => new KindResource("constraints.gatekeeper.sh", f.Kind.ToLowerInvariant(), f.Kind));
        probes = PermissionCatalog.Probes(customKinds.Concat(constraints).Distinct());
        serviceAccountsByNamespace = rbac.ServiceAccounts.GroupBy(s => s.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }

    /// <summary>The namespaces reported on, with their admission mode (the audit counts identities of the admitting ones).</summary>
    public IReadOnlyList<NamespaceAdmission> Covered => covered;

    public static (IReadOnlyList<HostNetworkPermission> Records, IReadOnlyList<NamespaceAdmission> Covered) Analyze(PermissionEvidence evidence, CancellationToken cancellationToken)
    {
        var analyzer = new PermissionAnalyzer(evidence);
        return (analyzer.Run(cancellationToken), analyzer.Covered);
    }

    private List<HostNetworkPermission> Run(CancellationToken cancellationToken)
    {
        // The identities the bindings name, and those two authorizers grant by rule.
        foreach (var binding in rbac.Bindings)
        {
            foreach (var subject in binding.Subjects)
            {
                if (ToSubject(subject, binding) is { } s)
                {
                    ActorOf(s);
                }
            }
        }

        ActorOf(new Subject(Subject.Group, Identities.Masters, null));
        ActorOf(new Subject(Subject.Group, Identities.Nodes, null));

        var records = new List<Path>();
        foreach (var actor in actors.Values.ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            records.AddRange(OwnPaths(actor));
        }
        records.AddRange(BecomePaths(records, cancellationToken));
        var output = records.Select(ToRecord).ToList();
        output.AddRange(LatentBindings());
        return output
            .OrderBy(r => r.Namespace, StringComparer.Ordinal)
            .ThenBy(r => Array.IndexOf(PathOrder, r.PathType))
            .ThenBy(r => r.Subject, StringComparer.Ordinal)
            .ThenBy(r => r.PathText, StringComparer.Ordinal)
            .ToList();
    }

    private static Subject? ToSubject(RbacBindingSubject subject, RbacBinding binding) => subject.Kind switch
    {
        Subject.User or Subject.Group => Subject.Of(subject.Kind, subject.Name, null),
        Subject.ServiceAccount when (subject.Namespace ?? binding.Namespace) is { Length: > 0 } ns => Subject.Of(subject.Kind, subject.Name, ns),
        _ => null,
    };

    /// <summary>The identity with the grants that name it exactly (what it can do as itself).</summary>
    private Actor ActorOf(Subject subject)
    {
        if (!actors.TryGetValue(subject, out var actor))
        {
            actor = new Actor(subject, GrantsOf(subject.AsUser(), subject));
            actors[subject] = actor;
        }

        return actor;
    }

    private List<Grant> GrantsOf(RbacUser user, Subject subject)
    {
        var grants = new List<Grant>();
        if (subject.Kind == Subject.Group && subject.Name == Identities.Masters)
        {
            // Allowed before RBAC is asked: its bindings (cluster-admin's, on every cluster) add nothing.
            grants.Add(Grant.ByRule("PrivilegedGroup", "system:masters: allowed before RBAC is asked", RbacRule.Of("*", "*", "*")));
            return grants;
        }
        else if (subject.Kind == Subject.Group && subject.Name == Identities.Nodes)
        {
            grants.Add(Grant.ByRule("Node", "Node authorizer: a node creates the mirror pods of its static pods", RbacRule.Of(string.Empty, "pods", "create")));
        }

        foreach (var (binding, _) in rbac.BindingsOf(user))
        {
            if (rbac.RoleOf(binding) is { } role && grants.All(g => g.Binding != binding))
            {
                grants.Add(new Grant(binding, role, rbac));
            }
        }

        return grants;
    }

    /// <summary>What an identity can do in each namespace reported on by its own rights.</summary>
    private IEnumerable<Path> OwnPaths(Actor actor)
    {
        if (!Counts(actor))
        {
            yield break;
        }

        // A RoleBinding grants in its namespace only: an actor without a ClusterRoleBinding is judged where it has one.
        IEnumerable<NamespaceAdmission> namespaces = actor.Grants.Any(g => g.Scope is null)
            ? covered
            : actor.Grants.Select(g => g.Scope!).Distinct(StringComparer.Ordinal).Select(n => coveredByName.GetValueOrDefault(n)).OfType<NamespaceAdmission>().OrderBy(n => covered.IndexOf(n));
        foreach (var ns in namespaces)
        {
            foreach (var path in PathsIn(actor, ns))
            {
                yield return path;
            }
        }
    }

    private IEnumerable<Path> PathsIn(Actor actor, NamespaceAdmission ns)
    {
        var admitted = false;
        if (ns.Mode == AdmissionMode.Open)
        {
            foreach (var grant in actor.Grants)
            {
                var allowed = PermissionCatalog.OpenActions(ns.Namespace, customKinds).Where(a => grant.Allows(a) is not null).ToList();
                if (allowed.Count > 0)
                {
                    admitted = true;
                    yield return Path.Own(actor.Subject, ns, PathTypes.Open, grant, Primary(allowed), Array.Empty<string>(), $"{actor.Subject.Text} can {Describe(Primary(allowed))}, and {ns.Namespace} admits any hostNetwork pod ({ns.State}).");
                    continue;
                }

                // A rule limited by resourceNames: the objects it names can still be changed (or applied) into hostNetwork.
                var way = NamedWays(grant, ns.Namespace).FirstOrDefault(w => w.All(a => grant.Allows(a) is not null));
                if (way is not null)
                {
                    admitted = true;
                    yield return Path.Own(actor.Subject, ns, PathTypes.Open, grant, way, Array.Empty<string>(), $"{actor.Subject.Text} can {string.Join(" and ", way.Select(Describe))}, and {ns.Namespace} admits any hostNetwork pod ({ns.State}).");
                }
            }
        }
        else if (ns.Mode == AdmissionMode.Restricted)
        {
            var candidates = RestrictedCandidates(ns).ToList();
            foreach (var grant in actor.Grants)
            {
                foreach (var way in candidates)
                {
                    if (way.All(a => grant.Allows(a) is not null) && way.All(a => ns.Escapes.All(e => e.Admits(actor.Subject, a))))
                    {
                        admitted = true;
                        var escapes = ns.Escapes.Select(e => e.Description).ToArray();
                        yield return Path.Own(actor.Subject, ns, PathTypes.ViaException, grant, way, escapes, $"{actor.Subject.Text} can {string.Join(" and ", way.Select(Describe))}, which {string.Join("; ", escapes)} lets through.");
                        break;
                    }
                }
            }
        }

        foreach (var pod in ns.Pods)
        {
            foreach (var grant in actor.Grants)
            {
                var action = PermissionCatalog.ExistingPodActions(pod).FirstOrDefault(a => grant.Allows(a) is not null);
                if (action.Verb is not null)
                {
                    yield return Path.Own(actor.Subject, ns, PathTypes.UsesExistingPod, grant, new[] { action }, new[] { $"hostNetwork pod {pod.Namespace}/{pod.Name}" }, $"{actor.Subject.Text} can {Describe(action)}, inside the running hostNetwork pod {pod.Name}.");
                }
            }
        }

        if (!admitted && ns.Mode != AdmissionMode.Closed)
        {
            var escalated = false;
            foreach (var path in SelfEscalations(actor, ns))
            {
                escalated = true;
                yield return path;
            }

            if (!escalated)
            {
                foreach (var path in UidOrExtraImpersonation(actor, ns))
                {
                    yield return path;
                }
            }
        }
    }

    /// <summary>The ways to change the objects a grant's resourceNames rules name into hostNetwork pods.</summary>
    private IEnumerable<ResourceAttributes[]> NamedWays(Grant grant, string ns) =>
        grant.Rules.Where(r => r.ResourceNames.Count > 0)
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(x => (Group: g, Resource: x))).Where(x => PermissionCatalog.MakesPods(x.Group, x.Resource, customKinds)).SelectMany(x => r.ResourceNames.Select(n => (x.Group, x.Resource, Name: n))))
            .Distinct()
            .SelectMany(x => PermissionCatalog.NamedObjectWays(x.Group, x.Resource, ns, x.Name));

    /// <summary>The requests that get a hostNetwork pod past a Restricted namespace's exceptions: the open actions, and
    /// the ways to update, patch or recreate each object an exception names.</summary>
    private IEnumerable<ResourceAttributes[]> RestrictedCandidates(NamespaceAdmission ns)
    {
        foreach (var action in PermissionCatalog.OpenActions(ns.Namespace, customKinds))
        {
            yield return new[] { action };
        }

        var named = ns.Escapes.SelectMany(e => e.NamedObjects)
            .Concat(ns.Pods.Where(p => p.OwnerKind is not null && p.OwnerName is not null && PermissionCatalog.ResourceOfKind(p.OwnerKind) is not null)
                .Select(p => PermissionCatalog.ResourceOfKind(p.OwnerKind!)! is var r ? (r.Group, r.Resource, p.OwnerName!) : default))
            .Distinct();
        foreach (var (group, resource, name) in named)
        {
            foreach (var way in PermissionCatalog.NamedObjectWays(group, resource, ns.Namespace, name))
            {
                yield return way;
            }
        }
    }

    /// <summary>
    /// Making itself able in a namespace that admits hostNetwork pods (for it, or for an exception it can reach): bind a
    /// role that grants a path here into a new binding, escalate a role it is bound to, or switch every refusal off
    /// when it can already create what the refusal stops.
    /// </summary>
    private IEnumerable<Path> SelfEscalations(Actor actor, NamespaceAdmission ns)
    {
        // bind + create rolebindings (or clusterrolebindings): bind a role whose rules give a path here.
        var bindingCreators = new[]
        {
            (Create: new ResourceAttributes("create", PermissionCatalog.Rbac, "rolebindings", string.Empty, ns.Namespace, string.Empty), BindScope: ns.Namespace),
            (Create: new ResourceAttributes("create", PermissionCatalog.Rbac, "clusterrolebindings", string.Empty, string.Empty, string.Empty), BindScope: string.Empty),
        };
        foreach (var (create, bindScope) in bindingCreators)
        {
            if (actor.Find(create) is not { } creator)
            {
                continue;
            }

            var candidates = rbac.ClusterRoles.Select(r => (Role: r, Bind: new ResourceAttributes("bind", PermissionCatalog.Rbac, "clusterroles", string.Empty, bindScope, r.Name)));
            if (bindScope.Length > 0)
            {
                candidates = rbac.Roles.Where(r => r.Namespace == ns.Namespace).Select(r => (Role: r, Bind: new ResourceAttributes("bind", PermissionCatalog.Rbac, "roles", string.Empty, bindScope, r.Name))).Concat(candidates);
            }

            foreach (var (role, bind) in candidates.OrderBy(c => c.Role.Name, StringComparer.Ordinal))
            {
                if (actor.Find(bind) is { } binder && GivesPath(role, actor.Subject, ns))
                {
                    yield return Path.Escalation(actor.Subject, ns, new[] { (creator, create), (binder, bind) }, new[] { $"binds {role.Describe()} to itself" }, $"{actor.Subject.Text} can {Describe(create)} and bind {role.Describe()}, which grants a path to a hostNetwork pod here.");
                    break;
                }
            }
        }

        // escalate + update on a role it is bound to where that binding grants here: it can add any rule to it.
        foreach (var grant in actor.Grants.Where(g => g.Binding is not null && (g.Scope is null || g.Scope == ns.Namespace)))
        {
            var role = grant.Role!;
            var resource = role.Kind == "Role" ? "roles" : "clusterroles";
            var scope = role.Namespace ?? string.Empty;
            var escalate = new ResourceAttributes("escalate", PermissionCatalog.Rbac, resource, string.Empty, scope, role.Name);
            var update = new[] { "update", "patch" }.Select(v => escalate with { Verb = v }).FirstOrDefault(a => actor.Find(a) is not null);
            if (update.Verb is not null && actor.Find(escalate) is { } escalator)
            {
                yield return Path.Escalation(actor.Subject, ns, new[] { (escalator, escalate), (actor.Find(update)!, update) }, new[] { $"adds a rule to {role.Describe()}, bound to it by {grant.Binding!.Describe()}" }, $"{actor.Subject.Text} can escalate and {update.Verb} {role.Describe()}, which it is bound to here.");
                break;
            }
        }

        // switch the refusals off: it can already create what they stop, and can change every one of them.
        if (ns.Mode == AdmissionMode.Restricted && ns.Refusals.Count > 0)
        {
            var open = PermissionCatalog.OpenActions(ns.Namespace, customKinds).Select(a => (Grant: actor.Find(a), Action: a)).FirstOrDefault(x => x.Grant is not null);
            if (open.Grant is null)
            {
                yield break;
            }

            var steps = new List<(Grant, ResourceAttributes)> { (open.Grant, open.Action) };
            foreach (var refusal in ns.Refusals)
            {
                var weakening = PermissionCatalog.Weakening(refusal, ns.Namespace, evidence.Policy).Select(a => (Grant: actor.Find(a), Action: a)).FirstOrDefault(x => x.Grant is not null);
                if (weakening.Grant is null)
                {
                    yield break;
                }

                steps.Add((weakening.Grant, weakening.Action));
            }

            yield return Path.Escalation(actor.Subject, ns, steps, new[] { "switches off " + string.Join(", ", ns.Refusals.Select(r => r.ToRecord().ShortName)) }, $"{actor.Subject.Text} can {Describe(open.Action)} and switch off every refusal here ({string.Join("; ", steps.Skip(1).Select(s => Describe(s.Item2)))}).");
        }
    }

    /// <summary>Impersonating a uid or a user extra: no identity by itself, but what webhook authorizers (not
    /// evaluated) may grant by; counted in every namespace that admits hostNetwork pods where the actor has no path.</summary>
    private static IEnumerable<Path> UidOrExtraImpersonation(Actor actor, NamespaceAdmission ns)
    {
        foreach (var grant in actor.Grants.Where(g => g.Scope is null))
        {
            foreach (var action in grant.Rules.SelectMany(PermissionCatalog.ImpersonatesUidOrExtra))
            {
                if (grant.Allows(action) is not null)
                {
                    yield return Path.Escalation(actor.Subject, ns, new[] { (grant, action) }, new[] { $"impersonates a {(action.Resource == "uids" ? "uid" : "user extra")}, which webhook authorizers (not evaluated) may grant by" }, $"{actor.Subject.Text} can {Describe(action)}; webhook authorizers, which are not evaluated, may grant an impersonated uid or user extra a path here.");
                    yield break;
                }
            }
        }
    }

    /// <summary>Whether binding a role to the subject here would give it a path to a hostNetwork pod.</summary>
    private bool GivesPath(RbacRole role, Subject subject, NamespaceAdmission ns)
    {
        if (ns.Mode == AdmissionMode.Open)
        {
            return PermissionCatalog.OpenActions(ns.Namespace, customKinds).Any(a => role.Rules.Any(r => r.Allows(a)));
        }

        return RestrictedCandidates(ns).Any(way => way.All(a => role.Rules.Any(r => r.Allows(a)) && ns.Escapes.All(e => e.Admits(subject, a))));
    }

    /// <summary>
    /// What an identity can become, and so do: a service account (a pod in its namespace mounts it, a token request,
    /// a token Secret it creates or reads, impersonation), with that account's groups; an identity it may impersonate;
    /// a node (a kubelet client certificate it can request and approve). The target's paths become the identity's
    /// Escalation paths in namespaces where it has no path of its own, one per first request; chains of such steps
    /// are followed <see cref="BecomeRounds"/> deep. Identities that can already do everything (all verbs on all
    /// resources, cluster-wide) and the control plane's own take no such steps.
    /// </summary>
    private List<Path> BecomePaths(List<Path> own, CancellationToken cancellationToken)
    {
        var known = own.GroupBy(p => p.Subject).ToDictionary(g => g.Key, g => g.ToList());
        var busy = own.Select(p => (p.Subject, p.Namespace.Namespace)).ToHashSet();
        var emitted = new HashSet<(Subject, string, string)>();
        var edges = actors.Values
            .Where(a => Counts(a) && !Identities.IsControlPlane(a.Subject) && !a.Grants.Any(g => g.Scope is null && g.Rules.Any(IsEverything)))
            .ToDictionary(a => a.Subject, Edges);
        var result = new List<Path>();
        for (var round = 0; round < BecomeRounds; round++)
        {
            var added = new List<Path>();
            foreach (var (subject, actorEdges) in edges)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var edge in actorEdges)
                {
                    if (!known.TryGetValue(edge.Target, out var targetPaths))
                    {
                        continue;
                    }

                    foreach (var path in targetPaths.OrderBy(p => Array.IndexOf(PathOrder, p.PathType)).ToList())
                    {
                        var ns = path.Namespace.Namespace;
                        if (!busy.Contains((subject, ns)) && emitted.Add((subject, ns, edge.Key)))
                        {
                            added.Add(Path.Become(subject, path, edge));
                        }
                    }
                }
            }

            if (added.Count == 0)
            {
                break;
            }

            result.AddRange(added);
            foreach (var path in added)
            {
                if (!known.TryGetValue(path.Subject, out var list))
                {
                    list = new List<Path>();
                    known[path.Subject] = list;
                }

                list.Add(path);
            }
        }

        return result;
    }

    /// <summary>Whether some rule of the actor allows a request the analysis asks about (most bindings grant none).</summary>
    private bool Counts(Actor actor) => actor.Grants.Any(g => g.Rules.Any(r =>
    {
        if (!counts.TryGetValue(r, out var value))
        {
            value = PermissionCatalog.Counts(r, probes);
            counts[r] = value;
        }

        return value;
    }));

    private static bool IsEverything(RbacRule rule) => rule.Verbs.Contains("*") && rule.ApiGroups.Contains("*") && rule.Resources.Contains("*");

    /// <summary>The identities an actor can become, each with the requests it takes.</summary>
    private List<Edge> Edges(Actor actor)
    {
        var edges = new List<Edge>();
        void Add(Subject target, string step, params ResourceAttributes[] actions)
        {
            if (target == actor.Subject || !actors.ContainsKey(target))
            {
                return;
            }

            var steps = new List<(Grant, ResourceAttributes)>();
            foreach (var action in actions)
            {
                if (actor.Find(action) is not { } grant)
                {
                    return;
                }

                steps.Add((grant, action));
            }

            edges.Add(new Edge(target, step, steps, string.Join("; ", actions.Select(a => a.ToString()))));
        }

        if (actor.Might("create", string.Empty, "pods", string.Empty) || actor.Might("create", string.Empty, "serviceaccounts", "token") ||
            actor.Might("create", string.Empty, "secrets", string.Empty) || actor.Might("get", string.Empty, "secrets", string.Empty) ||
            actor.Might("list", string.Empty, "secrets", string.Empty) || actor.Might("impersonate", string.Empty, "serviceaccounts", string.Empty))
        {
            var namespaces = actor.Grants.Any(g => g.Scope is null)
                ? serviceAccountsByNamespace.Keys.ToList()
                : actor.Grants.Select(g => g.Scope).OfType<string>().Distinct().Where(serviceAccountsByNamespace.ContainsKey).ToList();
            foreach (var ns in namespaces)
            {
                var createPod = new ResourceAttributes("create", string.Empty, "pods", string.Empty, ns, string.Empty);
                var createSecret = createPod with { Resource = "secrets" };
                var listSecrets = createSecret with { Verb = "list" };
                foreach (var sa in serviceAccountsByNamespace[ns])
                {
                    var account = new Subject(Subject.ServiceAccount, sa.Name, ns);
                    // A pod or token of the account carries its name and the service-account groups.
                    foreach (var target in new[] { account, new Subject(Subject.Group, Identities.ServiceAccounts + ":" + ns, null), new Subject(Subject.Group, Identities.ServiceAccounts, null) })
                    {
                        var who = target == account ? account.Text : $"{account.Text} (a member of {target.Name})";
                        Add(target, $"creates a pod in {ns} that mounts {who}", createPod);
                        Add(target, $"requests a token for {who}", new ResourceAttributes("create", string.Empty, "serviceaccounts", "token", ns, sa.Name));
                        Add(target, $"creates a service-account-token Secret for {who}", createSecret);
                        foreach (var secret in sa.TokenSecrets)
                        {
                            Add(target, $"lists the Secrets of {ns}, among them the token {secret} of {who}", listSecrets);
                            Add(target, $"reads the token Secret {secret} of {who}", new ResourceAttributes("get", string.Empty, "secrets", string.Empty, ns, secret));
                        }

                        Add(target, $"impersonates {who}", new ResourceAttributes("impersonate", string.Empty, "serviceaccounts", string.Empty, ns, sa.Name));
                    }
                }
            }
        }

        if (actor.Might("impersonate", string.Empty, "users", string.Empty))
        {
            foreach (var target in actors.Keys.Where(s => s.Kind != Subject.Group))
            {
                Add(target, $"impersonates {target.Text}", new ResourceAttributes("impersonate", string.Empty, "users", string.Empty, string.Empty, target.UserName!));
            }
        }

        if (actor.Might("impersonate", string.Empty, "groups", string.Empty))
        {
            foreach (var target in actors.Keys.Where(s => s.Kind == Subject.Group))
            {
                Add(target, $"impersonates the group {target.Name}", new ResourceAttributes("impersonate", string.Empty, "groups", string.Empty, string.Empty, target.Name));
            }
        }

        // A kubelet client certificate: create the request, approve it, for the kubelet client signer.
        if (actor.Might("approve", "certificates.k8s.io", "signers", string.Empty))
        {
            var csr = new ResourceAttributes("create", "certificates.k8s.io", "certificatesigningrequests", string.Empty, string.Empty, string.Empty);
            var approval = csr with { Verb = "update", Subresource = "approval" };
            var signer = new ResourceAttributes("approve", "certificates.k8s.io", "signers", string.Empty, string.Empty, "kubernetes.io/kube-apiserver-client-kubelet");
            if (actor.Find(signer) is null)
            {
                signer = signer with { Name = "kubernetes.io/*" };
            }

            Add(new Subject(Subject.Group, Identities.Nodes, null), "requests and approves a kubelet client certificate (a node's identity)", csr, approval, signer);
        }

        return edges;
    }

    private IEnumerable<HostNetworkPermission> LatentBindings()
    {
        var roleWriters = actors.Values.Where(a => a.Might("create", PermissionCatalog.Rbac, "roles", string.Empty)).ToList();
        var clusterRoleWriters = actors.Values.Where(a => a.Might("create", PermissionCatalog.Rbac, "clusterroles", string.Empty)).ToList();
        foreach (var binding in rbac.Bindings.Where(b => rbac.RoleOf(b) is null))
        {
            var roleResource = binding.RoleKind == "Role"
                ? new ResourceAttributes("create", PermissionCatalog.Rbac, "roles", string.Empty, binding.Namespace ?? string.Empty, string.Empty)
                : new ResourceAttributes("create", PermissionCatalog.Rbac, "clusterroles", string.Empty, string.Empty, string.Empty);
            var creators = (binding.RoleKind == "Role" ? roleWriters : clusterRoleWriters)
                .Where(a => a.Find(roleResource) is not null || (a.Find(roleResource with { Name = binding.RoleName }) is not null && a.Find(roleResource with { Verb = "patch", Name = binding.RoleName }) is not null))
                .Select(a => a.Subject.Text)
                .Order(StringComparer.Ordinal)
                .ToArray();
            foreach (var ns in covered.Where(c => c.Mode == AdmissionMode.Open && (binding.IsCluster || binding.Namespace == c.Namespace)))
            {
                foreach (var subject in binding.Subjects.Select(s => ToSubject(s, binding)).OfType<Subject>().Distinct())
                {
                    var record = NewRecord(subject, ns, PathTypes.Open, binding.RoleName);
                    record.Latent = true;
                    record.Path = new[] { binding.Describe(), binding.DescribeRole() + " (does not exist)" };
                    record.Resource = roleResource.ResourceText;
                    record.RoleCreators = creators;
                    record.Detail = $"{binding.Describe()} refers to {binding.DescribeRole()}, which does not exist: it grants {subject.Text} nothing now, and whoever creates it decides what it gets here" +
                        (creators.Length == 0 ? "." : $" (can create it: {string.Join(", ", creators)}).");
                    yield return record;
                }
            }
        }
    }

    private HostNetworkPermission ToRecord(Path path)
    {
        var record = NewRecord(path.Subject, path.Namespace, path.PathType, path.RoleName);
        record.Path = path.Links.ToArray();
        var primary = path.Actions[0];
        record.Resource = primary.ResourceText;
        record.Verbs = path.Actions.Where(a => a.ResourceText == primary.ResourceText && a.Name == primary.Name && a.Namespace == primary.Namespace).Select(a => a.Verb).Distinct().ToArray();
        record.Actions = path.Actions.Select(ToAction).ToArray();
        record.Authorizer = path.Authorizer;
        record.Detail = path.Detail;
        return record;
    }

    private HostNetworkPermission NewRecord(Subject subject, NamespaceAdmission ns, string pathType, string? roleName)
    {
        var declared = evidence.Exemptions.ForIdentity(evidence.Context, subject.Kind, subject.Name, subject.Namespace);
        return new HostNetworkPermission
        {
            Context = evidence.Context,
            Namespace = ns.Namespace,
            AdmissionState = ns.State.ToString(),
            SubjectKind = subject.Kind,
            SubjectName = subject.Name,
            SubjectNamespace = subject.Namespace,
            PathType = pathType,
            Category = Identities.Category(subject, roleName),
            AuthorizersNotEvaluated = NotEvaluated.ToArray(),
            Declared = declared is not null,
            Justification = declared?.Justification,
        };
    }

    private static PermissionAction ToAction(ResourceAttributes a) => new()
    {
        Verb = a.Verb,
        Group = a.Group,
        Resource = a.Resource,
        Subresource = a.Subresource.Length == 0 ? null : a.Subresource,
        Namespace = a.Namespace.Length == 0 ? null : a.Namespace,
        Name = a.Name.Length == 0 ? null : a.Name,
    };

    private static ResourceAttributes[] Primary(List<ResourceAttributes> allowed)
    {
        var first = allowed[0];
        return allowed.Where(a => a.Group == first.Group && a.Resource == first.Resource).ToArray();
    }

    private static string Describe(ResourceAttributes[] actions) => actions.Length == 1 ? Describe(actions[0]) : $"{string.Join("/", actions.Select(a => a.Verb))} {actions[0].ResourceText}";

    private static string Describe(ResourceAttributes a) => $"{a.Verb} {a.ResourceText}" + (a.Name.Length > 0 ? $" '{a.Name}'" : string.Empty) + (a.Namespace.Length > 0 ? $" in {a.Namespace}" : string.Empty);

    /// <summary>An identity and what names it.</summary>
    private sealed class Actor
    {
        private readonly Dictionary<ResourceAttributes, Grant?> found = new();

        public Actor(Subject subject, List<Grant> grants)
        {
            Subject = subject;
            Grants = grants;
        }

        public Subject Subject { get; }

        public List<Grant> Grants { get; }

        /// <summary>Whether some rule allows the verb on the resource at all, in any namespace or name (a cheap filter).</summary>
        public bool Might(string verb, string group, string resource, string subresource) =>
            Grants.Any(g => g.Rules.Any(r => r.Allows(new ResourceAttributes(verb, group, resource, subresource, string.Empty, string.Empty)) ||
                (r.ResourceNames.Count > 0 && r.Allows(new ResourceAttributes(verb, group, resource, subresource, string.Empty, r.ResourceNames[0])))));

        /// <summary>The first grant that allows the request (the authorizer's answer for this identity), or null.</summary>
        public Grant? Find(ResourceAttributes request)
        {
            if (!found.TryGetValue(request, out var grant))
            {
                var r = request;
                grant = Grants.FirstOrDefault(g => g.Allows(r) is not null);
                found[request] = grant;
            }

            return grant;
        }
    }

    /// <summary>One binding to an existing role (or a rule of another authorizer), and where it grants.</summary>
    private sealed class Grant
    {
        private readonly RbacSnapshot? rbac;
        private readonly Dictionary<ResourceAttributes, RbacRule?> allowed = new();

        public Grant(RbacBinding binding, RbacRole role, RbacSnapshot rbac)
        {
            Binding = binding;
            Role = role;
            Rules = role.Rules;
            Scope = binding.Namespace;
            Authorizer = "RBAC";
            this.rbac = rbac;
        }

        private Grant(string authorizer, string link, RbacRule rule)
        {
            Rules = new[] { rule };
            Authorizer = authorizer;
            ByRuleLink = link;
        }

        public RbacBinding? Binding { get; }

        public RbacRole? Role { get; }

        public IReadOnlyList<RbacRule> Rules { get; }

        /// <summary>The namespace a RoleBinding grants in; null: everywhere and at the cluster scope.</summary>
        public string? Scope { get; }

        public string Authorizer { get; }

        private string? ByRuleLink { get; }

        public static Grant ByRule(string authorizer, string link, RbacRule rule) => new(authorizer, link, rule);

        public RbacRule? Allows(ResourceAttributes request)
        {
            if (Scope is not null && request.Namespace != Scope)
            {
                return null;
            }

            // Rules do not read the namespace: one answer serves every namespace the grant covers.
            var key = request with { Namespace = string.Empty };
            if (!allowed.TryGetValue(key, out var found))
            {
                found = Rules.FirstOrDefault(r => r.Allows(key));
                allowed[key] = found;
            }

            return found;
        }

        /// <summary>The links of the chain: the binding, the role, and for an aggregated ClusterRole the roles the rule came from.</summary>
        public IEnumerable<string> Links(ResourceAttributes request)
        {
            if (ByRuleLink is not null)
            {
                return new[] { ByRuleLink };
            }

            var links = new List<string> { Binding!.Describe(), Role!.Describe() };
            if (Role.IsAggregated && Allows(request) is { } rule)
            {
                links.AddRange(rbac!.AggregationOrigin(Role, rule).Select(n => $"aggregated from ClusterRole {n}"));
            }

            return links;
        }
    }

    /// <summary>A step from one identity to another, with the requests it takes.</summary>
    private sealed record Edge(Subject Target, string Step, IReadOnlyList<(Grant Grant, ResourceAttributes Action)> Actions, string Key);

    /// <summary>A path before it becomes a record.</summary>
    private sealed record Path(Subject Subject, NamespaceAdmission Namespace, string PathType, IReadOnlyList<string> Links, IReadOnlyList<ResourceAttributes> Actions, string Authorizer, string? RoleName, string Detail)
    {
        public static Path Own(Subject subject, NamespaceAdmission ns, string pathType, Grant grant, ResourceAttributes[] actions, IReadOnlyList<string> after, string detail) =>
            new(subject, ns, pathType, grant.Links(actions[0]).Concat(after).ToList(), actions, grant.Authorizer, grant.Role?.Name, detail);

        public static Path Escalation(Subject subject, NamespaceAdmission ns, IReadOnlyList<(Grant Grant, ResourceAttributes Action)> steps, IReadOnlyList<string> after, string detail) =>
            new(subject, ns, PathTypes.Escalation, Chain(steps).Concat(after).ToList(), steps.Select(s => s.Action).ToList(), steps[0].Grant.Authorizer, steps[0].Grant.Role?.Name, detail);

        public static Path Become(Subject subject, Path target, Edge edge) =>
            new(
                subject,
                target.Namespace,
                PathTypes.Escalation,
                Chain(edge.Actions).Append(edge.Step).Append("as " + target.Subject.Text).Concat(target.Links).ToList(),
                edge.Actions.Select(a => a.Action).ToList(),
                edge.Actions[0].Grant.Authorizer,
                edge.Actions[0].Grant.Role?.Name,
                $"{subject.Text} {edge.Step}, and as {target.Subject.Text} ({target.PathType}): {target.Detail}");

        /// <summary>The grants' links in order, each grant once.</summary>
        private static IEnumerable<string> Chain(IReadOnlyList<(Grant Grant, ResourceAttributes Action)> steps)
        {
            var seen = new HashSet<Grant>();
            foreach (var (grant, action) in steps)
            {
                if (seen.Add(grant))
                {
                    foreach (var link in grant.Links(action))
                    {
                        yield return link;
                    }
                }
            }
        }
    }
}

using System.Text.Json;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy;

namespace HostNetAudit.Engine.Permissions;

/// <summary>A resource the catalog names: API group, plural resource and kind.</summary>
internal sealed record KindResource(string Group, string Resource, string Kind);

/// <summary>
/// What counts, in one place (docs/design.md, "Who can get a hostNetwork pod admitted"): the requests that make a
/// hostNetwork pod in a namespace, that act inside a running one, and that switch a namespace's refusal off.
/// </summary>
internal static class PermissionCatalog
{
    public const string Rbac = "rbac.authorization.k8s.io";

    /// <summary>The kinds that make pods from a template: create, update or patch can turn hostNetwork on.</summary>
    public static readonly IReadOnlyList<KindResource> Workloads = new KindResource[]
    {
        new("apps", "deployments", "Deployment"),
        new("apps", "replicasets", "ReplicaSet"),
        new("apps", "statefulsets", "StatefulSet"),
        new("apps", "daemonsets", "DaemonSet"),
        new("batch", "jobs", "Job"),
        new("batch", "cronjobs", "CronJob"),
        new(string.Empty, "replicationcontrollers", "ReplicationController"),
    };

    private static readonly KindResource Pods = new(string.Empty, "pods", "Pod");
    private static readonly string[] WorkloadVerbs = { "create", "update", "patch" };
    private static readonly string[] CustomVerbs = { "create", "update" };
    private static readonly string[] ChangeVerbs = { "update", "patch", "delete" };

    /// <summary>The group and plural resource of a built-in kind a pod or exception names (Pod and the workload kinds).</summary>
    public static KindResource? ResourceOfKind(string kind) =>
        kind == "Pod" ? Pods : Workloads.FirstOrDefault(w => string.Equals(w.Kind, kind, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A custom kind that owns hostNetwork pods: its group from the owner reference's apiVersion, its resource guessed
    /// from the kind as the apiserver's UnsafeGuessKindToResource does (lower case; -s → -ses, -y → -ies, else -s).
    /// </summary>
    public static KindResource CustomKind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? string.Empty : apiVersion[..slash];
        var singular = kind.ToLowerInvariant();
        var plural = singular.EndsWith('s') ? singular + "es" : singular.EndsWith('y') ? singular[..^1] + "ies" : singular + "s";
        return new KindResource(group, plural, kind);
    }

    /// <summary>
    /// The requests that make a hostNetwork pod in a namespace, in the order records name them: create pods; create,
    /// update or patch a workload; create or update a custom kind that owns hostNetwork pods. POST creates carry no name.
    /// </summary>
    public static IEnumerable<ResourceAttributes> OpenActions(string ns, IEnumerable<KindResource> customKinds)
    {
        yield return new ResourceAttributes("create", string.Empty, "pods", string.Empty, ns, string.Empty);
        foreach (var workload in Workloads)
        {
            foreach (var verb in WorkloadVerbs)
            {
                yield return new ResourceAttributes(verb, workload.Group, workload.Resource, string.Empty, ns, string.Empty);
            }
        }

        foreach (var custom in customKinds)
        {
            foreach (var verb in CustomVerbs)
            {
                yield return new ResourceAttributes(verb, custom.Group, custom.Resource, string.Empty, ns, string.Empty);
            }
        }
    }

    /// <summary>
    /// The ways to get a hostNetwork pod from one named object (an object an exception names, or one a resourceNames
    /// rule names): update it; server-side apply it (patch and create with its name: a resourceNames rule can grant
    /// that create, the name is in the request); patch it; create it by POST (no resourceNames rule can grant that,
    /// the name is not in the request); or delete it and create it again.
    /// </summary>
    public static IEnumerable<ResourceAttributes[]> NamedObjectWays(string group, string resource, string ns, string name)
    {
        var named = new ResourceAttributes(string.Empty, group, resource, string.Empty, ns, name);
        yield return new[] { named with { Verb = "update" } };
        yield return new[] { named with { Verb = "patch" }, named with { Verb = "create" } };
        yield return new[] { named with { Verb = "patch" } };
        yield return new[] { named with { Verb = "create", Name = string.Empty } };
        yield return new[] { named with { Verb = "delete" }, named with { Verb = "create", Name = string.Empty } };
    }

    /// <summary>The pod and workload resources (the custom kinds among them) that make hostNetwork pods.</summary>
    public static bool MakesPods(string group, string resource, IEnumerable<KindResource> customKinds) =>
        (group.Length == 0 && resource == "pods") ||
        Workloads.Any(w => w.Group == group && w.Resource == resource) ||
        customKinds.Any(c => c.Group == group && c.Resource == resource);

    /// <summary>Acting inside a running hostNetwork pod: exec, attach, port-forward (create, or get for a WebSocket
    /// upgrade), ephemeral containers, and the kubelet's API through nodes/proxy of its node.</summary>
    public static IEnumerable<ResourceAttributes> ExistingPodActions(HostNetworkPod pod)
    {
        foreach (var sub in new[] { "exec", "attach", "portforward" })
        {
            yield return new ResourceAttributes("create", string.Empty, "pods", sub, pod.Namespace, pod.Name);
            yield return new ResourceAttributes("get", string.Empty, "pods", sub, pod.Namespace, pod.Name);
        }

        yield return new ResourceAttributes("update", string.Empty, "pods", "ephemeralcontainers", pod.Namespace, pod.Name);
        yield return new ResourceAttributes("patch", string.Empty, "pods", "ephemeralcontainers", pod.Namespace, pod.Name);
        if (pod.NodeName is { Length: > 0 } node)
        {
            yield return new ResourceAttributes("get", string.Empty, "nodes", "proxy", string.Empty, node);
            yield return new ResourceAttributes("create", string.Empty, "nodes", "proxy", string.Empty, node);
        }
    }

    /// <summary>
    /// The requests that switch one refusal off in a namespace (any one suffices): patch the namespace's labels (Pod
    /// Security's, or those a policy's namespaceSelector reads); update or delete the ValidatingAdmissionPolicy or its
    /// binding, the Kyverno policy, the Gatekeeper constraint; create a Kyverno PolicyException; change the kyverno
    /// ConfigMap or the Gatekeeper Config; update or delete the engine's webhook configuration.
    /// </summary>
    public static IReadOnlyList<ResourceAttributes> Weakening(Finding finding, string ns, PolicyInputs inputs)
    {
        var ways = new List<ResourceAttributes>();
        void Change(string group, string resource, string name, string scope = "")
        {
            foreach (var verb in ChangeVerbs)
            {
                ways.Add(new ResourceAttributes(verb, group, resource, string.Empty, scope, name));
            }
        }

        // The namespace's labels: Pod Security reads them, and so does a policy that selects namespaces by label.
        if (finding.Engine == PolicyEngine.PodSecurityAdmission || SelectsNamespacesByLabel(finding, inputs))
        {
            ways.Add(new ResourceAttributes("patch", string.Empty, "namespaces", string.Empty, ns, ns));
            ways.Add(new ResourceAttributes("update", string.Empty, "namespaces", string.Empty, ns, ns));
        }

        switch (finding.Engine)
        {
            case PolicyEngine.ValidatingAdmissionPolicy:
                Change("admissionregistration.k8s.io", "validatingadmissionpolicies", finding.Policy);
                if (finding.Rule is { } binding)
                {
                    Change("admissionregistration.k8s.io", "validatingadmissionpolicybindings", binding);
                }

                break;
            case PolicyEngine.Kyverno:
                var slash = finding.Policy.IndexOf('/', StringComparison.Ordinal);
                switch (finding.Kind)
                {
                    case "ValidatingPolicy":
                        Change("policies.kyverno.io", "validatingpolicies", finding.Policy);
                        ways.Add(new ResourceAttributes("create", "policies.kyverno.io", "policyexceptions", string.Empty, ns, string.Empty));
                        break;
                    case "Policy" when slash > 0:
                        Change("kyverno.io", "policies", finding.Policy[(slash + 1)..], finding.Policy[..slash]);
                        break;
                    default:
                        Change("kyverno.io", "clusterpolicies", finding.Policy);
                        break;
                }

                ways.Add(new ResourceAttributes("create", "kyverno.io", "policyexceptions", string.Empty, ns, string.Empty));
                var kyvernoNamespace = inputs.KyvernoConfigMap?.Namespace ?? "kyverno";
                ways.Add(new ResourceAttributes("update", string.Empty, "configmaps", string.Empty, kyvernoNamespace, "kyverno"));
                ways.Add(new ResourceAttributes("patch", string.Empty, "configmaps", string.Empty, kyvernoNamespace, "kyverno"));
                Change("admissionregistration.k8s.io", "validatingwebhookconfigurations", "kyverno-resource-validating-webhook-cfg");
                break;
            case PolicyEngine.Gatekeeper:
                Change("constraints.gatekeeper.sh", finding.Kind.ToLowerInvariant(), finding.Policy);
                ways.Add(new ResourceAttributes("update", "config.gatekeeper.sh", "configs", string.Empty, "gatekeeper-system", "config"));
                ways.Add(new ResourceAttributes("patch", "config.gatekeeper.sh", "configs", string.Empty, "gatekeeper-system", "config"));
                Change("admissionregistration.k8s.io", "validatingwebhookconfigurations", "gatekeeper-validating-webhook-configuration");
                break;
        }

        return ways;
    }

    /// <summary>Whether the objects behind a refusal (the policy, its binding or constraint) select namespaces by label.</summary>
    private static bool SelectsNamespacesByLabel(Finding finding, PolicyInputs inputs)
    {
        IEnumerable<PolicyObject> objects = finding.Engine switch
        {
            PolicyEngine.ValidatingAdmissionPolicy => inputs.Of("admissionregistration.k8s.io", "ValidatingAdmissionPolicy").Where(p => p.Name == finding.Policy)
                .Concat(inputs.Of("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding").Where(b => b.Name == finding.Rule)),
            PolicyEngine.Kyverno => inputs.Of(finding.Kind == "ValidatingPolicy" ? "policies.kyverno.io" : "kyverno.io", finding.Kind).Where(p => p.QualifiedName == finding.Policy),
            PolicyEngine.Gatekeeper => inputs.OfGroup("constraints.gatekeeper.sh").Where(c => c.Kind == finding.Kind && c.Name == finding.Policy),
            _ => Enumerable.Empty<PolicyObject>(),
        };
        return objects.Any(o => ReadsNamespaceLabels(o.Spec));
    }

    /// <summary>
    /// Whether a namespaceSelector anywhere below <paramref name="element"/> reads a label that can be changed: the
    /// apiserver keeps kubernetes.io/metadata.name equal to the name, and an empty selector matches every namespace.
    /// </summary>
    private static bool ReadsNamespaceLabels(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name == "namespaceSelector" ? SelectorKeys(p.Value).Any(k => k != "kubernetes.io/metadata.name") : ReadsNamespaceLabels(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ReadsNamespaceLabels),
        _ => false,
    };

    private static IEnumerable<string> SelectorKeys(JsonElement selector)
    {
        if (selector.Get("matchLabels") is { ValueKind: JsonValueKind.Object } labels)
        {
            foreach (var label in labels.EnumerateObject())
            {
                yield return label.Name;
            }
        }

        if (selector.Get("matchExpressions") is { ValueKind: JsonValueKind.Array } expressions)
        {
            foreach (var expression in expressions.EnumerateArray())
            {
                yield return expression.Get("key").AsString() ?? string.Empty;
            }
        }
    }

    /// <summary>
    /// Every kind of request the analysis asks about, without namespace or name: a rule that allows none of them
    /// (say get and list on pods) can be left out of the analysis at once. <paramref name="extra"/>: the custom
    /// kinds and constraint resources of this cluster.
    /// </summary>
    public static IReadOnlyList<ResourceAttributes> Probes(IEnumerable<KindResource> extra)
    {
        var probes = new List<ResourceAttributes>();
        void Add(string group, string resource, string subresource, params string[] verbs) =>
            probes.AddRange(verbs.Select(v => new ResourceAttributes(v, group, resource, subresource, string.Empty, string.Empty)));

        Add(string.Empty, "pods", string.Empty, "create");
        foreach (var workload in Workloads.Concat(extra))
        {
            Add(workload.Group, workload.Resource, string.Empty, "create", "update", "patch", "delete");
        }

        foreach (var sub in new[] { "exec", "attach", "portforward" })
        {
            Add(string.Empty, "pods", sub, "create", "get");
        }

        Add(string.Empty, "pods", "ephemeralcontainers", "update", "patch");
        Add(string.Empty, "nodes", "proxy", "get", "create");
        Add(Rbac, "rolebindings", string.Empty, "create");
        Add(Rbac, "clusterrolebindings", string.Empty, "create");
        Add(Rbac, "roles", string.Empty, "bind", "escalate", "update", "patch", "create");
        Add(Rbac, "clusterroles", string.Empty, "bind", "escalate", "update", "patch", "create");
        Add(string.Empty, "users", string.Empty, "impersonate");
        Add(string.Empty, "groups", string.Empty, "impersonate");
        Add(string.Empty, "serviceaccounts", string.Empty, "impersonate");
        Add("authentication.k8s.io", "uids", string.Empty, "impersonate");
        Add(string.Empty, "serviceaccounts", "token", "create");
        Add(string.Empty, "secrets", string.Empty, "create", "get", "list");
        Add("certificates.k8s.io", "certificatesigningrequests", string.Empty, "create");
        Add("certificates.k8s.io", "signers", string.Empty, "approve");
        Add(string.Empty, "namespaces", string.Empty, "patch", "update");
        Add(string.Empty, "configmaps", string.Empty, "patch", "update");
        foreach (var (group, resource) in new[]
        {
            ("admissionregistration.k8s.io", "validatingadmissionpolicies"), ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
            ("admissionregistration.k8s.io", "validatingwebhookconfigurations"), ("kyverno.io", "clusterpolicies"), ("kyverno.io", "policies"),
            ("policies.kyverno.io", "validatingpolicies"), ("config.gatekeeper.sh", "configs"),
        })
        {
            Add(group, resource, string.Empty, "update", "patch", "delete");
        }

        Add("kyverno.io", "policyexceptions", string.Empty, "create");
        Add("policies.kyverno.io", "policyexceptions", string.Empty, "create");
        return probes;
    }

    /// <summary>Whether a rule allows one of <paramref name="probes"/> for some name (or any userextras key): it counts.</summary>
    public static bool Counts(RbacRule rule, IReadOnlyList<ResourceAttributes> probes)
    {
        var name = rule.ResourceNames.Count > 0 ? rule.ResourceNames[0] : string.Empty;
        return probes.Any(p => rule.Allows(p with { Name = name })) || ImpersonatesUidOrExtra(rule).Count > 0;
    }

    /// <summary>
    /// The impersonation requests for a uid or a user extra a rule allows (resource uids in authentication.k8s.io, or
    /// userextras with the extra's key as subresource): they give no identity alone, but webhook authorizers, which the
    /// module does not evaluate, may grant by them, so they count as Escalation.
    /// </summary>
    public static IReadOnlyList<ResourceAttributes> ImpersonatesUidOrExtra(RbacRule rule)
    {
        var found = new List<ResourceAttributes>();
        var name = rule.ResourceNames.Count > 0 ? rule.ResourceNames[0] : "x";
        var uid = new ResourceAttributes("impersonate", "authentication.k8s.io", "uids", string.Empty, string.Empty, name);
        if (rule.Allows(uid))
        {
            found.Add(uid);
        }

        foreach (var key in rule.Resources.Select(r => r.StartsWith("userextras/", StringComparison.Ordinal) ? r["userextras/".Length..] : r is "*" or "userextras" ? "scopes" : null).OfType<string>())
        {
            var extra = new ResourceAttributes("impersonate", "authentication.k8s.io", "userextras", key == "*" ? "scopes" : key, string.Empty, name);
            if (rule.Allows(extra))
            {
                found.Add(extra);
            }
        }

        return found;
    }

    /// <summary>The owner kinds of hostNetwork pods that are not built in: their resources count like workloads.</summary>
    public static IReadOnlyList<KindResource> CustomOwnerKinds(IEnumerable<HostNetworkPod> pods) =>
        pods.Where(p => p.OwnerKind is not null && p.OwnerApiVersion is not null && ResourceOfKind(p.OwnerKind) is null && p.OwnerKind != "Node")
            .Select(p => CustomKind(p.OwnerApiVersion!, p.OwnerKind!))
            .Distinct()
            .OrderBy(k => k.Group, StringComparer.Ordinal).ThenBy(k => k.Resource, StringComparer.Ordinal)
            .ToList();
}

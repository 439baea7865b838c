using System.Text.Json.Nodes;

namespace HostNetAudit.Engine.Policy.Targeted;

/// <summary>
/// The targeted policy for the other admission engines (New-HostNetworkPolicyManifest -Engine): Kyverno runs the same
/// CEL (validate.cel, one explicit rule per kind, background off, autogen off); Gatekeeper gets a ConstraintTemplate
/// whose Rego walks the same chains over the exceptions passed as the constraint's parameters. Both carry the
/// exceptions annotation.
/// </summary>
internal static class TargetedPolicyEngines
{
    /// <summary>The annotation that turns Kyverno's rule autogeneration off ("none").</summary>
    public const string KyvernoAutogenAnnotation = "pod-policies.kyverno.io/autogen-controllers";

    private static readonly (string Rule, string Kind, string[] Operations)[] KyvernoRules =
    {
        ("pods", "Pod", new[] { "CREATE" }),
        ("ephemeral-containers", "Pod/ephemeralcontainers", new[] { "UPDATE" }),
        ("deployments", "Deployment", new[] { "CREATE", "UPDATE" }),
        ("replicasets", "ReplicaSet", new[] { "CREATE", "UPDATE" }),
        ("statefulsets", "StatefulSet", new[] { "CREATE", "UPDATE" }),
        ("daemonsets", "DaemonSet", new[] { "CREATE", "UPDATE" }),
        ("jobs", "Job", new[] { "CREATE", "UPDATE" }),
        ("cronjobs", "CronJob", new[] { "CREATE", "UPDATE" }),
        ("replicationcontrollers", "ReplicationController", new[] { "CREATE", "UPDATE" }),
    };

    /// <summary>A Kyverno ClusterPolicy running the policy's CEL (validate.cel, Kyverno 1.11 or later).</summary>
    public static JsonObject Kyverno(TargetedPolicyPlan plan)
    {
        var spec = plan.Policy["spec"]!;
        var validations = spec["validations"]!.AsArray();
        var rules = new JsonArray();
        foreach (var (name, kind, operations) in KyvernoRules)
        {
            // The pod rule adds the controller service-account refusal; the ephemeral rule has its own validation.
            var indexes = kind switch { "Pod" => new[] { 0, 2 }, "Pod/ephemeralcontainers" => new[] { 1 }, _ => new[] { 0 } };
            var resources = new JsonObject
            {
                ["kinds"] = new JsonArray(JsonValue.Create(kind)),
                ["operations"] = new JsonArray(operations.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
            };
            if (NamespaceSelector(plan) is { } selector)
            {
                resources["namespaceSelector"] = selector;
            }

            rules.Add(new JsonObject
            {
                ["name"] = name,
                ["match"] = new JsonObject { ["any"] = new JsonArray(new JsonObject { ["resources"] = resources }) },
                ["validate"] = new JsonObject
                {
                    ["cel"] = new JsonObject
                    {
                        ["variables"] = spec["variables"]!.DeepClone(),
                        ["expressions"] = new JsonArray(indexes.Select(i => (JsonNode)new JsonObject
                        {
                            ["expression"] = validations[i]!["expression"]!.GetValue<string>(),
                            ["message"] = validations[i]!["message"]!.GetValue<string>(),
                        }).ToArray()),
                    },
                },
            });
        }

        var annotations = plan.Policy["metadata"]!["annotations"]!.DeepClone().AsObject();
        annotations[KyvernoAutogenAnnotation] = "none";
        var policySpec = new JsonObject
        {
            ["validationFailureAction"] = plan.ValidationAction == PolicyValidationAction.Deny ? "Enforce" : "Audit",
        };
        if (plan.ValidationAction == PolicyValidationAction.Warn)
        {
            policySpec["emitWarning"] = true;
        }

        policySpec["background"] = false;
        policySpec["failurePolicy"] = "Fail";
        policySpec["rules"] = rules;
        return new JsonObject
        {
            ["apiVersion"] = "kyverno.io/v1",
            ["kind"] = "ClusterPolicy",
            ["metadata"] = new JsonObject
            {
                ["name"] = TargetedPolicyObjects.PolicyName,
                ["labels"] = new JsonObject { [TargetedPolicyObjects.ManagedByLabel] = TargetedPolicyObjects.ManagedByValue },
                ["annotations"] = annotations,
            },
            ["spec"] = policySpec,
        };
    }

    /// <summary>The Gatekeeper ConstraintTemplate (K8sHostNetAuditHostNetwork) and its constraint, the exceptions as parameters.</summary>
    public static (JsonObject Template, JsonObject Constraint) Gatekeeper(TargetedPolicyPlan plan)
    {
        const string Kind = "K8sHostNetAuditHostNetwork";
        var template = new JsonObject
        {
            ["apiVersion"] = "templates.gatekeeper.sh/v1",
            ["kind"] = "ConstraintTemplate",
            ["metadata"] = new JsonObject
            {
                ["name"] = Kind.ToLowerInvariant(),
                ["labels"] = new JsonObject { [TargetedPolicyObjects.ManagedByLabel] = TargetedPolicyObjects.ManagedByValue },
            },
            ["spec"] = new JsonObject
            {
                ["crd"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["names"] = new JsonObject { ["kind"] = Kind },
                        ["validation"] = new JsonObject { ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true } },
                    },
                },
                ["targets"] = new JsonArray(new JsonObject { ["target"] = "admission.k8s.gatekeeper.sh", ["rego"] = Rego }),
            },
        };

        var exceptions = new JsonArray();
        foreach (var e in plan.Exceptions)
        {
            var item = new JsonObject
            {
                ["kind"] = e.Shape == ExceptionShape.MirrorPod ? "MirrorPod" : e.Kind,
                ["namespace"] = e.Namespace,
                ["name"] = e.Name,
                ["serviceAccounts"] = Strings(e.ServiceAccounts),
                ["requesters"] = Strings(e.Requesters),
                ["debuggers"] = Strings(e.Debuggers),
            };
            if (e.CreatedBy is not null)
            {
                item["createdBy"] = e.CreatedBy;
            }

            exceptions.Add(item);
        }

        var match = new JsonObject
        {
            ["kinds"] = new JsonArray(
                new JsonObject { ["apiGroups"] = new JsonArray(JsonValue.Create(string.Empty)), ["kinds"] = Strings(new[] { "Pod", "ReplicationController" }) },
                new JsonObject { ["apiGroups"] = new JsonArray(JsonValue.Create("apps")), ["kinds"] = Strings(new[] { "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet" }) },
                new JsonObject { ["apiGroups"] = new JsonArray(JsonValue.Create("batch")), ["kinds"] = Strings(new[] { "CronJob", "Job" }) }),
        };
        if (NamespaceSelector(plan) is { } selector)
        {
            match["namespaceSelector"] = selector;
        }

        var constraint = new JsonObject
        {
            ["apiVersion"] = "constraints.gatekeeper.sh/v1beta1",
            ["kind"] = Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = TargetedPolicyObjects.PolicyName,
                ["labels"] = new JsonObject { [TargetedPolicyObjects.ManagedByLabel] = TargetedPolicyObjects.ManagedByValue },
                ["annotations"] = plan.Policy["metadata"]!["annotations"]!.DeepClone(),
            },
            ["spec"] = new JsonObject
            {
                ["enforcementAction"] = plan.ValidationAction switch { PolicyValidationAction.Deny => "deny", PolicyValidationAction.Warn => "warn", _ => "dryrun" },
                ["match"] = match,
                ["parameters"] = new JsonObject
                {
                    ["controllerIdentity"] = plan.ControllerIdentity.ToString(),
                    ["controllerServiceAccounts"] = Strings(Permissions.Identities.ControllerServiceAccounts.Order(StringComparer.Ordinal)),
                    ["exceptions"] = exceptions,
                },
            },
        };
        return (template, constraint);
    }

    private static JsonObject? NamespaceSelector(TargetedPolicyPlan plan) =>
        plan.Binding["spec"]?["matchResources"]?["namespaceSelector"]?.DeepClone().AsObject();

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());

    /// <summary>
    /// The chains in Rego. input.review.userInfo is missing when Gatekeeper audits existing objects: then the
    /// identity links are not checked (ownership, namespace and service account still are), since only admission
    /// knows who asked.
    /// </summary>
    internal const string Rego = """
package hostnetaudit.hostnetwork

review := input.review
obj := review.object
kind := review.kind.kind
params := input.parameters
operation := object.get(review, "operation", "")
audit { not review.userInfo }
user := object.get(object.get(review, "userInfo", {}), "username", "")
groups := object.get(object.get(review, "userInfo", {}), "groups", [])
template_kinds := {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}

pod_spec := object.get(obj, "spec", {}) { kind == "Pod" }
pod_spec := object.get(object.get(object.get(obj, "spec", {}), "template", {}), "spec", {}) { template_kinds[kind] }
pod_spec := object.get(object.get(object.get(object.get(object.get(obj, "spec", {}), "jobTemplate", {}), "spec", {}), "template", {}), "spec", {}) { kind == "CronJob" }
template := object.get(object.get(obj, "spec", {}), "template", {}) { template_kinds[kind] }
template := object.get(object.get(object.get(object.get(obj, "spec", {}), "jobTemplate", {}), "spec", {}), "template", {}) { kind == "CronJob" }
old_template := object.get(object.get(object.get(review, "oldObject", {}), "spec", {}), "template", {}) { template_kinds[kind] }
old_template := object.get(object.get(object.get(object.get(object.get(review, "oldObject", {}), "spec", {}), "jobTemplate", {}), "spec", {}), "template", {}) { kind == "CronJob" }

host_network { pod_spec.hostNetwork == true }
service_account := sa { sa := object.get(pod_spec, "serviceAccountName", ""); sa != "" }
service_account := "default" { object.get(pod_spec, "serviceAccountName", "") == "" }
name := object.get(object.get(obj, "metadata", {}), "name", "")
namespace := object.get(object.get(obj, "metadata", {}), "namespace", object.get(review, "namespace", ""))
owners[r] { r := object.get(object.get(obj, "metadata", {}), "ownerReferences", [])[_]; object.get(r, "controller", false) == true }

controller(sa) { audit }
controller(sa) { params.controllerIdentity != "ControllerManager"; user == concat("", ["system:serviceaccount:kube-system:", sa]) }
controller(sa) { params.controllerIdentity != "ServiceAccounts"; user == "system:kube-controller-manager" }
requester_ok(e) { count(object.get(e, "requesters", [])) == 0 }
requester_ok(e) { audit }
requester_ok(e) { e.requesters[_] == user }
sa_ok(e) { e.serviceAccounts[_] == service_account }
owned(k, group, n) { r := owners[_]; r.kind == k; startswith(r.apiVersion, group); r.name == n }
owned_core(k, n) { r := owners[_]; r.kind == k; r.apiVersion == "v1"; r.name == n }
# A ReplicaSet of Deployment n (n-<pod-template-hash>), a Job of CronJob n (n-<number>); the owner is found first.
owned_hashed(k, group, n) { r := owners[_]; r.kind == k; startswith(r.apiVersion, group); regex.match(hashed(n), r.name) }
owned_numbered(k, group, n) { r := owners[_]; r.kind == k; startswith(r.apiVersion, group); regex.match(numbered(n), r.name) }
hashed(n) := p { p := concat("", ["^", n, "-[bcdfghjklmnpqrstvwxz2456789]{1,10}$"]) }
numbered(n) := p { p := concat("", ["^", n, "-[0-9]+$"]) }

# Each rule reads the namespace last: what it checks first (owner, name, service account) already decides for most
# requests, and the namespace is what a policy judged for every namespace at once does not know.
# Top level: the workload (or bare pod) itself.
excepted { e := params.exceptions[_]; e.kind == kind; not e.createdBy; name == e.name; sa_ok(e); requester_ok(e); e.namespace == namespace }
# A Deployment's ReplicaSets and their pods.
excepted { e := params.exceptions[_]; e.kind == "Deployment"; kind == "ReplicaSet"; sa_ok(e); owned("Deployment", "apps/", e.name); controller("deployment-controller"); e.namespace == namespace }
excepted { e := params.exceptions[_]; e.kind == "Deployment"; kind == "Pod"; sa_ok(e); owned_hashed("ReplicaSet", "apps/", e.name); controller("replicaset-controller"); e.namespace == namespace }
# A CronJob's Jobs and their pods; a Job's pods.
excepted { e := params.exceptions[_]; e.kind == "CronJob"; kind == "Job"; sa_ok(e); owned("CronJob", "batch/", e.name); controller("cronjob-controller"); e.namespace == namespace }
excepted { e := params.exceptions[_]; e.kind == "CronJob"; kind == "Pod"; sa_ok(e); owned_numbered("Job", "batch/", e.name); controller("job-controller"); e.namespace == namespace }
excepted { e := params.exceptions[_]; e.kind == "Job"; kind == "Pod"; sa_ok(e); owned("Job", "batch/", e.name); controller("job-controller"); e.namespace == namespace }
# Pods of DaemonSets, StatefulSets, ReplicaSets and ReplicationControllers.
excepted { e := params.exceptions[_]; e.kind == "DaemonSet"; kind == "Pod"; sa_ok(e); owned("DaemonSet", "apps/", e.name); controller("daemon-set-controller"); e.namespace == namespace }
excepted { e := params.exceptions[_]; e.kind == "StatefulSet"; kind == "Pod"; sa_ok(e); owned("StatefulSet", "apps/", e.name); controller("statefulset-controller"); e.namespace == namespace }
excepted { e := params.exceptions[_]; e.kind == "ReplicaSet"; kind == "Pod"; sa_ok(e); owned("ReplicaSet", "apps/", e.name); controller("replicaset-controller"); e.namespace == namespace }
excepted { e := params.exceptions[_]; e.kind == "ReplicationController"; kind == "Pod"; sa_ok(e); owned_core("ReplicationController", e.name); controller("replication-controller"); e.namespace == namespace }
# A custom owner: its declared controller, and the pods of the ReplicaSets it controls.
excepted { e := params.exceptions[_]; e.createdBy; {"Pod", "ReplicaSet"}[kind]; r := owners[_]; r.kind == e.kind; r.name == e.name; sa_ok(e); any_identity(e.createdBy); e.namespace == namespace }
excepted { e := params.exceptions[_]; e.createdBy; kind == "Pod"; sa_ok(e); owned_hashed("ReplicaSet", "apps/", e.name); controller("replicaset-controller"); e.namespace == namespace }
any_identity(u) { audit }
any_identity(u) { user == u }
# Mirror pods: the node's own identity, the kubelet's annotation, the single Node owner, no service account.
excepted { e := params.exceptions[_]; e.kind == "MirrorPod"; kind == "Pod"; mirror(e); node_identity; e.namespace == namespace }
node_identity { audit }
node_identity { user == concat("", ["system:node:", pod_spec.nodeName]); groups[_] == "system:nodes" }
mirror(e) {
  node := pod_spec.nodeName
  name == concat("-", [e.name, node])
  obj.metadata.annotations["kubernetes.io/config.mirror"]
  refs := obj.metadata.ownerReferences
  count(refs) == 1
  refs[0].kind == "Node"
  refs[0].apiVersion == "v1"
  refs[0].name == node
  object.get(pod_spec, "serviceAccountName", "") == ""
}

updatable { e := params.exceptions[_]; e.kind == kind; not e.createdBy; name == e.name; sa_ok(e); e.namespace == namespace }
updatable { e := params.exceptions[_]; kind == "ReplicaSet"; e.kind == "Deployment"; sa_ok(e); regex.match(hashed(e.name), name); e.namespace == namespace }
updatable { e := params.exceptions[_]; kind == "Job"; e.kind == "CronJob"; sa_ok(e); regex.match(numbered(e.name), name); e.namespace == namespace }
unchanged { template == old_template }

debuggable { e := params.exceptions[_]; e.debuggers[_] == user; pod_of(e); e.namespace == namespace }
pod_of(e) { e.kind == "MirrorPod"; mirror(e) }
pod_of(e) { e.kind == "Pod"; name == e.name; sa_ok(e) }
pod_of(e) { e.kind == "Deployment"; sa_ok(e); owned_hashed("ReplicaSet", "apps/", e.name) }
pod_of(e) { e.kind == "CronJob"; sa_ok(e); owned_numbered("Job", "batch/", e.name) }
pod_of(e) { {"DaemonSet", "StatefulSet", "ReplicaSet", "Job", "ReplicationController"}[e.kind]; sa_ok(e); r := owners[_]; r.kind == e.kind; r.name == e.name }

violation[{"msg": msg}] {
  kind == "Pod"
  operation != "UPDATE"
  host_network
  not excepted
  msg := "hostNetwork is not permitted: only the workloads the exemptions declare (HostNetAudit targeted policy) may use the host network, each only through its controllers"
}
violation[{"msg": msg}] {
  kind != "Pod"
  host_network
  operation != "UPDATE"
  not excepted
  msg := "hostNetwork is not permitted: only the workloads the exemptions declare (HostNetAudit targeted policy) may use the host network, each only through its controllers"
}
violation[{"msg": msg}] {
  kind != "Pod"
  operation == "UPDATE"
  host_network
  not updatable
  not unchanged
  msg := "hostNetwork is not permitted: only the workloads the exemptions declare (HostNetAudit targeted policy) may use the host network, each only through its controllers"
}
violation[{"msg": msg}] {
  kind == "Pod"
  operation == "UPDATE"
  object.get(review, "subResource", "") == "ephemeralcontainers"
  host_network
  not debuggable
  msg := "ephemeral containers on a hostNetwork pod would join the host network: only the debuggers its exemption declares may add them"
}
violation[{"msg": msg}] {
  kind == "Pod"
  operation != "UPDATE"
  params.controllerServiceAccounts[_] == service_account
  namespace == "kube-system"
  msg := "pods in kube-system may not run as a kube-controller-manager service account: its token could forge a controller's requests"
}
""";
}

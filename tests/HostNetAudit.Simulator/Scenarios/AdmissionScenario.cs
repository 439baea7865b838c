using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// A cluster whose ValidatingAdmissionPolicies the simulator applies itself, for tests of admission outcomes:
/// <list type="bullet">
/// <item>deny-host-network: pod CREATE in namespaces labelled env=prod, Deny (hostNetwork is not allowed);</item>
/// <item>warn-host-network-workloads: Deployment and DaemonSet CREATE/UPDATE, Warn, with a messageExpression;</item>
/// <item>guard-ephemeral-containers: UPDATE of pods/ephemeralcontainers (named exactly) on hostNetwork pods, Deny,
///   except for system:masters (a match condition);</item>
/// <item>kube-system-controllers: pod CREATE in kube-system by anyone but a kube-system service account, Deny, with a
///   messageExpression naming the requester (request.userInfo) and reason Forbidden;</item>
/// <item>replica-limit: Deployment CREATE/UPDATE in apps, with a ConfigMap parameter (paramRef by name).</item>
/// </list>
/// Pods: apps/agent (hostNetwork) and apps/web. The outcomes are pinned by the simulator's tests.
/// </summary>
public static class AdmissionScenario
{
    public const string Name = "admission";
    private const string Group = "admissionregistration.k8s.io/v1";

    public static Scenario Create()
    {
        var scenario = new Scenario { Name = Name, ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed: 17);
        b.AddNodes(controlPlane: 1, workers: 2);
        b.AddNamespace("default");
        b.AddNamespace("kube-system");
        b.AddNamespace("apps", new Dictionary<string, string> { ["env"] = "prod" });
        b.AddNamespace("sandbox");
        b.AddPod(new WorkloadSpec("Pod", "apps", "agent") { HostNetwork = true, Containers = new[] { new ContainerSpec("agent", "busybox:1.36") } }, "agent", "worker-1", owner: null);
        b.AddPod(new WorkloadSpec("Pod", "apps", "web") { Containers = new[] { new ContainerSpec("web", "nginx:1.27") } }, "web", "worker-2", owner: null);
        scenario.Add(Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"replica-limit","namespace":"apps"},"data":{"maxReplicas":"3"}}"""));

        scenario.Add(Policy("deny-host-network", """
            {"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}]},
             "validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false","message":"hostNetwork is not allowed"}]}
            """));
        scenario.Add(Binding("deny-host-network", "deny-host-network", "Deny", """{"namespaceSelector":{"matchLabels":{"env":"prod"}}}"""));

        scenario.Add(Policy("warn-host-network-workloads", """
            {"matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["deployments","daemonsets"]}]},
             "validations":[{"expression":"!has(object.spec.template.spec.hostNetwork) || object.spec.template.spec.hostNetwork == false",
                             "messageExpression":"object.kind + ' ' + object.metadata.name + ' uses the host network'"}]}
            """));
        scenario.Add(Binding("warn-host-network-workloads", "warn-host-network-workloads", "Warn", null));

        scenario.Add(Policy("guard-ephemeral-containers", """
            {"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["UPDATE"],"resources":["pods/ephemeralcontainers"]}]},
             "matchConditions":[{"name":"not-cluster-admins","expression":"!('system:masters' in request.userInfo.groups)"}],
             "validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false","message":"no ephemeral containers in hostNetwork pods"}]}
            """));
        scenario.Add(Binding("guard-ephemeral-containers", "guard-ephemeral-containers", "Deny", null));

        scenario.Add(Policy("kube-system-controllers", """
            {"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["pods"]}],
                                 "namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}}},
             "variables":[{"name":"user","expression":"request.userInfo.username"}],
             "validations":[{"expression":"variables.user.startsWith('system:serviceaccount:kube-system:')",
                             "messageExpression":"'pods in kube-system are created by controllers, not by ' + variables.user","reason":"Forbidden"}]}
            """));
        scenario.Add(Binding("kube-system-controllers", "kube-system-controllers", "Deny", null));

        scenario.Add(Policy("replica-limit", """
            {"paramKind":{"apiVersion":"v1","kind":"ConfigMap"},
             "matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["deployments"]}]},
             "validations":[{"expression":"!has(object.spec.replicas) || object.spec.replicas <= int(params.data.maxReplicas)","messageExpression":"'at most ' + params.data.maxReplicas + ' replicas'"}]}
            """));
        scenario.Add(Binding("replica-limit", "replica-limit", "Deny", """{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"apps"}}}""", """{"name":"replica-limit","namespace":"apps","parameterNotFoundAction":"Deny"}"""));
        return scenario;
    }

    private static JsonObject Policy(string name, string spec) => new()
    {
        ["apiVersion"] = Group,
        ["kind"] = "ValidatingAdmissionPolicy",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = JsonNode.Parse(spec),
    };

    private static JsonObject Binding(string name, string policy, string action, string? matchResources, string? paramRef = null)
    {
        var spec = new JsonObject { ["policyName"] = policy, ["validationActions"] = new JsonArray(action) };
        if (matchResources is not null)
        {
            spec["matchResources"] = JsonNode.Parse(matchResources);
        }

        if (paramRef is not null)
        {
            spec["paramRef"] = JsonNode.Parse(paramRef);
        }

        return new JsonObject
        {
            ["apiVersion"] = Group,
            ["kind"] = "ValidatingAdmissionPolicyBinding",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
    }

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;
}

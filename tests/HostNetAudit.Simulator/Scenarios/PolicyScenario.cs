using System.Globalization;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Admission;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>
/// A cluster whose namespaces are protected (or not) against hostNetwork pods by every mechanism the audit knows:
/// Pod Security Admission labels (valid, invalid, warn/audit only, pinned versions), Kyverno (ClusterPolicy with
/// namespace overrides, a rule-level failureAction, a namespaced Policy with deny conditions, the podSecurity
/// subrule, a pod-label-selected rule, a PolicyException, ValidatingPolicies, a NamespacedValidatingPolicy, its
/// webhooks and ConfigMap), Gatekeeper (the host-network template, Azure Policy's template, scoped enforcement,
/// dry-run, a template whose Rego reads replicated data, excluded and ignored namespaces, its Config and webhook),
/// and ValidatingAdmissionPolicy bindings (Deny, Warn/Audit, objectSelector). Written by hand; the truth of every namespace is declared here,
/// by the scenario's author, in Truth["namespaces"]; Truth["probe"] says what a dry-run probe of each namespace
/// shows, and the declared admission outcomes make the simulator answer that way.
/// With <c>extraNamespaces</c> &gt; 0 it adds scale-NNNNN namespaces protected in rotation by PSA, a VAP binding,
/// a Gatekeeper constraint, or nothing.
/// </summary>
public static class PolicyScenario
{
    private const string Enforce = "pod-security.kubernetes.io/enforce";
    private const string Warn = "pod-security.kubernetes.io/warn";
    private const string Audit = "pod-security.kubernetes.io/audit";

    public static Scenario Create(int extraNamespaces = 0)
    {
        var scenario = new Scenario { Name = "policy", ServerVersion = "v1.31.4" };
        var b = new ClusterBuilder(scenario, seed: 11);
        b.AddNodes(controlPlane: 1, workers: 2);

        // System namespaces: Kyverno's resourceFilters skip kube-*, the Gatekeeper Config excludes them.
        Ns(b, "default", "NonCompliant", "Admitted");
        Ns(b, "kube-system", "NonCompliant", "Admitted");
        Ns(b, "kube-public", "NonCompliant", "Admitted");
        Ns(b, "kube-node-lease", "NonCompliant", "Admitted");
        Ns(b, "kyverno", "NonCompliant", "Admitted", new() { [Enforce] = "privileged" });
        Ns(b, "gatekeeper-system", "Compliant", "Verified", new() { [Enforce] = "restricted", ["admission.gatekeeper.sh/ignore"] = "no-self-managing" });

        // Pod Security Admission.
        Ns(b, "psa-baseline", "Compliant", "Verified", new() { [Enforce] = "baseline" });
        Ns(b, "psa-restricted-v124", "Compliant", "Verified", new() { [Enforce] = "restricted", [Enforce + "-version"] = "v1.24", [Warn] = "restricted" });
        Ns(b, "psa-invalid-enforce", "Compliant", "Verified", new() { [Enforce] = "Restricted" });
        Ns(b, "psa-bad-version", "Compliant", "Verified", new() { [Enforce] = "baseline", [Enforce + "-version"] = "1.25" });
        Ns(b, "psa-warn-only", "NonCompliant", "Admitted", new() { [Warn] = "restricted", [Audit] = "baseline" });
        Ns(b, "psa-invalid-warn", "NonCompliant", "Admitted", new() { [Warn] = "strict" });
        Ns(b, "psa-privileged", "NonCompliant", "Admitted", new() { [Enforce] = "privileged" });
        Ns(b, "plain", "NonCompliant", "Admitted");

        // Kyverno.
        Ns(b, "team-kyverno", "Compliant", "Verified");
        Ns(b, "kyv-audit", "NonCompliant", "Admitted");
        Ns(b, "kyv-filtered", "NonCompliant", "Admitted");
        Ns(b, "kyv-webhook-skip", "NonCompliant", "Admitted");
        Ns(b, "kyv-selected", "Compliant", "Verified", new() { ["hostnet-policy"] = "kyverno-strict" });
        Ns(b, "kyv-excepted", "NonCompliant", "Admitted", new() { ["hostnet-policy"] = "kyverno-strict" });
        Ns(b, "kyv-ns-policy", "Compliant", "Verified");
        Ns(b, "kyv-pss", "Compliant", "Verified");
        Ns(b, "kyv-pss-excluded", "NonCompliant", "Admitted");
        Ns(b, "kyv-conditional", "Conditional", "Admitted");
        Ns(b, "kyv-vpol", "Compliant", "Verified", new() { ["vpol"] = "enforce" });
        Ns(b, "kyv-vpol-audit", "NonCompliant", "Admitted", new() { ["vpol"] = "audit" });
        Ns(b, "kyv-nvpol", "Compliant", "Verified");

        // Gatekeeper and Azure Policy.
        Ns(b, "gk-enforced", "Compliant", "Verified");
        Ns(b, "gk-excluded", "NonCompliant", "Admitted");
        Ns(b, "gk-ignored", "NonCompliant", "Admitted", new() { ["admission.gatekeeper.sh/ignore"] = "true" });
        Ns(b, "gk-config-excluded", "NonCompliant", "Admitted");
        Ns(b, "gk-dryrun", "NonCompliant", "Admitted");
        Ns(b, "gk-scoped", "Compliant", "Verified");
        Ns(b, "gk-scoped-warn", "NonCompliant", "Admitted");
        Ns(b, "gk-conditional", "Conditional", "Admitted");
        Ns(b, "gk-unknown", "Unknown", "Verified");
        Ns(b, "aks-deny", "Compliant", "Verified");
        Ns(b, "aks-audit", "NonCompliant", "Admitted");

        // ValidatingAdmissionPolicy.
        Ns(b, "vap-deny", "Compliant", "Verified", new() { ["hostnet-vap"] = "deny" });
        Ns(b, "vap-warn", "NonCompliant", "Admitted", new() { ["hostnet-vap"] = "warn" });
        Ns(b, "vap-conditional", "Conditional", "Admitted", new() { ["hostnet-vap"] = "conditional" });

        // A webhook that refuses dry-run requests: the probe cannot tell, the static verdict stands.
        Ns(b, "probe-dryrun", "Compliant", "Unknown", new() { [Enforce] = "baseline" });

        for (var i = 1; i <= extraNamespaces; i++)
        {
            var name = "scale-" + i.ToString("D5", CultureInfo.InvariantCulture);
            switch (i % 4)
            {
                case 0:
                    Ns(b, name, "Compliant", "Verified", new() { [Enforce] = "baseline", ["team"] = "scale" });
                    break;
                case 1:
                    Ns(b, name, "Compliant", "Verified", new() { ["hostnet-vap"] = "deny", ["team"] = "scale" });
                    break;
                case 2:
                    Ns(b, name, "Compliant", "Verified", new() { ["scale-gatekeeper"] = "enforce", ["team"] = "scale" });
                    break;
                default:
                    Ns(b, name, "NonCompliant", "Admitted", new() { ["team"] = "scale" });
                    break;
            }
        }

        // hostNetwork workloads: a CNI agent in kube-system, a node agent in plain.
        b.AddWorkload(Templates.Cilium());
        b.AddWorkload(Templates.NodeExporter("plain") with { Name = "node-agent" });
        scenario.Truth["hostNetworkPodCounts"] = new JsonObject { ["kube-system"] = 3, ["plain"] = 3 };

        AddKyverno(scenario);
        AddNamespacedValidatingPolicy(scenario);
        AddGatekeeper(scenario);
        AddValidatingAdmissionPolicies(scenario);
        AddDeclaredAdmission(scenario, extraNamespaces);
        return scenario;
    }

    private static void Ns(ClusterBuilder b, string name, string status, string probe, Dictionary<string, string>? labels = null)
    {
        b.AddNamespace(name, labels);
        b.Scenario.DeclareNamespace(name, status);
        if (b.Scenario.Truth["probe"] is not JsonObject map)
        {
            map = new JsonObject();
            b.Scenario.Truth["probe"] = map;
        }

        map[name] = probe;
    }

    private static void AddKyverno(Scenario s)
    {
        // Kyverno's own wiring: the ConfigMap (chart defaults plus one more filtered namespace) and its webhooks.
        s.Add(Json("""
        {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kyverno","namespace":"kyverno"},
         "data":{"resourceFilters":"[Event,*,*][*/*,kube-system,*][*/*,kube-public,*][*/*,kube-node-lease,*][Node,*,*][APIService,*,*][ReplicaSet,*,*][*/*,kyverno,*][*/*,kyv-filtered,*]",
                 "excludeGroups":"system:nodes"}}
        """));
        s.Add(Json("""
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
         "metadata":{"name":"kyverno-resource-validating-webhook-cfg","labels":{"webhook.kyverno.io/managed-by":"kyverno"}},
         "webhooks":[
          {"name":"validate.kyverno.svc-fail","failurePolicy":"Fail","sideEffects":"NoneOnDryRun","admissionReviewVersions":["v1"],
           "clientConfig":{"service":{"name":"kyverno-svc","namespace":"kyverno","path":"/validate/fail"}},
           "namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kyverno","kyv-webhook-skip"]}]},
           "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE","DELETE","CONNECT"],"resources":["pods","pods/ephemeralcontainers"],"scope":"*"}]},
          {"name":"validate.kyverno.svc-ignore","failurePolicy":"Ignore","sideEffects":"NoneOnDryRun","admissionReviewVersions":["v1"],
           "clientConfig":{"service":{"name":"kyverno-svc","namespace":"kyverno","path":"/validate/ignore"}},
           "namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kyverno"]}]},
           "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"],"scope":"*"}]},
          {"name":"vpol.validate.kyverno.svc-fail","failurePolicy":"Fail","sideEffects":"NoneOnDryRun","admissionReviewVersions":["v1"],
           "clientConfig":{"service":{"name":"kyverno-svc","namespace":"kyverno","path":"/vpol/fail"}},
           "namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kyverno"]}]},
           "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"],"scope":"*"}]},
          {"name":"nvpol.validate.kyverno.svc-fail","failurePolicy":"Fail","sideEffects":"NoneOnDryRun","admissionReviewVersions":["v1"],
           "clientConfig":{"service":{"name":"kyverno-svc","namespace":"kyverno","path":"/nvpol/fail"}},
           "namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kyverno"]}]},
           "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"],"scope":"*"}]}]}
        """));

        // Audit by default, Enforce in team-kyverno and kyv-filtered (where the ConfigMap filters it out) and
        // kyv-webhook-skip (where the webhook's namespaceSelector leaves it out).
        s.Add(Json("""
        {"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"disallow-host-network"},
         "spec":{"validationFailureAction":"Audit","background":true,
          "validationFailureActionOverrides":[{"action":"Enforce","namespaces":["team-kyverno","kyv-filtered","kyv-webhook-skip"]}],
          "rules":[{"name":"host-network","match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["team-kyverno","kyv-audit","kyv-filtered","kyv-webhook-skip"]}}]},
            "validate":{"message":"hostNetwork is not allowed","pattern":{"spec":{"=(hostNetwork)":false}}}}]}}
        """));

        // A rule-level failureAction (Kyverno 1.13+) on namespaces selected by label; a PolicyException for one of them.
        s.Add(Json("""
        {"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"strict-host-network"},
         "spec":{"background":false,
          "rules":[{"name":"no-host-network","match":{"any":[{"resources":{"kinds":["Pod"],"operations":["CREATE","UPDATE"],
              "namespaceSelector":{"matchLabels":{"hostnet-policy":"kyverno-strict"}}}}]},
            "validate":{"failureAction":"Enforce","message":"hostNetwork must be unset or false",
              "anyPattern":[{"spec":{"X(hostNetwork)":"null"}},{"spec":{"hostNetwork":false}}]}}]}}
        """));
        s.Add(Json("""
        {"apiVersion":"kyverno.io/v2","kind":"PolicyException","metadata":{"name":"legacy-agents","namespace":"kyverno"},
         "spec":{"exceptions":[{"policyName":"strict-host-network","ruleNames":["no-host-network","autogen-no-host-network"]}],
          "match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["kyv-excepted"]}}]}}}
        """));

        // A namespaced Policy with deny conditions.
        s.Add(Json("""
        {"apiVersion":"kyverno.io/v1","kind":"Policy","metadata":{"name":"deny-host-network","namespace":"kyv-ns-policy"},
         "spec":{"validationFailureAction":"Enforce",
          "rules":[{"name":"deny-host-network","match":{"any":[{"resources":{"kinds":["Pod"]}}]},
            "preconditions":{"all":[{"key":"{{ request.operation }}","operator":"NotEquals","value":"DELETE"}]},
            "validate":{"message":"no hostNetwork here","deny":{"conditions":{"any":[{"key":"{{ request.object.spec.hostNetwork || `false` }}","operator":"Equals","value":true}]}}}}]}}
        """));

        // The podSecurity subrule at baseline, and the same with the Host Namespaces control excluded.
        s.Add(Json("""
        {"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"pss-baseline"},
         "spec":{"validationFailureAction":"Enforce",
          "rules":[{"name":"baseline","match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["kyv-pss"]}}]},
            "validate":{"podSecurity":{"level":"baseline","version":"latest"}}},
           {"name":"baseline-but-host-namespaces","match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["kyv-pss-excluded"]}}]},
            "validate":{"podSecurity":{"level":"baseline","version":"latest","exclude":[{"controlName":"Host Namespaces"}]}}}]}}
        """));

        // A rule that applies only to pods labelled tier=web.
        s.Add(Json("""
        {"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"web-no-host-network"},
         "spec":{"validationFailureAction":"Enforce",
          "rules":[{"name":"web-pods","match":{"any":[{"resources":{"kinds":["Pod"],"namespaces":["kyv-conditional"],"selector":{"matchLabels":{"tier":"web"}}}}]},
            "validate":{"message":"web pods may not use the host network","pattern":{"spec":{"=(hostNetwork)":"false"}}}}]}}
        """));

        // ValidatingPolicies (CEL), Deny and Audit, selected by namespace label.
        foreach (var (name, action) in new[] { ("vpol-no-host-network", "Deny"), ("vpol-no-host-network-audit", "Audit") })
        {
            var label = action == "Deny" ? "enforce" : "audit";
            s.Add(Json($$$$"""
            {"apiVersion":"policies.kyverno.io/v1alpha1","kind":"ValidatingPolicy","metadata":{"name":"{{{{name}}}}"},
             "spec":{"validationActions":["{{{{action}}}}"],
              "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}],
                "namespaceSelector":{"matchLabels":{"vpol":"{{{{label}}}}"}}},
              "validations":[{"expression":"object.spec.?hostNetwork.orValue(false) == false","message":"hostNetwork is not allowed"}]}}
            """));
        }
    }

    private static void AddNamespacedValidatingPolicy(Scenario s) => s.Add(Json("""
        {"apiVersion":"policies.kyverno.io/v1beta1","kind":"NamespacedValidatingPolicy","metadata":{"name":"no-host-network","namespace":"kyv-nvpol"},
         "spec":{"validationActions":["Deny"],
          "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]},
          "validations":[{"expression":"object.spec.?hostNetwork.orValue(false) == false","message":"hostNetwork is not allowed in this namespace"}]}}
        """));

    private static void AddGatekeeper(Scenario s)
    {
        s.Add(Json("""
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
         "metadata":{"name":"gatekeeper-validating-webhook-configuration","labels":{"gatekeeper.sh/system":"yes"}},
         "webhooks":[{"name":"validation.gatekeeper.sh","failurePolicy":"Ignore","sideEffects":"None","admissionReviewVersions":["v1","v1beta1"],
          "clientConfig":{"service":{"name":"gatekeeper-webhook-service","namespace":"gatekeeper-system","path":"/v1/admit"}},
          "namespaceSelector":{"matchExpressions":[{"key":"admission.gatekeeper.sh/ignore","operator":"DoesNotExist"},{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["gatekeeper-system"]}]},
          "rules":[{"apiGroups":["*"],"apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["*","pods/ephemeralcontainers"]}],
          "timeoutSeconds":3}]}
        """));
        s.Add(Json("""
        {"apiVersion":"config.gatekeeper.sh/v1alpha1","kind":"Config","metadata":{"name":"config","namespace":"gatekeeper-system"},
         "spec":{"match":[{"excludedNamespaces":["kube-*","gk-config-excluded"],"processes":["*"]}]}}
        """));

        // Templates, written for this scenario (Rego only): the library's kind, Azure Policy's, host namespaces, and one not recognised.
        s.Add(Template("K8sPSPHostNetworkingPorts", """
            package k8spsphostnetworkingports
            violation[{"msg": msg}] {
              input.review.object.spec.hostNetwork
              not input.parameters.hostNetwork
              msg := "hostNetwork is not allowed"
            }
            """));
        s.Add(Template("K8sAzureV2HostNetworkingPorts", """
            package k8sazurev2hostnetworkingports
            violation[{"msg": msg}] {
              input.review.object.spec.hostNetwork
              not input.parameters.allowHostNetwork
              msg := "The specified hostNetwork is not allowed"
            }
            """));
        s.Add(Template("K8sPSPHostNamespace", """
            package k8spsphostnamespace
            violation[{"msg": msg}] {
              input.review.object.spec.hostPID
              msg := "Sharing the host PID namespace is not allowed"
            }
            """));
        // Approved node access is recorded in a ConfigMap Gatekeeper replicates (data.inventory): not read statically.
        s.Add(Template("K8sCustomNodeAccess", """
            package k8scustomnodeaccess
            violation[{"msg": msg}] {
              uses_node(input.review.object.spec)
              not approved(input.review.object.metadata.namespace)
              msg := "pods may not use node resources"
            }
            uses_node(spec) { spec.hostNetwork }
            approved(ns) { data.inventory.namespace[ns]["v1"]["ConfigMap"]["node-access"] }
            """));

        s.Add(Constraint("K8sPSPHostNetworkingPorts", "block-host-network", """{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["gk-*"],"excludedNamespaces":["gk-excluded","gk-dryrun","gk-scoped*","gk-conditional","gk-unknown"]},"parameters":{"hostNetwork":false}}"""));
        s.Add(Constraint("K8sPSPHostNetworkingPorts", "block-host-network-dryrun", """{"enforcementAction":"dryrun","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["gk-dryrun"]},"parameters":{"hostNetwork":false}}"""));
        s.Add(Constraint("K8sPSPHostNetworkingPorts", "block-host-network-scoped", """{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"deny","enforcementPoints":[{"name":"validation.gatekeeper.sh"}]},{"action":"warn","enforcementPoints":[{"name":"audit.gatekeeper.sh"}]}],"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["gk-scoped"]}}"""));
        s.Add(Constraint("K8sPSPHostNetworkingPorts", "block-host-network-scoped-warn", """{"enforcementAction":"scoped","scopedEnforcementActions":[{"action":"warn","enforcementPoints":[{"name":"validation.gatekeeper.sh"}]}],"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["gk-scoped-warn"]}}"""));
        s.Add(Constraint("K8sPSPHostNetworkingPorts", "block-host-network-frontend", """{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["gk-conditional"],"labelSelector":{"matchLabels":{"tier":"frontend"}}},"parameters":{"hostNetwork":false}}"""));
        s.Add(Constraint("K8sPSPHostNetworkingPorts", "block-host-network-scale", """{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaceSelector":{"matchLabels":{"scale-gatekeeper":"enforce"}}}}"""));
        s.Add(Constraint("K8sPSPHostNetworkingPorts", "allow-host-network", """{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]},"parameters":{"hostNetwork":true,"min":80,"max":9000}}"""));
        s.Add(Constraint("K8sAzureV2HostNetworkingPorts", "azurepolicy-k8sazurev2hostnetworkingports-deny", """{"enforcementAction":"deny","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["aks-deny"],"excludedNamespaces":["kube-system","gatekeeper-system","azure-arc"]},"parameters":{"allowHostNetwork":false,"minPort":0,"maxPort":0}}"""));
        s.Add(Constraint("K8sAzureV2HostNetworkingPorts", "azurepolicy-k8sazurev2hostnetworkingports-audit", """{"enforcementAction":"dryrun","match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["aks-audit"]},"parameters":{"allowHostNetwork":false}}"""));
        s.Add(Constraint("K8sPSPHostNamespace", "psp-host-namespace", """{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}]}}"""));
        s.Add(Constraint("K8sCustomNodeAccess", "no-node-access", """{"match":{"kinds":[{"apiGroups":[""],"kinds":["Pod"]}],"namespaces":["gk-unknown"]}}"""));
    }

    private static void AddValidatingAdmissionPolicies(Scenario s)
    {
        s.Add(Json("""
        {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"deny-host-network"},
         "spec":{"failurePolicy":"Fail",
          "matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]},
          "validations":[{"expression":"!has(object.spec.hostNetwork) || object.spec.hostNetwork == false","message":"hostNetwork is not allowed"}]}}
        """));
        s.Add(Binding("deny-host-network-binding", """["Deny"]""", """{"namespaceSelector":{"matchLabels":{"hostnet-vap":"deny"}}}"""));
        s.Add(Binding("deny-host-network-warn", """["Warn","Audit"]""", """{"namespaceSelector":{"matchLabels":{"hostnet-vap":"warn"}}}"""));
        s.Add(Binding("deny-host-network-labelled", """["Deny"]""", """{"namespaceSelector":{"matchLabels":{"hostnet-vap":"conditional"}},"objectSelector":{"matchLabels":{"policy.example.com/enforce":"true"}}}"""));
    }

    /// <summary>What the simulator answers to pod creates beyond PSA (which it emulates from the labels).</summary>
    private static void AddDeclaredAdmission(Scenario s, int extraNamespaces)
    {
        s.Admission.Add(new DeclaredAdmission { Engine = "Kyverno", Policy = "disallow-host-network", Namespaces = new[] { "team-kyverno" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "Kyverno", Policy = "strict-host-network", Namespaces = new[] { "kyv-selected" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "Kyverno", Policy = "deny-host-network", Namespaces = new[] { "kyv-ns-policy" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "Kyverno", Policy = "pss-baseline", Namespaces = new[] { "kyv-pss" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "KyvernoValidatingPolicy", Policy = "vpol-no-host-network", Namespaces = new[] { "kyv-vpol" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "nvpol.validate.kyverno.svc-fail", Policy = "Policy no-host-network failed: hostNetwork is not allowed in this namespace", Namespaces = new[] { "kyv-nvpol" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "Gatekeeper", Policy = "block-host-network", Namespaces = new[] { "gk-enforced" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "Gatekeeper", Policy = "block-host-network-scoped", Namespaces = new[] { "gk-scoped" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "Gatekeeper", Policy = "no-node-access", Namespaces = new[] { "gk-unknown" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "Gatekeeper", Policy = "azurepolicy-k8sazurev2hostnetworkingports-deny", Namespaces = new[] { "aks-deny" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "ValidatingAdmissionPolicy", Policy = "deny-host-network", Namespaces = new[] { "vap-deny" } });
        s.Admission.Add(new DeclaredAdmission { Engine = "sidecar-injector.example.com", Effect = "DryRunUnsupported", Namespaces = new[] { "probe-dryrun" } });
        if (extraNamespaces > 0)
        {
            var vap = Enumerable.Range(1, extraNamespaces).Where(i => i % 4 == 1).Select(i => "scale-" + i.ToString("D5", CultureInfo.InvariantCulture)).ToArray();
            var gk = Enumerable.Range(1, extraNamespaces).Where(i => i % 4 == 2).Select(i => "scale-" + i.ToString("D5", CultureInfo.InvariantCulture)).ToArray();
            s.Admission.Add(new DeclaredAdmission { Engine = "ValidatingAdmissionPolicy", Policy = "deny-host-network", Namespaces = vap });
            s.Admission.Add(new DeclaredAdmission { Engine = "Gatekeeper", Policy = "block-host-network-scale", Namespaces = gk });
        }
    }

    private static JsonObject Template(string kind, string rego) => new()
    {
        ["apiVersion"] = "templates.gatekeeper.sh/v1",
        ["kind"] = "ConstraintTemplate",
        ["metadata"] = new JsonObject { ["name"] = kind.ToLowerInvariant() },
        ["spec"] = new JsonObject
        {
            ["crd"] = new JsonObject { ["spec"] = new JsonObject { ["names"] = new JsonObject { ["kind"] = kind } } },
            ["targets"] = new JsonArray(new JsonObject { ["target"] = "admission.k8s.gatekeeper.sh", ["rego"] = rego }),
        },
    };

    private static JsonObject Constraint(string kind, string name, string spec) => new()
    {
        ["apiVersion"] = "constraints.gatekeeper.sh/v1beta1",
        ["kind"] = kind,
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = JsonNode.Parse(spec),
    };

    private static JsonObject Binding(string name, string actions, string matchResources) => new()
    {
        ["apiVersion"] = "admissionregistration.k8s.io/v1",
        ["kind"] = "ValidatingAdmissionPolicyBinding",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["policyName"] = "deny-host-network",
            ["validationActions"] = JsonNode.Parse(actions),
            ["matchResources"] = JsonNode.Parse(matchResources),
        },
    };

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;
}

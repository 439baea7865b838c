using System.Text.Json.Nodes;
using Cel;
using HostNetAudit.Engine.Offline;
using Xunit;

namespace HostNetAudit.Tests.Rbac;

/// <summary>
/// The ValidatingAdmissionPolicies of deploy/rbac, evaluated as the API server evaluates them: the policy applies
/// to a request when its resource rule matches and every matchCondition is true; the request is denied when a
/// validation is false. The CEL is compiled and run with the Cel package (the expressions are read from the
/// manifests, never copied here), against admission requests built as the API server builds them.
/// </summary>
public class AdmissionPolicyTests
{
    private const string Prober = "system:serviceaccount:hostnetaudit:hostnetaudit-prober";
    private const string Remediator = "system:serviceaccount:hostnetaudit:hostnetaudit-remediator";
    private const string ReplicaSetController = "system:serviceaccount:kube-system:replicaset-controller";

    [Theory]
    [InlineData(Prober, null, true, true, true)]
    [InlineData(Prober, null, false, true, false)]
    [InlineData("alice", "hostnetaudit:probers", true, true, true)]
    [InlineData("alice", "hostnetaudit:probers", false, true, false)]
    [InlineData(ReplicaSetController, "system:serviceaccounts", false, false, true)]
    [InlineData("alice", null, false, false, true)]
    public void The_prober_may_create_pods_only_as_a_dry_run(string user, string? group, bool dryRun, bool applies, bool allowed)
    {
        var policy = AdmissionPolicy.Load("admission-prober-dry-run-only.yaml");
        var request = AdmissionRequest("CREATE", "pods", user, group, dryRun);
        var pod = Pod();

        var verdict = policy.Judge("CREATE", "pods", request, pod, oldObject: null);

        Assert.Equal(applies, verdict.Applies);
        Assert.Equal(allowed, verdict.Allowed);
        if (!allowed)
        {
            Assert.Contains("dry run", verdict.Messages.Single(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_prober_policy_leaves_other_operations_and_resources_alone()
    {
        var policy = AdmissionPolicy.Load("admission-prober-dry-run-only.yaml");
        Assert.False(policy.Judge("UPDATE", "pods", AdmissionRequest("UPDATE", "pods", Prober, null, false), Pod(), Pod()).Applies);
        Assert.False(policy.Judge("CREATE", "configmaps", AdmissionRequest("CREATE", "configmaps", Prober, null, false), new JsonObject(), null).Applies);
    }

    public static TheoryData<string, string, string, bool> NamespaceChanges() => new()
    {
        // name, labels before, labels after (JSON), allowed
        { "adds the PSA enforce label", """{"team":"a"}""", """{"team":"a","pod-security.kubernetes.io/enforce":"baseline"}""", true },
        { "sets all PSA labels with versions", """{"team":"a"}""", """{"team":"a","pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/enforce-version":"v1.31","pod-security.kubernetes.io/warn":"restricted","pod-security.kubernetes.io/audit":"restricted"}""", true },
        { "weakens and removes PSA labels (a restore)", """{"team":"a","pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/warn":"restricted"}""", """{"team":"a","pod-security.kubernetes.io/enforce":"baseline"}""", true },
        { "labels a namespace that had none", "null", """{"pod-security.kubernetes.io/enforce":"baseline"}""", true },
        { "removes the only labels, PSA ones", """{"pod-security.kubernetes.io/enforce":"baseline"}""", "null", true },
        { "adds another label", """{"team":"a"}""", """{"team":"a","owner":"mallory","pod-security.kubernetes.io/enforce":"baseline"}""", false },
        { "changes another label", """{"team":"a"}""", """{"team":"b","pod-security.kubernetes.io/enforce":"baseline"}""", false },
        { "removes another label", """{"team":"a","env":"prod"}""", """{"team":"a","pod-security.kubernetes.io/enforce":"baseline"}""", false },
        { "removes every label", """{"team":"a"}""", "null", false },
        { "relabels the Gatekeeper ignore label", """{"team":"a"}""", """{"team":"a","admission.gatekeeper.sh/ignore":"true"}""", false },
        { "uses a look-alike prefix", """{"team":"a"}""", """{"team":"a","pod-security.kubernetes.io.evil/enforce":"privileged"}""", false },
    };

    [Theory]
    [MemberData(nameof(NamespaceChanges))]
    public void The_remediator_may_change_only_PSA_labels(string name, string before, string after, bool allowed)
    {
        var policy = AdmissionPolicy.Load("admission-remediator-psa-labels-only.yaml");
        var oldNs = Namespace(JsonNode.Parse(before));
        var newNs = Namespace(JsonNode.Parse(after));

        foreach (var dryRun in new[] { true, false })
        {
            var verdict = policy.Judge("UPDATE", "namespaces", AdmissionRequest("UPDATE", "namespaces", Remediator, null, dryRun), newNs, oldNs);
            Assert.True(verdict.Applies, name);
            Assert.True(allowed == verdict.Allowed, $"{name} (dryRun={dryRun}): {string.Join("; ", verdict.Messages)}");
        }
    }

    [Fact]
    public void The_remediator_may_not_change_annotations_finalizers_owners_or_spec()
    {
        var policy = AdmissionPolicy.Load("admission-remediator-psa-labels-only.yaml");
        var request = AdmissionRequest("UPDATE", "namespaces", Remediator, null, false);
        var before = Namespace(JsonNode.Parse("""{"team":"a"}"""));

        var annotated = Namespace(JsonNode.Parse("""{"team":"a"}"""));
        annotated["metadata"]!["annotations"] = new JsonObject { ["scheduler.alpha.kubernetes.io/node-selector"] = "x=y" };
        var verdict = policy.Judge("UPDATE", "namespaces", request, annotated, before);
        Assert.False(verdict.Allowed);
        Assert.Contains(verdict.Messages, m => m.Contains("annotations", StringComparison.Ordinal));

        var finalized = Namespace(JsonNode.Parse("""{"team":"a"}"""));
        finalized["metadata"]!["finalizers"] = new JsonArray("example.com/hold");
        Assert.Contains(policy.Judge("UPDATE", "namespaces", request, finalized, before).Messages, m => m.Contains("finalizers", StringComparison.Ordinal));

        var owned = Namespace(JsonNode.Parse("""{"team":"a"}"""));
        owned["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "x", ["uid"] = "1" });
        Assert.False(policy.Judge("UPDATE", "namespaces", request, owned, before).Allowed);

        var respec = Namespace(JsonNode.Parse("""{"team":"a"}"""));
        respec["spec"] = new JsonObject { ["finalizers"] = new JsonArray() };
        Assert.Contains(policy.Judge("UPDATE", "namespaces", request, respec, before).Messages, m => m.Contains("spec", StringComparison.Ordinal));

        // The same object is admitted: the checks compare, they do not forbid having annotations or finalizers.
        var same = Namespace(JsonNode.Parse("""{"team":"a"}"""));
        same["metadata"]!["annotations"] = new JsonObject { ["a"] = "b" };
        var sameBefore = Namespace(JsonNode.Parse("""{"team":"a"}"""));
        sameBefore["metadata"]!["annotations"] = new JsonObject { ["a"] = "b" };
        Assert.True(policy.Judge("UPDATE", "namespaces", request, same, sameBefore).Allowed);
    }

    [Fact]
    public void The_remediator_policy_applies_to_the_remediator_only()
    {
        var policy = AdmissionPolicy.Load("admission-remediator-psa-labels-only.yaml");
        var before = Namespace(JsonNode.Parse("""{"team":"a"}"""));
        var after = Namespace(JsonNode.Parse("""{"team":"b"}"""));

        Assert.False(policy.Judge("UPDATE", "namespaces", AdmissionRequest("UPDATE", "namespaces", "cluster-admin-user", "system:masters", false), after, before).Applies);
        Assert.True(policy.Judge("UPDATE", "namespaces", AdmissionRequest("UPDATE", "namespaces", "bob", "hostnetaudit:remediators", false), after, before).Applies);
        Assert.False(policy.Judge("DELETE", "namespaces", AdmissionRequest("DELETE", "namespaces", Remediator, null, false), after, before).Applies);
    }

    // The admission request as the API server binds it to `request` (admission.k8s.io/v1 AdmissionRequest).
    private static JsonObject AdmissionRequest(string operation, string resource, string user, string? group, bool dryRun)
    {
        var userInfo = new JsonObject { ["username"] = user };
        var groups = new JsonArray();
        if (group is not null)
        {
            groups.Add(group);
        }

        groups.Add("system:authenticated");
        userInfo["groups"] = groups;
        return new JsonObject
        {
            ["uid"] = "0b0b0b0b-0000-4000-8000-000000000001",
            ["kind"] = new JsonObject { ["group"] = string.Empty, ["version"] = "v1", ["kind"] = resource == "pods" ? "Pod" : "Namespace" },
            ["resource"] = new JsonObject { ["group"] = string.Empty, ["version"] = "v1", ["resource"] = resource },
            ["operation"] = operation,
            ["userInfo"] = userInfo,
            ["dryRun"] = dryRun,
        };
    }

    private static JsonObject Pod() => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = "hostnetaudit-probe", ["namespace"] = "ops" },
        ["spec"] = new JsonObject
        {
            ["hostNetwork"] = true,
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "probe", ["image"] = "registry.k8s.io/pause:3.10" }),
        },
    };

    private static JsonObject Namespace(JsonNode? labels)
    {
        var metadata = new JsonObject { ["name"] = "ops", ["resourceVersion"] = "42" };
        if (labels is not null)
        {
            metadata["labels"] = labels;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
    }

    /// <summary>A ValidatingAdmissionPolicy of deploy/rbac with its CEL compiled.</summary>
    private sealed class AdmissionPolicy
    {
        private readonly List<(string Operation, string Resource)> rules = new();
        private readonly List<CelProgramDelegate> conditions = new();
        private readonly List<(CelProgramDelegate Program, string Message)> validations = new();

        public static AdmissionPolicy Load(string file)
        {
            var path = Path.Combine(RepositoryRoot(), "deploy", "rbac", file);
            var documents = YamlDocuments.Read(File.ReadAllText(path)).Select(d => d.Node).OfType<JsonObject>().ToList();
            var manifest = documents.Single(d => (string?)d["kind"] == "ValidatingAdmissionPolicy");
            var spec = manifest["spec"]!;
            var environment = new CelEnvironment(null, null);
            var policy = new AdmissionPolicy();
            foreach (var rule in spec["matchConstraints"]!["resourceRules"]!.AsArray())
            {
                foreach (var operation in rule!["operations"]!.AsArray())
                {
                    foreach (var resource in rule["resources"]!.AsArray())
                    {
                        policy.rules.Add(((string)operation!, (string)resource!));
                    }
                }
            }

            foreach (var condition in spec["matchConditions"]?.AsArray() ?? new JsonArray())
            {
                policy.conditions.Add(environment.Compile((string)condition!["expression"]!));
            }

            foreach (var validation in spec["validations"]!.AsArray())
            {
                policy.validations.Add((environment.Compile((string)validation!["expression"]!), (string)validation["message"]!));
            }

            Assert.NotEmpty(policy.validations);
            return policy;
        }

        public Verdict Judge(string operation, string resource, JsonObject request, JsonObject @object, JsonObject? oldObject)
        {
            if (!rules.Contains((operation, resource)))
            {
                return new Verdict(false, true, Array.Empty<string>());
            }

            var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["request"] = ToCel(request),
                ["object"] = ToCel(@object),
                ["oldObject"] = oldObject is null ? null : ToCel(oldObject),
            };
            if (!conditions.All(c => Evaluate(c, variables)))
            {
                return new Verdict(false, true, Array.Empty<string>());
            }

            var failed = validations.Where(v => !Evaluate(v.Program, variables)).Select(v => v.Message).ToList();
            return new Verdict(true, failed.Count == 0, failed);
        }

        private static bool Evaluate(CelProgramDelegate program, IDictionary<string, object?> variables) =>
            program(variables!) is bool result ? result : throw new InvalidOperationException("A CEL expression of an admission policy did not give a bool.");

        // Objects as plain data: maps, lists, strings, longs, doubles, bools.
        private static object? ToCel(JsonNode? node) => node switch
        {
            null => null,
            JsonObject obj => obj.ToDictionary(p => p.Key, p => ToCel(p.Value), StringComparer.Ordinal),
            JsonArray array => array.Select(ToCel).ToList(),
            JsonValue value when value.TryGetValue<bool>(out var b) => b,
            JsonValue value when value.TryGetValue<long>(out var l) => l,
            JsonValue value when value.TryGetValue<double>(out var d) => d,
            JsonValue value => value.ToString(),
            _ => node.ToJsonString(),
        };

        private static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "deploy", "rbac")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("deploy/rbac was not found above " + AppContext.BaseDirectory);
        }
    }

    private sealed record Verdict(bool Applies, bool Allowed, IReadOnlyList<string> Messages);
}

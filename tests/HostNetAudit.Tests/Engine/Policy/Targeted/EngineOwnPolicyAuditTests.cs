using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>
/// Issue 10, point 10, for the Kyverno ClusterPolicy and the Gatekeeper constraint and template the module writes
/// (New-HostNetworkPolicyManifest -Engine): the audit regenerates them from the exceptions annotation and calls a
/// covered namespace Compliant, listing the exceptions, only when they are identical and every exception is declared;
/// hand-edited copies are never Compliant. The exception is in monitoring, which no engine default skips.
/// </summary>
public sealed class EngineOwnPolicyAuditTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hostnetaudit-engine-own-" + Guid.NewGuid().ToString("N"));
    private readonly ExemptionSet declared;
    private readonly TargetedPolicyPlan plan;

    public EngineOwnPolicyAuditTests()
    {
        Directory.CreateDirectory(folder);
        declared = Exemptions("exemptions.yaml", string.Empty);
        var pod = new HostNetworkPod { Context = "sim", Namespace = "monitoring", Name = "node-exporter-x7k2p", OwnerKind = "DaemonSet", OwnerName = "node-exporter", OwnerApiVersion = "apps/v1", ServiceAccount = "node-exporter", NodeName = "node-1" };
        var workload = new HostNetworkWorkload { Context = "sim", Kind = "DaemonSet", ApiVersion = "apps/v1", Namespace = "monitoring", Name = "node-exporter", ServiceAccount = "node-exporter" };
        plan = TargetedPolicyGenerator.Generate(declared, new TargetedInventory(new[] { "default", "monitoring" }, new[] { pod }, new[] { workload }), new TargetedPolicyOptions { Context = "sim" });
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A file with the one entry, monitoring's node-exporter DaemonSet, plus <paramref name="more"/> of its fields.</summary>
    private ExemptionSet Exemptions(string file, string more)
    {
        var path = Path.Combine(folder, file);
        File.WriteAllText(path, "- kind: DaemonSet\n  namespace: monitoring\n  name: node-exporter\n  justification: Node exporter reads the node's network counters.\n" + more);
        return ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow);
    }

    public static TheoryData<string> Engines => new() { "Kyverno", "Gatekeeper" };

    private static NamespacePolicyResult In(List<NamespacePolicyResult> results, string ns) => results.Single(r => r.Namespace == ns);

    private List<NamespacePolicyResult> Audit(IEnumerable<JsonObject> objects, ExemptionSet? exemptions = null) =>
        PolicyHarness.Evaluate(
            new[] { TestObjects.Namespace("default"), TestObjects.Namespace("monitoring") }.Concat(objects.Select(o => JsonSerializer.SerializeToElement(o))),
            exemptions: exemptions ?? declared);

    /// <summary>The engine's objects for a plan: the ClusterPolicy, or the template and the constraint.</summary>
    private static List<JsonObject> Objects(string engine, TargetedPolicyPlan plan)
    {
        if (engine == "ValidatingAdmissionPolicy")
        {
            return new List<JsonObject> { plan.Binding, plan.Policy };
        }

        if (engine == "Kyverno")
        {
            return new List<JsonObject> { TargetedPolicyEngines.Kyverno(plan) };
        }

        var (template, constraint) = TargetedPolicyEngines.Gatekeeper(plan);
        return new List<JsonObject> { template, constraint };
    }

    /// <summary>
    /// The engine's objects with the chain of the DaemonSet exception rewritten: in Kyverno, the "excepted" variable of
    /// every rule (CEL, as in the ValidatingAdmissionPolicy); in Gatekeeper, the Rego of the template.
    /// </summary>
    private List<JsonObject> Mutated(string engine, string mutation)
    {
        var objects = Objects(engine, plan);
        if (engine == "Kyverno")
        {
            foreach (var rule in objects[0]["spec"]!["rules"]!.AsArray().OfType<JsonObject>())
            {
                var excepted = rule["validate"]!["cel"]!["variables"]!.AsArray().OfType<JsonObject>().Single(v => v["name"]!.GetValue<string>() == "excepted");
                var before = excepted["expression"]!.GetValue<string>();
                var after = mutation switch
                {
                    "owner clause removed" => before.Replace("variables.owners.exists(r, r.kind == 'DaemonSet' && r.apiVersion.startsWith('apps/') && r.name == 'node-exporter')", "true", StringComparison.Ordinal),
                    "username-only check" => "variables.user == 'system:serviceaccount:kube-system:daemon-set-controller'",
                    "owner-only check" => "variables.owners.exists(r, r.kind == 'DaemonSet' && r.name == 'node-exporter')",
                    _ => before.Replace("r.name == 'node-exporter'", "r.name.startsWith('node-exporter')", StringComparison.Ordinal),
                };
                Assert.NotEqual(before, after);
                excepted["expression"] = after;
            }

            return objects;
        }

        var target = objects[0]["spec"]!["targets"]![0]!.AsObject();
        var rego = target["rego"]!.GetValue<string>();
        const string chain = """excepted { e := params.exceptions[_]; e.kind == "DaemonSet"; kind == "Pod"; sa_ok(e); owned("DaemonSet", "apps/", e.name); controller("daemon-set-controller"); e.namespace == namespace }""";
        Assert.Contains(chain, rego, StringComparison.Ordinal);
        var changed = mutation switch
        {
            "owner clause removed" => rego.Replace(chain, chain.Replace("""owned("DaemonSet", "apps/", e.name); """, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal),
            "username-only check" => rego.Replace(chain, """excepted { user == "system:serviceaccount:kube-system:daemon-set-controller" }""", StringComparison.Ordinal),
            "owner-only check" => rego.Replace(chain, """excepted { r := owners[_]; r.kind == "DaemonSet"; r.name == "node-exporter" }""", StringComparison.Ordinal),
            _ => rego.Replace("owned(k, group, n) { r := owners[_]; r.kind == k; startswith(r.apiVersion, group); r.name == n }", "owned(k, group, n) { r := owners[_]; r.kind == k; startswith(r.apiVersion, group); startswith(r.name, n) }", StringComparison.Ordinal),
        };
        Assert.NotEqual(rego, changed);
        target["rego"] = changed;
        return objects;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void The_modules_own_engine_policy_is_Compliant_with_its_exceptions_listed_where_they_apply(string engine)
    {
        var results = Audit(Objects(engine, plan));
        Assert.All(results, r => Assert.True(r.Status == "Compliant", $"{engine}, {r.Namespace}: {r.Status}: {r.Reason}"));
        Assert.Equal(new[] { "DaemonSet/node-exporter: Node exporter reads the node's network counters." }, In(results, "monitoring").PolicyExceptions);
        Assert.Empty(In(results, "default").PolicyExceptions);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_renamed_identical_copy_is_still_the_modules_policy(string engine)
    {
        var objects = Objects(engine, plan);
        objects[^1]["metadata"]!["name"] = "copied-hostnetwork";
        var results = Audit(objects);
        Assert.All(results, r => Assert.Equal("Compliant", r.Status));
        Assert.NotEmpty(In(results, "monitoring").PolicyExceptions);
    }

    public static TheoryData<string, string> Mutations
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var engine in new[] { "Kyverno", "Gatekeeper" })
            {
                foreach (var mutation in new[] { "owner clause removed", "username-only check", "owner-only check", "owner name widened to a prefix" })
                {
                    data.Add(engine, mutation);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_hand_edited_copy_is_never_Compliant_and_says_why(string engine, string mutation)
    {
        var results = Audit(Mutated(engine, mutation));
        foreach (var r in results)
        {
            Assert.True(r.Status is "Conditional" or "Unknown", $"{engine}, {mutation}: {r.Namespace} is {r.Status}: {r.Reason}");
            Assert.Empty(r.PolicyExceptions);
            Assert.Contains(r.Conditional.Concat(r.Unknown), f => f.Detail.Contains("not the module's policy as generated", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_wildcard_namespace_or_name_in_an_exception_is_never_Compliant_even_when_regenerated_identically(string engine)
    {
        foreach (var (ns, name) in new[] { ("monitoring", "node-*"), ("mon*", "node-exporter") })
        {
            var widened = plan.Exceptions.Select(e => e with { Namespace = ns, Name = name }).ToList();
            var (policy, binding) = TargetedPolicyObjects.Build(widened, Array.Empty<string>(), PolicyValidationAction.Deny, ControllerIdentityMode.Either);
            var wide = plan with { Policy = policy, Binding = binding, Exceptions = widened };
            var wildcardFile = Path.Combine(folder, "wild.yaml");
            File.WriteAllText(wildcardFile, $"- kind: DaemonSet\n  namespace: '{ns}'\n  name: '{name}'\n  justification: wide\n");
            var results = Audit(Objects(engine, wide), ExemptionSet.Load(new[] { wildcardFile }, new RecordingLog(), DateTimeOffset.UtcNow));
            Assert.All(results, r => Assert.True(r.Status != "Compliant", $"{engine}, {ns}/{name}: {r.Namespace} is {r.Status}: {r.Reason}"));
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void An_identical_policy_whose_exception_nobody_declared_is_Conditional_only_where_the_exception_applies(string engine)
    {
        var results = Audit(Objects(engine, plan), ExemptionSet.Empty);
        Assert.Equal("Conditional", In(results, "monitoring").Status);
        Assert.Contains("declared by no exemptions file", In(results, "monitoring").Conditional.Single().Detail, StringComparison.Ordinal);
        Assert.Equal("Compliant", In(results, "default").Status);
    }

    [Theory]
    [InlineData("ValidatingAdmissionPolicy", "debuggers added")]
    [InlineData("Kyverno", "debuggers added")]
    [InlineData("Gatekeeper", "debuggers added")]
    [InlineData("ValidatingAdmissionPolicy", "requesters dropped")]
    [InlineData("Kyverno", "requesters dropped")]
    [InlineData("Gatekeeper", "requesters dropped")]
    public void An_identical_policy_whose_exception_admits_other_identities_than_the_entry_declares_is_Conditional_where_it_applies(string engine, string change)
    {
        // The policy is exactly what the module generates from its annotation, but from another file than the one the
        // audit is given: the entry there declares requesters (argocd only) and no debuggers.
        var strict = Exemptions("strict.yaml", "  requesters: [system:serviceaccount:argocd:argocd-application-controller]\n");
        var argocd = new[] { "system:serviceaccount:argocd:argocd-application-controller" };
        var changed = plan.Exceptions.Select(e => change == "debuggers added" ? e with { Requesters = argocd, Debuggers = new[] { "mallory" } } : e with { Requesters = Array.Empty<string>() }).ToList();
        var (policy, binding) = TargetedPolicyObjects.Build(changed, Array.Empty<string>(), PolicyValidationAction.Deny, ControllerIdentityMode.Either);
        var results = Audit(Objects(engine, plan with { Policy = policy, Binding = binding, Exceptions = changed }), strict);
        var monitoring = In(results, "monitoring");
        Assert.True(monitoring.Status == "Conditional", $"{engine}, {change}: monitoring is {monitoring.Status}: {monitoring.Reason}");
        Assert.Contains("admits other requesters, debuggers or creators than entry 1", monitoring.Conditional.Single().Detail, StringComparison.Ordinal);
        Assert.Equal("Compliant", In(results, "default").Status);

        // Generated from the file the audit is given, the same policy is the module's own.
        var own = TargetedPolicyGenerator.Generate(strict, new TargetedInventory(new[] { "default", "monitoring" }, Array.Empty<HostNetworkPod>(), new[] { new HostNetworkWorkload { Context = "sim", Kind = "DaemonSet", ApiVersion = "apps/v1", Namespace = "monitoring", Name = "node-exporter", ServiceAccount = "node-exporter" } }), new TargetedPolicyOptions { Context = "sim" });
        Assert.Equal("Compliant", In(Audit(Objects(engine, own), strict), "monitoring").Status);
    }

    [Theory]
    [InlineData("templates.gatekeeper.sh/v1", false)]
    [InlineData("templates.gatekeeper.sh/v1beta1", true)]
    public void The_Gatekeeper_template_as_stored_with_its_CRD_default_is_still_the_modules_own(string apiVersion, bool legacySchema)
    {
        // Gatekeeper's CRD defaults crd.spec.validation.legacySchema when it stores the template: a live cluster
        // serves it even though the module never writes it.
        var objects = Objects("Gatekeeper", plan);
        objects[0]["apiVersion"] = apiVersion;
        objects[0]["spec"]!["crd"]!["spec"]!["validation"]!["legacySchema"] = legacySchema;
        var results = Audit(objects);
        Assert.All(results, r => Assert.Equal("Compliant", r.Status));
        Assert.NotEmpty(In(results, "monitoring").PolicyExceptions);

        // In v1 a legacy schema is not the default: that template is not the module's. (In v1beta1 false is what a
        // v1 template read through v1beta1 shows, so both values are the module's there.)
        if (!legacySchema)
        {
            objects[0]["spec"]!["crd"]!["spec"]!["validation"]!["legacySchema"] = true;
            Assert.Equal("Conditional", In(Audit(objects), "monitoring").Status);
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void An_expired_exception_is_Conditional_where_it_applies(string engine)
    {
        var expired = plan.Exceptions.Select(e => e with { Expires = DateTimeOffset.UtcNow.AddDays(-2) }).ToList();
        var (policy, binding) = TargetedPolicyObjects.Build(expired, Array.Empty<string>(), PolicyValidationAction.Deny, ControllerIdentityMode.Either);
        var results = Audit(Objects(engine, plan with { Policy = policy, Binding = binding, Exceptions = expired }));
        Assert.Equal("Conditional", In(results, "monitoring").Status);
        Assert.Contains("expired on", In(results, "monitoring").Conditional.Single().Detail, StringComparison.Ordinal);
        Assert.Equal("Compliant", In(results, "default").Status);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void A_copy_without_the_annotation_is_judged_generically_and_never_Compliant_where_its_exceptions_apply(string engine)
    {
        foreach (var objects in new[] { Objects(engine, plan), Mutated(engine, "owner clause removed") })
        {
            objects[^1]["metadata"]!["annotations"]!.AsObject().Remove(TargetedPolicyObjects.ExceptionsAnnotation);
            var r = In(Audit(objects), "monitoring");
            Assert.True(r.Status != "Compliant", $"{engine}: {r.Namespace} is {r.Status}: {r.Reason}");
        }
    }
}

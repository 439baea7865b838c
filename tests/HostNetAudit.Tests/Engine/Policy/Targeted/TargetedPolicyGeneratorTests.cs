using System.Text.Json;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>The generator on hand-written inventories: how the exemptions file becomes exceptions and coverage.</summary>
public sealed class TargetedPolicyGeneratorTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hna-gen-" + Guid.NewGuid().ToString("N"));

    public TargetedPolicyGeneratorTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private ExemptionSet Load(string yaml)
    {
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return ExemptionSet.Load(new[] { path }, new RecordingLog(), new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    }

    private static HostNetworkPod Pod(string ns, string name, string? ownerKind, string? ownerName, string sa = "default", string? node = "worker-1", bool mirror = false, string? ownerApiVersion = null) =>
        new() { Namespace = ns, Name = name, OwnerKind = ownerKind, OwnerName = ownerName, ServiceAccount = sa, NodeName = node, IsMirrorPod = mirror, OwnerApiVersion = ownerApiVersion };

    private static readonly TargetedInventory Inventory = new(
        new[] { "default", "kube-system", "edge", "shop", "sandbox" },
        new[]
        {
            Pod("kube-system", "cilium-abcde", "DaemonSet", "cilium", "cilium"),
            Pod("kube-system", "cilium-fghij", "DaemonSet", "cilium", "cilium", node: "worker-2"),
            Pod("kube-system", "kube-apiserver-cp-1", "Node", "cp-1", node: "cp-1", mirror: true),
            Pod("kube-system", "kube-apiserver-cp-2", "Node", "cp-2", node: "cp-2", mirror: true),
            Pod("edge", "router-7d9f8-x", "Deployment", "router", "router"),
            Pod("edge", "router-canary-6c4-x", "Deployment", "router-canary", "router"),
            Pod("shop", "web-7c9-x", "Rollout", "web", "web", ownerApiVersion: "argoproj.io/v1alpha1"),
            Pod("sandbox", "netshoot", null, null),
        },
        new[] { new HostNetworkWorkload { Kind = "DaemonSet", Namespace = "kube-system", Name = "cilium", ServiceAccount = "cilium", ApiVersion = "apps/v1" } });

    [Fact]
    public void Wildcards_become_the_names_that_exist_and_entries_that_match_nothing_are_dropped_with_a_warning()
    {
        var plan = TargetedPolicyGenerator.Generate(Load("""
            - kind: Deployment
              namespace: edge
              name: router*
              justification: edge routers
            - kind: DaemonSet
              namespace: kube-system
              name: aws-node
              justification: VPC CNI
            - kind: Pod
              namespace: kube-system
              name: kube-apiserver-*
              justification: static
            - namespace: sandbox
              justification: lab
            """), Inventory, new TargetedPolicyOptions { Context = "c" });
        Assert.Equal(new[] { "router", "router-canary" }, plan.Exceptions.Where(e => e.Namespace == "edge").Select(e => e.Name));
        var warning = Assert.Single(plan.Warnings, w => w.Id == "ExemptionMatchesNothing");
        Assert.Contains("DaemonSet/kube-system/aws-node", warning.Target, StringComparison.Ordinal);
        Assert.Contains(plan.LeftOut, l => l.Namespace == "sandbox" && l.Reason == LeftOutReason.Exempt && l.Justification == "lab");

        // kube-system's undeclared cilium and shop's Rollout leave their namespaces out, each workload once with its
        // pods (the mirror pods are declared); a left-out namespace carries no exceptions.
        Assert.Equal("DaemonSet/cilium (2 pods)", Assert.Single(plan.LeftOut.Single(l => l.Namespace == "kube-system").Workloads).ToString());
        Assert.Equal("Rollout/web (1 pod)", Assert.Single(plan.LeftOut.Single(l => l.Namespace == "shop").Workloads).ToString());
        Assert.Equal(new[] { "default", "edge" }, plan.ProtectedNamespaces);
        Assert.Equal(new[] { "kube-system", "sandbox", "shop" }, plan.ExcludedNamespaces);
        Assert.Contains(plan.Warnings, w => w.Id == "ControllerServiceAccountsUnguarded");
    }

    [Fact]
    public void IncludeUnmatched_carries_exact_names_only_and_entries_of_other_contexts_are_not_used()
    {
        var plan = TargetedPolicyGenerator.Generate(Load("""
            - kind: DaemonSet
              namespace: default
              name: future-agent
              justification: rolled out next week
            - kind: DaemonSet
              namespace: default
              name: future-*
              justification: wildcard
            - kind: Deployment
              namespace: edge
              name: router
              justification: other cluster
              context: prod-*
            """), Inventory, new TargetedPolicyOptions { Context = "staging", IncludeUnmatched = true });
        var carried = Assert.Single(plan.Exceptions);
        Assert.Equal(("DaemonSet", "future-agent", "default"), (carried.Kind, carried.Name, carried.ServiceAccounts.Single()));
        Assert.Contains(plan.Warnings, w => w.Id == "ExemptionMatchesNothing" && w.Target.Contains("future-*", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Exceptions, e => e.Name == "router");
    }

    [Fact]
    public void A_static_pod_is_declared_by_its_name_without_the_node_and_kube_system_is_covered_once_all_is_declared()
    {
        var plan = TargetedPolicyGenerator.Generate(Load("""
            - kind: Pod
              namespace: kube-system
              name: kube-apiserver-*
              justification: static
            - kind: DaemonSet
              namespace: kube-system
              name: cilium
              justification: CNI
            """), Inventory, new TargetedPolicyOptions());
        var mirror = Assert.Single(plan.Exceptions, e => e.Shape == ExceptionShape.MirrorPod);
        Assert.Equal(("kube-apiserver", "kube-system"), (mirror.Name, mirror.Namespace));
        Assert.Equal(new[] { "cilium" }, plan.Exceptions.Single(e => e.Name == "cilium").ServiceAccounts);
        Assert.Contains("kube-system", plan.ProtectedNamespaces);
        Assert.DoesNotContain(plan.Warnings, w => w.Id == "ControllerServiceAccountsUnguarded");
    }

    [Fact]
    public void A_custom_owner_kind_needs_createdBy_or_the_entry_is_refused_naming_it()
    {
        var ex = Assert.Throws<HostNetAuditException>(() => TargetedPolicyGenerator.Generate(Load("""
            - kind: Rollout
              namespace: shop
              name: web
              justification: canary
            """), Inventory, new TargetedPolicyOptions()));
        Assert.Equal("ExemptionOwnerUnsupported", ex.ErrorId);
        Assert.Contains("entry 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Rollout/shop/web", ex.Message, StringComparison.Ordinal);

        var plan = TargetedPolicyGenerator.Generate(Load("""
            - kind: Rollout
              namespace: shop
              name: web
              justification: canary
              createdBy: system:serviceaccount:argo-rollouts:argo-rollouts
            """), Inventory, new TargetedPolicyOptions());
        var rollout = Assert.Single(plan.Exceptions);
        Assert.Equal(("argoproj.io", "system:serviceaccount:argo-rollouts:argo-rollouts"), (rollout.Group, rollout.CreatedBy));
        Assert.Contains("shop", plan.ProtectedNamespaces);
    }

    [Theory]
    [InlineData("requesters: alice", "'requesters' is the string")]
    [InlineData("requesters: ['*']", "no wildcards")]
    [InlineData("debuggers: [42]", "must be a string")]
    [InlineData("createdBy: someone", "built-in kinds' controllers are known")]
    [InlineData("requestors: [alice]", "unknown field 'requestors'")]
    public void The_new_fields_are_read_strictly(string field, string why)
    {
        var ex = Assert.Throws<HostNetAuditException>(() => Load($"""
            - kind: DaemonSet
              namespace: kube-system
              name: cilium
              justification: CNI
              {field}
            """));
        Assert.Equal("ExemptionFileInvalid", ex.ErrorId);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Requesters_debuggers_and_expiry_are_carried_and_the_policy_is_rebuilt_exactly_from_its_annotation()
    {
        var plan = TargetedPolicyGenerator.Generate(Load("""
            - kind: DaemonSet
              namespace: kube-system
              name: cilium
              justification: CNI
              requesters: [system:serviceaccount:argocd:argocd-application-controller]
              debuggers: [oncall]
              expires: 2027-03-31
            - kind: Pod
              namespace: kube-system
              name: kube-apiserver-*
              justification: static
            - kind: Deployment
              namespace: edge
              name: router
              justification: edge
            """), Inventory, new TargetedPolicyOptions { Context = "c" });
        var cilium = plan.Exceptions.Single(e => e.Name == "cilium");
        Assert.Equal(new[] { "oncall" }, cilium.Debuggers);
        Assert.Equal(new DateTimeOffset(2027, 3, 31, 0, 0, 0, TimeSpan.Zero), cilium.Expires);
        var policyText = plan.Policy.ToJsonString();
        Assert.Contains("argocd-application-controller", policyText, StringComparison.Ordinal);

        using var served = JsonDocument.Parse(policyText);
        var read = TargetedPolicyObjects.ReadExceptions(served.RootElement)!;
        Assert.Equal(plan.Exceptions.Count, read.Count);
        var (rebuilt, _) = TargetedPolicyObjects.Build(read, Array.Empty<string>(), PolicyValidationAction.Deny, TargetedPolicyObjects.ReadControllerIdentity(served.RootElement));
        Assert.Equal(policyText, rebuilt.ToJsonString());
    }

    [Fact]
    public void The_CEL_uses_no_optional_syntax_no_extension_library_and_pods_only_as_the_resource_itself()
    {
        var plan = TargetedPolicyGenerator.Generate(Load("""
            - kind: CronJob
              namespace: default
              name: probe
              justification: probe
            """), Inventory, new TargetedPolicyOptions { IncludeUnmatched = true });
        var spec = plan.Policy["spec"]!;
        var text = string.Join("\n", spec["variables"]!.AsArray().Concat(spec["validations"]!.AsArray()).Select(v => v!["expression"]!.ToString()));
        foreach (var forbidden in new[] { ".?", "?.", "optional.", ".orValue(", "authorizer", "isSorted(", ".lowerAscii(", "split(", "quantity(", "url(" })
        {
            Assert.DoesNotContain(forbidden, text, StringComparison.Ordinal);
        }

        var rules = plan.Policy["spec"]!["matchConstraints"]!["resourceRules"]!.AsArray();
        Assert.Equal(new[] { "pods" }, rules[0]!["resources"]!.AsArray().Select(r => r!.ToString()));
        Assert.Equal(new[] { "CREATE" }, rules[0]!["operations"]!.AsArray().Select(r => r!.ToString()));
        Assert.DoesNotContain(rules.SelectMany(r => r!["resources"]!.AsArray()), r => r!.ToString() is "pods/*" or "*" or "*/*");
        Assert.Equal("Fail", plan.Policy["spec"]!["failurePolicy"]!.ToString());
        Assert.Contains("^probe-[0-9]+$", text, StringComparison.Ordinal);
    }
}

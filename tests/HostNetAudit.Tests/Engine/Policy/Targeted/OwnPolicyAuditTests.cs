using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>
/// Issue 10, point 10: the audit does not take the module's own targeted policy on trust. It regenerates the policy
/// from its exceptions annotation and calls a covered namespace Compliant, listing the exceptions, only when the
/// policy is identical and every exception is declared; mutated copies are Conditional. Offline, through the same
/// code path as -Path.
/// </summary>
public sealed class OwnPolicyAuditTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hostnetaudit-own-" + Guid.NewGuid().ToString("N"));
    private readonly ExemptionSet declared;
    private readonly TargetedPolicyPlan plan;

    public OwnPolicyAuditTests()
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "exemptions.yaml");
        File.WriteAllText(path, """
            apiVersion: hostnetaudit.io/v1
            kind: HostNetworkExemptions
            exemptions:
            - kind: DaemonSet
              namespace: kube-system
              name: cilium
              justification: Cilium agent programs the node's datapath.
            """);
        declared = ExemptionSet.Load(new[] { path }, new RecordingLog(), DateTimeOffset.UtcNow);
        var pod = new HostNetworkPod { Context = "sim", Namespace = "kube-system", Name = "cilium-x7k2p", OwnerKind = "DaemonSet", OwnerName = "cilium", OwnerApiVersion = "apps/v1", ServiceAccount = "cilium", NodeName = "node-1" };
        var workload = new HostNetworkWorkload { Context = "sim", Kind = "DaemonSet", ApiVersion = "apps/v1", Namespace = "kube-system", Name = "cilium", ServiceAccount = "cilium" };
        plan = TargetedPolicyGenerator.Generate(declared, new TargetedInventory(new[] { "default", "kube-system" }, new[] { pod }, new[] { workload }), new TargetedPolicyOptions { Context = "sim" });
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private List<NamespacePolicyResult> Audit(JsonObject policy, JsonObject? binding = null, ExemptionSet? exemptions = null) =>
        PolicyHarness.Evaluate(
            new[] { TestObjects.Namespace("default"), TestObjects.Namespace("kube-system"), Element(policy), Element(binding ?? plan.Binding) },
            exemptions: exemptions ?? declared);

    private static JsonElement Element(JsonObject o) => JsonSerializer.SerializeToElement(o);

    /// <summary>The policy with the "excepted" variable's expression rewritten.</summary>
    private JsonObject Mutated(Func<string, string> change)
    {
        var copy = plan.Policy.DeepClone().AsObject();
        var excepted = copy["spec"]!["variables"]!.AsArray().OfType<JsonObject>().Single(v => v["name"]!.GetValue<string>() == "excepted");
        var before = excepted["expression"]!.GetValue<string>();
        var after = change(before);
        Assert.NotEqual(before, after);
        excepted["expression"] = after;
        return copy;
    }

    private static NamespacePolicyResult In(List<NamespacePolicyResult> results, string ns) => results.Single(r => r.Namespace == ns);

    [Fact]
    public void The_modules_own_policy_is_Compliant_with_its_exceptions_listed_where_they_apply()
    {
        var results = Audit(plan.Policy);
        Assert.All(results, r => Assert.Equal("Compliant", r.Status));
        Assert.Equal(new[] { "DaemonSet/cilium: Cilium agent programs the node's datapath." }, In(results, "kube-system").PolicyExceptions);
        Assert.Empty(In(results, "default").PolicyExceptions);
    }

    [Fact]
    public void A_renamed_identical_copy_is_still_the_modules_policy()
    {
        var policy = plan.Policy.DeepClone().AsObject();
        policy["metadata"]!["name"] = "copied-hostnetwork";
        var binding = plan.Binding.DeepClone().AsObject();
        binding["metadata"]!["name"] = "copied-hostnetwork";
        binding["spec"]!["policyName"] = "copied-hostnetwork";
        var results = Audit(policy, binding);
        Assert.All(results, r => Assert.Equal("Compliant", r.Status));
        Assert.NotEmpty(In(results, "kube-system").PolicyExceptions);
    }

    public static TheoryData<string, string, string> Mutations => new()
    {
        // name, pattern in the excepted expression, replacement
        { "owner clause removed", @"variables\.owners\.exists\(r, r\.kind == 'DaemonSet' && r\.apiVersion\.startsWith\('apps/'\) && r\.name == 'cilium'\)", "true" },
        { "username-only check", @"(?s)^.*$", "variables.user == 'system:serviceaccount:kube-system:daemon-set-controller'" },
        { "owner-only check", @"(?s)^.*$", "variables.owners.exists(r, r.kind == 'DaemonSet' && r.name == 'cilium')" },
        { "owner name widened to a prefix", @"r\.name == 'cilium'", "r.name.startsWith('cilium')" },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_hand_edited_copy_is_Conditional(string mutation, string pattern, string replacement)
    {
        var results = Audit(Mutated(text => Regex.Replace(text, pattern, replacement.Replace("$", "$$", StringComparison.Ordinal))));
        foreach (var r in results)
        {
            Assert.True(r.Status == "Conditional", $"{mutation}: {r.Namespace} is {r.Status}: {r.Reason}");
            Assert.Empty(r.PolicyExceptions);
            Assert.Contains(r.Conditional, f => f.Detail.Contains("not the module's policy as generated", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_wildcard_namespace_or_name_in_an_exception_is_never_Compliant_even_when_regenerated_identically()
    {
        foreach (var (ns, name) in new[] { ("kube-system", "cil*"), ("kube-*", "cilium") })
        {
            var widened = plan.Exceptions.Select(e => e with { Namespace = ns, Name = name }).ToList();
            var (policy, binding) = TargetedPolicyObjects.Build(widened, Array.Empty<string>(), PolicyValidationAction.Deny, ControllerIdentityMode.Either);
            var wildcardFile = Path.Combine(folder, "wild.yaml");
            File.WriteAllText(wildcardFile, $"- kind: DaemonSet\n  namespace: '{ns}'\n  name: '{name}'\n  justification: wide\n");
            var results = Audit(policy, binding, ExemptionSet.Load(new[] { wildcardFile }, new RecordingLog(), DateTimeOffset.UtcNow));
            Assert.All(results, r => Assert.NotEqual("Compliant", r.Status));
        }
    }

    [Fact]
    public void An_identical_policy_whose_exception_nobody_declared_is_Conditional_only_where_the_exception_applies()
    {
        var results = Audit(plan.Policy, exemptions: ExemptionSet.Empty);
        Assert.Equal("Conditional", In(results, "kube-system").Status);
        Assert.Contains("declared by no exemptions file", In(results, "kube-system").Conditional.Single().Detail, StringComparison.Ordinal);
        Assert.Equal("Compliant", In(results, "default").Status);
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_copy_without_the_annotation_is_judged_generically_and_never_Compliant(string mutation, string pattern, string replacement)
    {
        foreach (var policy in new[] { plan.Policy.DeepClone().AsObject(), Mutated(text => Regex.Replace(text, pattern, replacement.Replace("$", "$$", StringComparison.Ordinal))) })
        {
            policy["metadata"]!["annotations"]!.AsObject().Remove(TargetedPolicyObjects.ExceptionsAnnotation);
            // Where its exceptions apply; elsewhere (default) the chains admit nothing, so it refuses every hostNetwork pod.
            var r = In(Audit(policy), "kube-system");
            Assert.True(r.Status != "Compliant", $"{mutation}: {r.Namespace} is {r.Status}: {r.Reason}");
        }
    }
}

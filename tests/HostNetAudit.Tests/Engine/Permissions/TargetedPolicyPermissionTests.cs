using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Tests.Support;
using Xunit;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Permissions;

/// <summary>
/// Issue 14, point 1: the targeted policy's exceptions are ways past its refusal. Where the audit verified the
/// module's own policy, whoever can create, update or recreate an excepted workload (only its declared requesters,
/// when it declares some) can get a hostNetwork pod admitted (ViaException); everybody else is refused, and a
/// namespace without exceptions stays closed. Read through the offline code path.
/// </summary>
public sealed class TargetedPolicyPermissionTests : IDisposable
{
    private const string WriteDaemonSets = """[{"apiGroups":["apps"],"resources":["daemonsets"],"verbs":["create","update","patch"]}]""";
    private const string CreatePods = """[{"apiGroups":[""],"resources":["pods"],"verbs":["create"]}]""";

    private readonly string folder = Path.Combine(Path.GetTempPath(), "hostnetaudit-perm-own-" + Guid.NewGuid().ToString("N"));

    public TargetedPolicyPermissionTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Exemptions(string requesters)
    {
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, $"""
            apiVersion: hostnetaudit.io/v1
            kind: HostNetworkExemptions
            exemptions:
            - kind: DaemonSet
              namespace: kube-system
              name: cilium
              justification: Cilium agent programs the node's datapath.{requesters}
            """);
        return path;
    }

    private static JsonElement Element(JsonObject o) => JsonSerializer.SerializeToElement(o);

    private static JsonElement Role(string ns, string name, string rules) =>
        Json($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"{{name}}","namespace":"{{ns}}"},"rules":{{rules}}}""");

    private static JsonElement RoleBinding(string ns, string role, string user) =>
        Json($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"{{role}}-{{user}}","namespace":"{{ns}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"{{role}}"},"subjects":[{"kind":"User","name":"{{user}}"}]}""");

    private List<HostNetworkPermission> Permissions(string exemptionPath)
    {
        var declared = ExemptionSet.Load(new[] { exemptionPath }, new RecordingLog(), DateTimeOffset.UtcNow);
        var pod = new HostNetworkPod { Context = "offline", Namespace = "kube-system", Name = "cilium-x7k2p", OwnerKind = "DaemonSet", OwnerName = "cilium", OwnerApiVersion = "apps/v1", ServiceAccount = "cilium", NodeName = "node-1" };
        var workload = new HostNetworkWorkload { Context = "offline", Kind = "DaemonSet", ApiVersion = "apps/v1", Namespace = "kube-system", Name = "cilium", ServiceAccount = "cilium" };
        var plan = TargetedPolicyGenerator.Generate(declared, new TargetedInventory(new[] { "team", "kube-system" }, new[] { pod }, new[] { workload }), new TargetedPolicyOptions { Context = "offline" });

        var objects = new[]
        {
            Namespace("team"), Namespace("kube-system"), Element(plan.Policy), Element(plan.Binding),
            Role("kube-system", "daemonsets", WriteDaemonSets), RoleBinding("kube-system", "daemonsets", "ops"), RoleBinding("kube-system", "daemonsets", "argocd"),
            Role("kube-system", "pods", CreatePods), RoleBinding("kube-system", "pods", "dev"),
            Role("team", "pods", CreatePods), RoleBinding("team", "pods", "team-dev"),
        };
        return new EvidenceSet(Evidence(objects), NullEngineLog.Instance)
            .GetHostNetworkPermissionsAsync(new NamespacePolicyQuery { ExemptionPaths = new[] { exemptionPath } }, CancellationToken.None)
            .GetAwaiter().GetResult().ToList();
    }

    [Fact]
    public void Whoever_can_write_the_excepted_workload_gets_a_hostNetwork_pod_through_its_exception()
    {
        var records = Permissions(Exemptions(string.Empty));

        var ops = Assert.Single(records, r => r.Subject == "User ops" && r.PathType == "ViaException");
        Assert.Equal("kube-system", ops.Namespace);
        Assert.Equal("Compliant", ops.AdmissionState);
        Assert.Contains(ops.Path, l => l.Contains("HostNetAudit targeted policy", StringComparison.Ordinal) && l.Contains("DaemonSet cilium", StringComparison.Ordinal));

        // A bare pod matches no exception (pods of the chain come from the daemon-set-controller only), and a
        // namespace the policy covers without exceptions admits nobody.
        Assert.DoesNotContain(records, r => r.Subject == "User dev" && r.PathType == "ViaException");
        Assert.DoesNotContain(records, r => r.Namespace == "team" && r.PathType is "ViaException" or "Open");
    }

    [Fact]
    public void An_exception_that_declares_requesters_admits_only_them()
    {
        var records = Permissions(Exemptions("\n  requesters: [argocd]"));

        Assert.Single(records, r => r.Subject == "User argocd" && r.PathType == "ViaException" && r.Namespace == "kube-system");
        Assert.DoesNotContain(records, r => r.Subject == "User ops" && r.PathType == "ViaException");
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Engine.Policy;

/// <summary>
/// The reference pod of docs/design.md ("The reference pod and its twin"): apiVersion v1, kind Pod, no labels,
/// the default service account, one container with small requests and limits that otherwise meets the restricted profile, so that
/// hostNetwork: true is its only fault; created by a controller identity (as the ReplicaSet controller does).
/// Its control twin is the same pod without hostNetwork. Every evaluator, the CEL judge and the probe use these.
/// </summary>
internal static class ReferencePod
{
    /// <summary>The identity controllers create pods with (kube-controller-manager with --use-service-account-credentials).</summary>
    public const string ControllerUser = "system:serviceaccount:kube-system:replicaset-controller";

    /// <summary>The identity of the DaemonSet controller, which creates CNI and node agents.</summary>
    public const string DaemonSetControllerUser = "system:serviceaccount:kube-system:daemon-set-controller";

    /// <summary>The controller-manager's own identity when it runs without service-account credentials.</summary>
    public const string ControllerManagerUser = "system:kube-controller-manager";

    public const string Image = "registry.k8s.io/pause:3.10";

    public const string ReferenceName = "hostnetaudit-reference";

    public const string TwinName = "hostnetaudit-twin";

    /// <summary>Groups of the controller service accounts.</summary>
    public static readonly IReadOnlyList<string> ControllerGroups = new[] { "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated" };

    /// <summary>
    /// The cluster roles the default RBAC binds to the ReplicaSet controller (its own, and those bound to
    /// system:authenticated), which engines that look roles up (Kyverno) see on its requests.
    /// </summary>
    public static readonly IReadOnlyList<string> ControllerClusterRoles = new[] { "system:controller:replicaset-controller", "system:basic-user", "system:discovery", "system:public-info-viewer" };

    /// <summary>Every user name a controller that creates pods may carry.</summary>
    public static readonly IReadOnlyList<string> ControllerUsers = new[] { ControllerUser, DaemonSetControllerUser, "system:serviceaccount:kube-system:job-controller", "system:serviceaccount:kube-system:statefulset-controller", ControllerManagerUser };

    /// <summary>The reference pod (hostNetwork: true) in a namespace.</summary>
    public static JsonElement Reference(string ns = "default") => JsonSerializer.SerializeToElement(Build(ns, hostNetwork: true));

    /// <summary>The control twin (no hostNetwork) in a namespace.</summary>
    public static JsonElement Twin(string ns = "default") => JsonSerializer.SerializeToElement(Build(ns, hostNetwork: false));

    /// <summary>The pod as JSON text for a dry-run create.</summary>
    public static string ToJson(string ns, bool hostNetwork) => Build(ns, hostNetwork).ToJsonString();

    /// <summary>The admission request a controller's create of the reference pod (or, without hostNetwork, its twin)
    /// in <paramref name="ns"/> carries (CEL's <c>request</c>).</summary>
    public static JsonElement Request(string ns, bool hostNetwork) => JsonSerializer.SerializeToElement(new JsonObject
    {
        ["uid"] = "00000000-0000-0000-0000-000000000000",
        ["kind"] = new JsonObject { ["group"] = string.Empty, ["version"] = "v1", ["kind"] = "Pod" },
        ["resource"] = new JsonObject { ["group"] = string.Empty, ["version"] = "v1", ["resource"] = "pods" },
        ["requestKind"] = new JsonObject { ["group"] = string.Empty, ["version"] = "v1", ["kind"] = "Pod" },
        ["requestResource"] = new JsonObject { ["group"] = string.Empty, ["version"] = "v1", ["resource"] = "pods" },
        ["name"] = hostNetwork ? ReferenceName : TwinName,
        ["namespace"] = ns,
        ["operation"] = "CREATE",
        ["userInfo"] = new JsonObject
        {
            ["username"] = ControllerUser,
            ["groups"] = new JsonArray(ControllerGroups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
        },
        ["dryRun"] = false,
    });

    public static JsonObject Build(string ns, bool hostNetwork)
    {
        var spec = new JsonObject();
        if (hostNetwork)
        {
            spec["hostNetwork"] = true;
        }

        spec["serviceAccountName"] = "default";
        spec["automountServiceAccountToken"] = false;
        spec["securityContext"] = new JsonObject
        {
            ["runAsNonRoot"] = true,
            ["runAsUser"] = 65535,
            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
        };
        spec["containers"] = new JsonArray(new JsonObject
        {
            ["name"] = "reference",
            ["image"] = Image,
            ["resources"] = new JsonObject
            {
                ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
                ["limits"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
            },
            ["securityContext"] = new JsonObject
            {
                ["allowPrivilegeEscalation"] = false,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                ["runAsNonRoot"] = true,
                ["readOnlyRootFilesystem"] = true,
            },
        });
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = hostNetwork ? ReferenceName : TwinName,
                ["namespace"] = ns,
            },
            ["spec"] = spec,
        };
    }
}

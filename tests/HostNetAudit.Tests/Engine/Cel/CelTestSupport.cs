using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Cel;
using HostNetAudit.Tests.Support;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>The reference pod and its twin (docs/design.md, "The reference pod"), and CEL policies to judge with them.</summary>
internal static class CelTestSupport
{
    public static JsonElement ReferencePod(string ns = "team-a", bool hostNetwork = true)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "hostnetaudit-reference", ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["serviceAccountName"] = "default",
                ["securityContext"] = new JsonObject
                {
                    ["runAsNonRoot"] = true,
                    ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
                },
                ["containers"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["name"] = "reference",
                        ["image"] = "registry.k8s.io/pause:3.10",
                        ["resources"] = new JsonObject
                        {
                            ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
                            ["limits"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
                        },
                        ["securityContext"] = new JsonObject
                        {
                            ["allowPrivilegeEscalation"] = false,
                            ["runAsNonRoot"] = true,
                            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
                        },
                    },
                },
            },
        };
        if (hostNetwork)
        {
            pod["spec"]!["hostNetwork"] = true;
        }

        return JsonSerializer.SerializeToElement(pod);
    }

    public static JsonElement TwinPod(string ns = "team-a") => ReferencePod(ns, hostNetwork: false);

    public static CelAdmissionInput Input(JsonElement? namespaceObject = null) => new()
    {
        ReferencePod = ReferencePod(),
        TwinPod = TwinPod(),
        NamespaceObject = namespaceObject ?? TestObjects.Namespace(),
    };

    /// <summary>A VAP-dialect policy from expressions.</summary>
    public static CelPolicy Policy(params string[] validations) => new()
    {
        Dialect = CelDialect.ValidatingAdmissionPolicy,
        Name = "ValidatingAdmissionPolicy/test",
        Validations = validations.Select(v => new CelValidation(v)).ToList(),
    };

    public static CelJudgement Judge(CelPolicy policy, CelAdmissionInput? input = null) =>
        CelJudge.JudgeValidations(policy, input ?? Input());
}

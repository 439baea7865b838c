using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Infrastructure;

namespace HostNetAudit.Simulator;

/// <summary>authentication.k8s.io SelfSubjectReview: the server says who the caller is (Kubernetes 1.28+).</summary>
public sealed partial class SimCluster
{
    private static SimResponse SelfSubjectReview(RequestRecord record)
    {
        var user = record.User ?? "system:anonymous";
        var groups = new JsonArray();
        if (user.StartsWith("system:serviceaccount:", StringComparison.Ordinal))
        {
            var ns = user.Split(':')[2];
            groups.Add("system:serviceaccounts");
            groups.Add("system:serviceaccounts:" + ns);
        }

        groups.Add("system:authenticated");
        return SimResponse.Json(201, new JsonObject
        {
            ["kind"] = "SelfSubjectReview",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["status"] = new JsonObject { ["userInfo"] = new JsonObject { ["username"] = user, ["groups"] = groups } },
        });
    }
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>
/// The generated CEL checked by a CEL implementation independent of the module and of the simulator: npm
/// <c>@bufbuild/cel</c> under node (tests/cel-check, installed by .ci/run). Every expression parses; on the activations
/// of the identity matrix (each pod and workload of the mixed cluster, created by its controller and by an ordinary
/// user, and the adversarial cases) no expression errs (every field access is guarded), and its verdict is the
/// simulated apiserver's.
/// </summary>
public sealed class IndependentCelTests
{
    [NodeCelFact]
    public async Task Bufbuild_cel_parses_the_policy_and_agrees_with_the_apiserver_on_every_request_of_the_matrix()
    {
        await using var harness = await TargetedPolicyHarness.StartAsync(TargetedScenario.Create(), TargetedScenario.Legitimate);
        var spec = harness.Plan.Policy["spec"]!;
        var cases = new JsonArray();
        var expected = new Dictionary<string, bool>(StringComparer.Ordinal);
        var excluded = harness.Plan.ExcludedNamespaces.ToHashSet(StringComparer.Ordinal);

        async Task Add(string name, string user, string[] groups, string group, string kind, string path, JsonObject body, string operation = "CREATE", string? subResource = null)
        {
            var reply = operation == "CREATE" ? await harness.CreateAsync(user, path, body, groups) : await harness.SendAsync(user, HttpMethod.Put, path, body, groups);
            Assert.True(TargetedPolicyHarness.Admitted(reply) || TargetedPolicyHarness.RefusedByPolicy(reply), $"{name}: {reply.Status} {reply.Message}");
            expected[name] = TargetedPolicyHarness.Admitted(reply);
            var allGroups = groups.ToList();
            if (user.StartsWith("system:serviceaccount:", StringComparison.Ordinal))
            {
                allGroups.AddRange(new[] { "system:serviceaccounts", "system:serviceaccounts:" + user.Split(':')[2] });
            }

            allGroups.Add("system:authenticated");
            var request = new JsonObject
            {
                ["kind"] = new JsonObject { ["group"] = group, ["version"] = "v1", ["kind"] = kind },
                ["operation"] = operation,
                ["namespace"] = body["metadata"]!["namespace"]!.ToString(),
                ["name"] = body["metadata"]!["name"]!.ToString(),
                ["userInfo"] = new JsonObject { ["username"] = user, ["groups"] = new JsonArray(allGroups.Select(g => (JsonNode)JsonValue.Create(g)!).ToArray()) },
            };
            if (subResource is not null)
            {
                request["subResource"] = subResource;
            }

            cases.Add(new JsonObject { ["name"] = name, ["request"] = request, ["object"] = body.DeepClone(), ["oldObject"] = operation == "CREATE" ? null : body.DeepClone() });
        }

        foreach (var pod in await harness.ListAsync("/api/v1/pods"))
        {
            var ns = pod["metadata"]!["namespace"]!.ToString();
            if (excluded.Contains(ns))
            {
                continue;
            }

            var body = TargetedPolicyHarness.AsCreate(pod);
            var path = $"/api/v1/namespaces/{ns}/pods";
            var (user, groups) = TargetedPolicyHarness.Recreator(pod) ?? ("alice", Array.Empty<string>());
            await Add($"{ns}/{pod["metadata"]!["name"]} by {user}", user, groups, string.Empty, "Pod", path, body);
            await Add($"{ns}/{pod["metadata"]!["name"]} by mallory", "mallory", Array.Empty<string>(), string.Empty, "Pod", path, body);
            if (TargetedPolicyHarness.Recreator(pod) is { } creator && creator.User.StartsWith("system:node:", StringComparison.Ordinal))
            {
                await Add($"{ns}/{pod["metadata"]!["name"]} by another node", "system:node:worker-1", new[] { "system:nodes" }, string.Empty, "Pod", path, body);
            }
        }

        foreach (var (prefix, group, resource, kind) in new[] { ("/apis/apps/v1", "apps", "daemonsets", "DaemonSet"), ("/apis/apps/v1", "apps", "deployments", "Deployment"), ("/apis/apps/v1", "apps", "replicasets", "ReplicaSet"), ("/apis/apps/v1", "apps", "statefulsets", "StatefulSet"), ("/apis/batch/v1", "batch", "jobs", "Job"), ("/apis/batch/v1", "batch", "cronjobs", "CronJob"), ("/api/v1", string.Empty, "replicationcontrollers", "ReplicationController") })
        {
            foreach (var item in await harness.ListAsync($"{prefix}/{resource}"))
            {
                var ns = item["metadata"]!["namespace"]!.ToString();
                if (excluded.Contains(ns))
                {
                    continue;
                }

                var body = TargetedPolicyHarness.AsCreate(item);
                var path = $"{prefix}/namespaces/{ns}/{resource}";
                var (user, groups) = TargetedPolicyHarness.Recreator(item) ?? ("alice", Array.Empty<string>());
                await Add($"{kind} {ns}/{item["metadata"]!["name"]} by {user}", user, groups, group, kind, path, body);
                await Add($"{kind} {ns}/{item["metadata"]!["name"]} by mallory", "mallory", Array.Empty<string>(), group, kind, path, body);
                var served = item.DeepClone().AsObject();
                await Add($"{kind} {ns}/{item["metadata"]!["name"]} unchanged update by mallory", "mallory", Array.Empty<string>(), group, kind, $"{path}/{item["metadata"]!["name"]}", served, "UPDATE");
            }
        }

        var input = new JsonObject
        {
            ["variables"] = spec["variables"]!.DeepClone(),
            ["validations"] = new JsonArray(spec["validations"]!.AsArray().Select(v => (JsonNode)JsonValue.Create(v!["expression"]!.ToString())!).ToArray()),
            ["cases"] = cases,
        };
        var output = await NodeCel.RunAsync(input);
        Assert.Empty(output["parseErrors"]!.AsArray());
        var disagreements = new List<string>();
        foreach (var result in output["cases"]!.AsArray())
        {
            var name = result!["name"]!.ToString();
            var values = result["results"]!.AsArray().Select(r => r!.GetValueKind() == JsonValueKind.String ? (object)r.ToString() : r.GetValue<bool>()).ToList();
            if (values.OfType<string>().FirstOrDefault() is { } error)
            {
                disagreements.Add($"{name}: {error}");
            }
            else if (values.All(v => (bool)v) != expected[name])
            {
                disagreements.Add($"{name}: bufbuild says {(values.All(v => (bool)v) ? "admitted" : "refused")}, the apiserver {(expected[name] ? "admitted" : "refused")}");
            }
        }

        Assert.True(cases.Count > 150, $"{cases.Count} cases");
        Assert.Contains(expected, e => !e.Value);
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }
}

/// <summary>Runs tests/cel-check/check.mjs under node.</summary>
internal static class NodeCel
{
    public static string Folder => Path.Combine(RepositoryPaths.Root, "tests", "cel-check");

    /// <summary>Why the check cannot run here (node or the package absent), or null.</summary>
    public static string? MissingReason()
    {
        if (!File.Exists(Path.Combine(Folder, "node_modules", "@bufbuild", "cel", "package.json")))
        {
            return "@bufbuild/cel is not installed in tests/cel-check (.ci/run installs it with npm); the independent CEL check is skipped.";
        }

        return FindNode() is null ? "node is not on PATH; the independent CEL check is skipped." : null;
    }

    private static string? FindNode() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(d => new[] { Path.Combine(d, "node"), Path.Combine(d, "node.exe") })
            .FirstOrDefault(File.Exists);

    public static async Task<JsonObject> RunAsync(JsonObject input)
    {
        var start = new ProcessStartInfo(FindNode()!, "check.mjs")
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input.ToJsonString());
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, await stderr);
        return JsonNode.Parse(await stdout)!.AsObject();
    }
}

/// <summary>A fact that skips, with a message, where node or @bufbuild/cel is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class NodeCelFactAttribute : FactAttribute
{
    public NodeCelFactAttribute()
    {
        Skip = NodeCel.MissingReason();
    }
}

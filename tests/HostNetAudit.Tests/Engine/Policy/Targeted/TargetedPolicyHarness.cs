using System.Net;
using System.Text.Json.Nodes;
using HostNetAudit.Engine;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Targeted;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Simulator;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies.Targeted;

/// <summary>
/// A simulated cluster with the targeted policy generated from its own inventory and applied: the shipped example
/// exemptions plus only the entries the scenario's author marks legitimate. Requests are sent as the identities that
/// make them (impersonated by the cluster admin) and judged from the server's answers.
/// </summary>
internal sealed class TargetedPolicyHarness : IAsyncDisposable
{
    public const string Denied = "ValidatingAdmissionPolicy 'hostnetaudit-hostnetwork' with binding 'hostnetaudit-hostnetwork' denied request: ";
    private readonly string folder;

    private TargetedPolicyHarness(SimHost host, string folder)
    {
        Host = host;
        this.folder = folder;
    }

    public SimHost Host { get; }

    public TargetedPolicyPlan Plan { get; private set; } = null!;

    public string ExemptionPath { get; private set; } = string.Empty;

    public static string ExamplePath => Path.Combine(RepositoryPaths.Root, "examples", "hostnetwork-exemptions.yaml");

    /// <summary>Starts the scenario, writes the exemptions (example + <paramref name="extraEntries"/> YAML list items), generates and applies.</summary>
    public static async Task<TargetedPolicyHarness> StartAsync(Scenario scenario, string extraEntries, TargetedPolicyOptions? options = null, bool apply = true)
    {
        var host = await SimHost.StartAsync(scenario);
        var folder = Path.Combine(Path.GetTempPath(), "hostnetaudit-targeted-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var harness = new TargetedPolicyHarness(host, folder);
        harness.ExemptionPath = Path.Combine(folder, "exemptions.yaml");
        await File.WriteAllTextAsync(harness.ExemptionPath, await File.ReadAllTextAsync(ExamplePath) + extraEntries);
        harness.Plan = await harness.GenerateAsync(options ?? new TargetedPolicyOptions { Context = "sim" });
        if (apply)
        {
            await harness.ApplyAsync();
        }

        return harness;
    }

    public async Task<TargetedPolicyPlan> GenerateAsync(TargetedPolicyOptions options)
    {
        var log = new RecordingLog();
        using var session = new ClusterSession(Host.Api(log), log);
        var inventory = await session.ReadTargetedInventoryAsync(500, CancellationToken.None);
        var exemptions = ExemptionSet.Load(new[] { ExemptionPath }, log, DateTimeOffset.UtcNow);
        return TargetedPolicyGenerator.Generate(exemptions, inventory, options);
    }

    public async Task ApplyAsync()
    {
        using var admin = SimApi.Admin(Host);
        var policy = await admin.Post("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", Plan.Policy.ToJsonString());
        Assert.True(policy.Status == HttpStatusCode.Created, policy.Message);
        var binding = await admin.Post("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings", Plan.Binding.ToJsonString());
        Assert.True(binding.Status == HttpStatusCode.Created, binding.Message);
    }

    /// <summary>Every object of a kind as the server serves it.</summary>
    public async Task<List<JsonObject>> ListAsync(string path)
    {
        using var admin = SimApi.Admin(Host);
        var reply = await admin.Get(path);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Object["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
    }

    /// <summary>The object as its creator sends it: no uid, resourceVersion, timestamps, managedFields or status.</summary>
    public static JsonObject AsCreate(JsonObject served)
    {
        var obj = served.DeepClone().AsObject();
        obj.Remove("status");
        var metadata = obj["metadata"]!.AsObject();
        foreach (var field in new[] { "uid", "resourceVersion", "creationTimestamp", "managedFields", "generation" })
        {
            metadata.Remove(field);
        }

        return obj;
    }

    /// <summary>A dry-run create as <paramref name="user"/> (with <paramref name="groups"/>): the server's answer.</summary>
    public async Task<SimReply> CreateAsync(string user, string path, JsonObject body, params string[] groups)
    {
        using var admin = SimApi.Admin(Host);
        admin.ImpersonateUser = user;
        foreach (var group in groups)
        {
            admin.ImpersonateGroups.Add(group);
        }

        return await admin.Post(path + "?dryRun=All", body.ToJsonString());
    }

    public async Task<SimReply> SendAsync(string user, HttpMethod method, string path, JsonObject body, params string[] groups)
    {
        using var admin = SimApi.Admin(Host);
        admin.ImpersonateUser = user;
        foreach (var group in groups)
        {
            admin.ImpersonateGroups.Add(group);
        }

        return await admin.Send(method, path + "?dryRun=All", body.ToJsonString());
    }

    /// <summary>Admitted by admission: created, or refused only because the name exists (admission runs first).</summary>
    public static bool Admitted(SimReply reply) =>
        reply.Status is HttpStatusCode.Created or HttpStatusCode.OK || (reply.Status == HttpStatusCode.Conflict && reply.Object["reason"]?.ToString() == "AlreadyExists");

    public static bool RefusedByPolicy(SimReply reply) =>
        reply.Status is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Forbidden && reply.Message.Contains(Denied, StringComparison.Ordinal);

    /// <summary>Who re-creates a pod: the controller of its owner (per-controller service account), the kubelet of its
    /// node for a mirror pod, else null (a bare pod: its requester).</summary>
    public static (string User, string[] Groups)? Recreator(JsonObject pod, bool sharedControllerIdentity = false)
    {
        var owner = (pod["metadata"]?["ownerReferences"] as JsonArray)?.FirstOrDefault(r => r?["controller"]?.GetValue<bool>() == true);
        if (owner is null)
        {
            return null;
        }

        string Controller(string name) => sharedControllerIdentity ? "system:kube-controller-manager" : "system:serviceaccount:kube-system:" + name;
        return owner["kind"]!.ToString() switch
        {
            "Node" => ("system:node:" + pod["spec"]!["nodeName"]!, new[] { "system:nodes" }),
            "DaemonSet" => (Controller("daemon-set-controller"), Array.Empty<string>()),
            "ReplicaSet" => (Controller("replicaset-controller"), Array.Empty<string>()),
            "StatefulSet" => (Controller("statefulset-controller"), Array.Empty<string>()),
            "Job" => (Controller("job-controller"), Array.Empty<string>()),
            "ReplicationController" => (Controller("replication-controller"), Array.Empty<string>()),
            "Deployment" => (Controller("deployment-controller"), Array.Empty<string>()),
            "CronJob" => (Controller("cronjob-controller"), Array.Empty<string>()),
            _ => null,
        };
    }

    public static bool HostNetwork(JsonObject pod) => pod["spec"]?["hostNetwork"]?.GetValue<bool>() == true;

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

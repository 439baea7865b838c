using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Simulator.Auth;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Permissions;

/// <summary>
/// Each row of the permissions scenario's hand-written table (Truth["permissions"]) against the engine, offline:
/// the scenario's objects as -Path evidence, aggregated ClusterRoles computed from their selectors.
/// </summary>
public sealed class PermissionScenarioTests
{
    private static readonly Lazy<(Scenario Scenario, IReadOnlyList<HostNetworkPermission> Records)> Evaluated = new(() =>
    {
        var scenario = PermissionScenario.Create();
        return (scenario, Analyze(scenario.Objects));
    });

    public static TheoryData<int, string> Rows()
    {
        var data = new TheoryData<int, string>();
        var rows = PermissionScenario.Create().Truth["permissions"]!.AsArray();
        for (var i = 0; i < rows.Count; i++)
        {
            data.Add(i, $"{rows[i]!["point"]}: {rows[i]!["subject"]} in {rows[i]!["namespace"]}");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void RowHolds(int index, string row)
    {
        var (scenario, records) = Evaluated.Value;
        var truth = scenario.Truth["permissions"]![index]!.AsObject();
        var subject = truth["subject"]!.GetValue<string>();
        var ns = truth["namespace"]!.GetValue<string>();
        var mine = records.Where(r => r.Subject == subject && r.Namespace == ns).ToList();
        if (!truth["present"]!.GetValue<bool>())
        {
            Assert.True(mine.Count == 0, $"{row}: expected no path, found {string.Join("; ", mine.Select(Describe))}");
            return;
        }

        var pathType = truth["pathType"]!.GetValue<string>();
        var latent = truth["latent"]?.GetValue<bool>() ?? false;
        var candidates = mine.Where(r => r.PathType == pathType && r.Latent == latent).ToList();
        Assert.True(candidates.Count > 0, $"{row}: expected a {pathType} path, found {(mine.Count == 0 ? "none" : string.Join("; ", mine.Select(Describe)))}");
        bool Matches(HostNetworkPermission r) =>
            (truth["resource"] is not { } resource || r.Resource == resource.GetValue<string>()) &&
            (truth["verbs"] is not JsonArray verbs || r.Verbs.SequenceEqual(verbs.Select(v => v!.GetValue<string>()))) &&
            (truth["link"] is not { } link || r.Path.Any(l => l.Contains(link.GetValue<string>(), StringComparison.Ordinal))) &&
            (truth["category"] is not { } category || r.Category == category.GetValue<string>()) &&
            (truth["creator"] is not { } creator || r.RoleCreators.Contains(creator.GetValue<string>()));
        Assert.True(candidates.Any(Matches), $"{row}: no {pathType} path matches {truth.ToJsonString()}; found {string.Join("; ", candidates.Select(Describe))}");
    }

    [Fact]
    public void EveryRecordNamesTheAuthorizersNotEvaluated()
    {
        var records = Evaluated.Value.Records;
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.Equal(new[] { "Webhook", "ABAC" }, r.AuthorizersNotEvaluated));
    }

    [Fact]
    public void LatentRecordsGrantNothing()
    {
        var latent = Assert.Single(Evaluated.Value.Records, r => r.Latent);
        Assert.Empty(latent.Verbs);
        Assert.Empty(latent.Actions);
        Assert.Contains("does not exist", latent.Detail, StringComparison.Ordinal);
    }

    /// <summary>A scenario's objects as files, with the bootstrap roles the simulator stores beside them (cluster-admin among them).</summary>
    internal static IReadOnlyList<HostNetworkPermission> Analyze(IEnumerable<JsonObject> objects, NamespacePolicyQuery? query = null) =>
        AnalyzeExport(objects.Concat(RbacBootstrap.Objects()), query);

    /// <summary>Objects as files, exactly as given (an export of a cluster).</summary>
    internal static IReadOnlyList<HostNetworkPermission> AnalyzeExport(IEnumerable<JsonObject> objects, NamespacePolicyQuery? query = null)
    {
        var elements = objects.Select(o => JsonSerializer.SerializeToElement(o)).ToList();

        var source = new EvidenceSet(TestObjects.Evidence(elements), NullEngineLog.Instance);
        return source.GetHostNetworkPermissionsAsync(query ?? new NamespacePolicyQuery(), CancellationToken.None).GetAwaiter().GetResult();
    }

    private static string Describe(HostNetworkPermission r) => $"{r.PathType} {string.Join("/", r.Verbs)} {r.Resource} [{r.PathText}] {r.Category}{(r.Latent ? " latent" : string.Empty)}";
}

using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;

namespace HostNetAudit.Tests.Reports;

/// <summary>Audit reports as the engine makes them, from simulated clusters: every property a real audit fills.</summary>
internal static class SimulatedAudits
{
    public static string ExampleExemptions => Path.Combine(RepositoryRoot(), "examples", "hostnetwork-exemptions.yaml");

    public static async Task<AuditReport> AuditAsync(string scenario, bool probe = false, bool exemptions = false)
    {
        await using var host = await SimHost.StartAsync(ScenarioCatalog.Create(scenario));
        return await AuditAsync(host, scenario, probe, exemptions);
    }

    public static async Task<AuditReport> AuditAsync(SimHost host, string scenario, bool probe = false, bool exemptions = false)
    {
        var log = new RecordingLog();
        using var session = new ClusterSession(host.Api(log), log);
        var report = await session.AuditAsync(
            new NamespacePolicyQuery { Probe = probe, ExemptionPaths = exemptions ? new[] { ExampleExemptions } : Array.Empty<string>() },
            CancellationToken.None);
        report.Context = "sim-" + scenario;
        return report;
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HostNetAudit.psd1")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}

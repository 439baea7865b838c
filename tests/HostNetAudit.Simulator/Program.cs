using System.Text.Json;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Scenarios;

// The simulated Kubernetes API server as a program, for Pester, the demo and the benchmarks:
//   HostNetAudit.Simulator --scenario demo[,empty,...] [--clusters N] [--kubeconfig path] [--ready-file path]
//                          [--context-name n] [--token t] [--pre-1.28] [--server-version v1.27.3] [--exit-on-stdin-eof]
//                          [--pods N --namespaces N --hostnet-percent P --pod-kb N] [--bindings N] [--seed N] [--latency-ms N]
//                          [--enforce-rbac] [--no-bootstrap-rbac] [--vap-admission on|off] [--policy-status-delay-ms N]
//                          [--crds file-or-folder[,...]] [--service-account-dir path]
//                          [--psa-config admission.json] [--psa-default-enforce L] [--psa-default-enforce-version V]
//                          [--psa-default-audit L] [--psa-default-audit-version V] [--psa-default-warn L]
//                          [--psa-default-warn-version V] [--psa-exempt-namespaces a,b] [--psa-exempt-usernames u]
//                          [--psa-exempt-runtime-classes r] [--psa-admission on|off] [--psa-existing-pod-limit N]
//                          [--psa-existing-pod-timeout-ms N]
// It listens on 127.0.0.1 (HTTPS and HTTP, ephemeral ports per cluster), prints its URLs, and stops on SIGTERM/Ctrl+C.
// Several scenarios (a comma list) or --clusters N start independent clusters in this one process: contexts
// <context-name>-01, -02 ... in one kubeconfig (HTTPS only), each with its own /_sim admin endpoints on its HTTP URL.
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"unexpected argument '{args[i]}'");
        return 2;
    }

    var key = args[i][2..];
    options[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
}

if (options.ContainsKey("help"))
{
    Console.WriteLine("HostNetAudit.Simulator --scenario <" + string.Join("|", ScenarioCatalog.Names) + ">[,...] [--clusters N] [--kubeconfig path] [--ready-file path] [--context-name name] [--token token] [--pre-1.28] [--server-version v1.x.y] [--exit-on-stdin-eof] [--pods N] [--namespaces N] [--bindings N] [--hostnet-percent P] [--pod-kb N] [--latency-ms N] [--enforce-rbac] [--no-bootstrap-rbac] [--vap-admission on|off] [--policy-status-delay-ms N] [--crds path[,path]] [--service-account-dir path] [--psa-config file.json] [--psa-default-(enforce|audit|warn)[-version] value] [--psa-exempt-(namespaces|usernames|runtime-classes) a,b] [--psa-admission on|off] [--psa-existing-pod-limit N] [--psa-existing-pod-timeout-ms N]");
    return 0;
}

var clusters = new List<SimCluster>();
try
{
    var names = options.GetValueOrDefault("scenario", "demo").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var count = options.TryGetValue("clusters", out var clustersText) ? SimulatorCommandLine.Number("clusters", clustersText) : names.Length;
    if (count < 1 || (names.Length > 1 && names.Length != count))
    {
        throw new ArgumentException($"--clusters {count} does not match the {names.Length} scenarios named");
    }

    for (var i = 0; i < count; i++)
    {
        var scenario = ScenarioCatalog.Create(names[names.Length == 1 ? 0 : i], options);
        if (options.TryGetValue("server-version", out var serverVersion))
        {
            scenario.ServerVersion = serverVersion;
        }

        clusters.Add(new SimCluster(scenario, SimulatorCommandLine.Options(options)));
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var contextName = options.GetValueOrDefault("context-name", "sim-" + clusters[0].Scenario.Name);
SimServer? single = null;
SimFleet? fleet = null;
List<(SimServer Server, string Context)> started;
if (clusters.Count == 1)
{
    single = await SimServer.StartAsync(clusters[0]).ConfigureAwait(false);
    started = new() { (single, contextName) };
}
else
{
    fleet = await SimFleet.StartAsync(clusters, contextName).ConfigureAwait(false);
    started = fleet.Servers.Zip(fleet.Contexts).Select(p => (p.First, p.Second)).ToList();
}

try
{
    string? kubeconfigPath = null;
    if (options.TryGetValue("kubeconfig", out var path))
    {
        kubeconfigPath = Path.GetFullPath(path);
        File.WriteAllText(kubeconfigPath, single?.KubeConfig(contextName) ?? fleet!.KubeConfig());
    }

    string? serviceAccountDirectory = null;
    if (options.TryGetValue("service-account-dir", out var saPath))
    {
        serviceAccountDirectory = Path.GetFullPath(saPath);
        foreach (var (server, context) in started)
        {
            server.WriteServiceAccountDirectory(single is null ? Path.Combine(serviceAccountDirectory, context) : serviceAccountDirectory);
        }
    }

    foreach (var (server, context) in started)
    {
        Console.WriteLine($"HostNetAudit simulator '{server.Cluster.Scenario.Name}' ({context}) listening on {server.HttpsUrl.AbsoluteUri.TrimEnd('/')} and {server.HttpUrl.AbsoluteUri.TrimEnd('/')} (pid {Environment.ProcessId})");
    }

    if (kubeconfigPath is not null)
    {
        Console.WriteLine(single is not null
            ? $"kubeconfig: {kubeconfigPath} (contexts '{contextName}' over HTTPS, '{contextName}-http' over HTTP)"
            : $"kubeconfig: {kubeconfigPath} (contexts {string.Join(", ", fleet!.Contexts)} over HTTPS)");
    }

    if (options.TryGetValue("ready-file", out var readyFile))
    {
        Dictionary<string, object?> Describe(SimServer server, string context) => new()
        {
            ["https"] = server.HttpsUrl.AbsoluteUri.TrimEnd('/'),
            ["http"] = server.HttpUrl.AbsoluteUri.TrimEnd('/'),
            ["token"] = server.Token,
            ["adminToken"] = server.Cluster.Options.AdminToken,
            ["context"] = context,
            ["caPem"] = server.Certificates.AuthorityPem,
            ["serviceHost"] = server.HttpsUrl.Host,
            ["servicePort"] = server.HttpsUrl.Port,
            ["serviceAccountDirectory"] = serviceAccountDirectory is null ? null : single is null ? Path.Combine(serviceAccountDirectory, context) : serviceAccountDirectory,
        };

        // The first cluster's fields at the top (what a single cluster always wrote), every cluster under "clusters".
        var ready = Describe(started[0].Server, started[0].Context);
        ready["kubeconfig"] = kubeconfigPath;
        ready["pid"] = Environment.ProcessId;
        ready["clusters"] = started.Select(s => Describe(s.Server, s.Context)).ToList();
        var temporary = readyFile + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(ready));
        File.Move(temporary, readyFile, overwrite: true);
    }

    Console.Out.Flush();
    using var stopping = new CancellationTokenSource();
    if (options.ContainsKey("exit-on-stdin-eof"))
    {
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync().ConfigureAwait(false) is not null)
            {
            }

            await stopping.CancelAsync().ConfigureAwait(false);
        });
    }

    try
    {
        await started[0].Server.WaitForShutdownAsync(stopping.Token).ConfigureAwait(false);
    }
    catch (OperationCanceledException)
    {
    }
}
finally
{
    if (single is not null)
    {
        await single.DisposeAsync().ConfigureAwait(false);
    }

    if (fleet is not null)
    {
        await fleet.DisposeAsync().ConfigureAwait(false);
    }
}

return 0;

using System.Globalization;
using System.Text.Json;
using HostNetAudit.Simulator;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Scenarios;

// The simulated Kubernetes API server as a program, for Pester, the demo and the benchmarks:
//   HostNetAudit.Simulator --scenario demo [--kubeconfig path] [--ready-file path] [--context-name n]
//                          [--token t] [--pre-1.28] [--server-version v1.27.3] [--exit-on-stdin-eof]
//                          [--pods N --namespaces N --hostnet-percent P] [--seed N]
//                          [--psa-config admission.json] [--psa-default-enforce L] [--psa-default-enforce-version V]
//                          [--psa-default-audit L] [--psa-default-audit-version V] [--psa-default-warn L]
//                          [--psa-default-warn-version V] [--psa-exempt-namespaces a,b] [--psa-exempt-usernames u]
//                          [--psa-exempt-runtime-classes r] [--psa-admission on|off] [--psa-existing-pod-limit N]
//                          [--psa-existing-pod-timeout-ms N]
// It listens on 127.0.0.1 (HTTPS and HTTP, ephemeral ports), prints its URLs, and stops on SIGTERM/Ctrl+C.
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
    Console.WriteLine("HostNetAudit.Simulator --scenario <" + string.Join("|", ScenarioCatalog.Names) + "> [--kubeconfig path] [--ready-file path] [--context-name name] [--token token] [--pre-1.28] [--server-version v1.x.y] [--exit-on-stdin-eof] [--pods N] [--namespaces N] [--hostnet-percent P] [--psa-config file.json] [--psa-default-(enforce|audit|warn)[-version] value] [--psa-exempt-(namespaces|usernames|runtime-classes) a,b] [--psa-admission on|off] [--psa-existing-pod-limit N] [--psa-existing-pod-timeout-ms N]");
    return 0;
}

Scenario scenario;
try
{
    scenario = ScenarioCatalog.Create(options.GetValueOrDefault("scenario", "demo"), options);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.TryGetValue("server-version", out var serverVersion))
{
    scenario.ServerVersion = serverVersion;
}

var simulatorOptions = new SimulatorOptions { HostNetworkFieldSelector = !options.ContainsKey("pre-1.28") };
if (options.TryGetValue("token", out var token))
{
    simulatorOptions.Token = token;
}

if (options.TryGetValue("page-scan-limit", out var scan) && int.TryParse(scan, NumberStyles.Integer, CultureInfo.InvariantCulture, out var scanLimit))
{
    simulatorOptions.PageScanLimit = scanLimit;
}

try
{
    PodSecurityCommandLine.Apply(options, simulatorOptions);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var cluster = new SimCluster(scenario, simulatorOptions);
await using var server = await SimServer.StartAsync(cluster).ConfigureAwait(false);
var contextName = options.GetValueOrDefault("context-name", "sim-" + scenario.Name);
string? kubeconfigPath = null;
if (options.TryGetValue("kubeconfig", out var path))
{
    kubeconfigPath = Path.GetFullPath(path);
    File.WriteAllText(kubeconfigPath, server.KubeConfig(contextName));
}

Console.WriteLine($"HostNetAudit simulator '{scenario.Name}' listening on {server.HttpsUrl.AbsoluteUri.TrimEnd('/')} and {server.HttpUrl.AbsoluteUri.TrimEnd('/')} (pid {Environment.ProcessId})");
if (kubeconfigPath is not null)
{
    Console.WriteLine($"kubeconfig: {kubeconfigPath} (contexts '{contextName}' over HTTPS, '{contextName}-http' over HTTP)");
}

if (options.TryGetValue("ready-file", out var readyFile))
{
    var ready = new Dictionary<string, object?>
    {
        ["https"] = server.HttpsUrl.AbsoluteUri.TrimEnd('/'),
        ["http"] = server.HttpUrl.AbsoluteUri.TrimEnd('/'),
        ["token"] = server.Token,
        ["kubeconfig"] = kubeconfigPath,
        ["context"] = contextName,
        ["caPem"] = server.Certificates.AuthorityPem,
        ["pid"] = Environment.ProcessId,
    };
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
    await server.WaitForShutdownAsync(stopping.Token).ConfigureAwait(false);
}
catch (OperationCanceledException)
{
}

return 0;

using System.Globalization;
using HostNetAudit.Simulator.Admission;

namespace HostNetAudit.Simulator;

/// <summary>The program's --options that set <see cref="SimulatorOptions"/> (one fresh set per cluster: own tokens).</summary>
public static class SimulatorCommandLine
{
    /// <summary>Options from arguments; throws <see cref="ArgumentException"/> naming a bad one.</summary>
    public static SimulatorOptions Options(IReadOnlyDictionary<string, string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var options = new SimulatorOptions { HostNetworkFieldSelector = !arguments.ContainsKey("pre-1.28") };
        if (arguments.TryGetValue("token", out var token))
        {
            options.Token = token;
        }

        if (arguments.TryGetValue("page-scan-limit", out var scan))
        {
            options.PageScanLimit = Number("page-scan-limit", scan);
        }

        if (arguments.TryGetValue("latency-ms", out var latency))
        {
            options.LatencyMilliseconds = Number("latency-ms", latency);
        }

        options.EnforceRbac = arguments.ContainsKey("enforce-rbac");
        options.BootstrapRbac = !arguments.ContainsKey("no-bootstrap-rbac");
        if (arguments.TryGetValue("vap-admission", out var vap))
        {
            options.ValidatingAdmissionPolicyAdmission = OnOff("vap-admission", vap);
        }

        if (arguments.TryGetValue("policy-status-delay-ms", out var delay))
        {
            options.PolicyStatusDelayMilliseconds = Number("policy-status-delay-ms", delay);
        }

        if (arguments.TryGetValue("crds", out var crds))
        {
            foreach (var path in crds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var full = Path.GetFullPath(path);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    throw new ArgumentException($"--crds: no file or folder '{full}'");
                }

                options.CustomResourceDefinitionPaths.Add(full);
            }
        }

        PodSecurityCommandLine.Apply(arguments, options);
        return options;
    }

    private static bool OnOff(string name, string text) => text switch
    {
        "on" or "true" => true,
        "off" or "false" => false,
        _ => throw new ArgumentException($"--{name} takes on or off, not '{text}'"),
    };

    public static int Number(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"--{name} takes a whole number, not '{text}'");
}

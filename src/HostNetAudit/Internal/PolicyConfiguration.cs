using System.Management.Automation;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>
/// -AdmissionConfiguration, -ExemptionPath and -Probe, shared by Test-NamespacePolicy and Invoke-HostNetworkAudit:
/// the files resolved against the session's location (wildcards allowed) into the query every evidence source is
/// asked; the cmdlet adds the namespaces. A file that does not exist stops the command
/// (AdmissionConfigurationNotFound, ExemptionFileNotFound): without it the verdicts would silently differ from
/// what the user asked for.
/// </summary>
internal static class PolicyConfiguration
{
    public static NamespacePolicyQuery Resolve(PSCmdlet cmdlet, string? admissionConfiguration, IEnumerable<string>? exemptionPath, bool probe) => new()
    {
        AdmissionConfigurationPath = admissionConfiguration is null
            ? null
            : PathResolver.ResolveRequiredFiles(cmdlet, admissionConfiguration, "AdmissionConfigurationNotFound")[0],
        ExemptionPaths = (exemptionPath ?? Array.Empty<string>())
            .SelectMany(p => PathResolver.ResolveRequiredFiles(cmdlet, p, "ExemptionFileNotFound"))
            .Distinct(StringComparer.Ordinal)
            .ToArray(),
        Probe = probe,
    };
}

using System.Management.Automation;
using System.Text;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Writes the targeted hostNetwork policy (the one Set-HostNetworkPolicy applies) as a YAML manifest for GitOps: a
/// ValidatingAdmissionPolicy and binding, or the equivalent Kyverno or Gatekeeper objects. The inventory it is generated
/// from (namespaces, running hostNetwork pods, hostNetwork templates) comes from a cluster (read only) or from offline
/// evidence files (-EvidencePath); nothing is sent to change a cluster. Like New-ModuleManifest: ShouldProcess, an
/// existing file is replaced unless -NoClobber.
/// </summary>
[Cmdlet(VerbsCommon.New, "HostNetworkPolicyManifest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(FileInfo))]
public sealed class NewHostNetworkPolicyManifestCommand : HostNetAuditCmdlet
{
    internal const string EvidenceSet = "Evidence";

    /// <summary>The manifest file to write (YAML).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The exemptions files (HostNetworkExemptions) whose workload entries become the policy's exceptions and
    /// whose namespace entries are left out; only entries whose context matches the cluster's are used.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[]? ExemptionPath { get; set; }

    /// <summary>Offline evidence (files or folders of exported objects) to generate the policy from, instead of a cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = EvidenceSet)]
    [ValidateNotNullOrEmpty]
    public string[]? EvidencePath { get; set; }

    /// <summary>ValidatingAdmissionPolicy (default), Kyverno or Gatekeeper.</summary>
    [Parameter]
    public HostNetworkPolicyEngine Engine { get; set; } = HostNetworkPolicyEngine.ValidatingAdmissionPolicy;

    /// <summary>Deny (default), Warn or Audit: what the policy does with a refused request, so it can be staged.</summary>
    [Parameter]
    public PolicyValidationAction ValidationAction { get; set; } = PolicyValidationAction.Deny;

    /// <summary>Carries exemption entries with exact names that match nothing now (by default they are dropped with
    /// the warning ExemptionMatchesNothing, so the example file's agents are not pre-authorised).</summary>
    [Parameter]
    public SwitchParameter IncludeUnmatched { get; set; }

    /// <summary>Covers namespaces that run undeclared hostNetwork workloads too (their running pods keep running; their
    /// next re-creation is refused), and replaces a read-only file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Refuses to replace an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Writes the file's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    internal override bool ReadsFiles => ParameterSetName == EvidenceSet;

    protected override void ProcessRecord()
    {
        var path = PathResolver.ResolveOutputFile(this, Path!, literal: false);
        var exemptions = ExemptionPath!
            .SelectMany(p => PathResolver.ResolveRequiredFiles(this, p, "ExemptionFileNotFound"))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        var sources = GetEvidenceSources(EvidencePath, null);
        if (sources.Count > 1)
        {
            ThrowTerminatingError(ErrorRecords.Create(
                "ManifestSeveralClusters",
                ErrorCategory.InvalidArgument,
                string.Join(", ", sources.Select(s => s.Context)),
                $"A manifest is generated for one cluster; -Context names {sources.Count} ({string.Join(", ", sources.Select(s => s.Context))}). Name one context, or write one manifest per context."));
            return;
        }

        var request = new HostNetworkPolicyRequest
        {
            ExemptionPaths = exemptions,
            ValidationAction = ValidationAction,
            IncludeUnmatched = IncludeUnmatched.IsPresent,
            Force = Force.IsPresent,
            ManifestEngine = Engine,
        };
        ForEachSource(sources, source =>
        {
            var plan = Bridge.Wait(source.PlanHostNetworkPolicyAsync(request, CancelToken));
            Write(path, plan);
        });
    }

    private void Write(string path, HostNetworkPolicyPlan plan)
    {
        var exists = File.Exists(path);
        if (exists && NoClobber)
        {
            ThrowTerminatingError(ErrorRecords.Create("ManifestFileExists", ErrorCategory.ResourceExists, path, $"The file '{path}' already exists and -NoClobber was given."));
            return;
        }

        var directory = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            ThrowTerminatingError(ErrorRecords.Create("ManifestDirectoryNotFound", ErrorCategory.ObjectNotFound, directory, $"The folder '{directory}' does not exist."));
            return;
        }

        if (Directory.Exists(path))
        {
            ThrowTerminatingError(ErrorRecords.Create("ManifestPathNotAFile", ErrorCategory.InvalidArgument, path, $"'{path}' is a folder, not a file; the manifest was not written."));
            return;
        }

        var leftOut = plan.LeftOut.Count == 0 ? string.Empty : $", {plan.LeftOut.Count} namespace(s) left out";
        if (!ShouldProcess(path, $"Write the {Engine} manifest of the targeted hostNetwork policy for '{plan.Context}' ({plan.Exceptions.Count} exception(s), {plan.ProtectedNamespaces.Count} namespace(s) protected{leftOut})"))
        {
            return;
        }

        try
        {
            if (exists && Force && new FileInfo(path).IsReadOnly)
            {
                new FileInfo(path).IsReadOnly = false;
            }

            var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            File.WriteAllText(temporary, plan.Manifest, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorRecords.Create("ManifestWriteFailed", ErrorCategory.WriteError, path, $"The manifest could not be written to '{path}': {ex.Message}", ex));
            return;
        }

        foreach (var left in plan.LeftOut.Where(l => l.Reason == "UndeclaredWorkloads"))
        {
            WriteWarning($"Namespace '{left.Namespace}' is left out of the policy: it runs hostNetwork workloads no exemption declares: {string.Join(", ", left.Workloads)}. Declare them with a justification, change them, or use -Force.");
        }

        WriteVerbose($"Wrote the {Engine} manifest for '{plan.Context}' to {path}.");
        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }
}

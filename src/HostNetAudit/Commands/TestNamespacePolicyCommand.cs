using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Per namespace: does at least one enforcing admission mechanism (Pod Security Admission, Kyverno, Gatekeeper,
/// ValidatingAdmissionPolicy) refuse hostNetwork pods, which, and why. Live (one list per resource kind) or
/// offline (-Path). Pipeline input is collected and evaluated once, per cluster, in EndProcessing.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "NamespacePolicy", DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(NamespacePolicyResult))]
[OutputType(typeof(bool))]
public sealed class TestNamespacePolicyCommand : HostNetAuditCmdlet
{
    private readonly Dictionary<IEvidenceSource, Target> targets = new();
    private readonly List<IEvidenceSource> order = new();
    private bool sourceMissing;

    /// <summary>Namespaces to evaluate (wildcards). Default: all. Binds from strings and by property name.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = KubeConfigSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TokenSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = InClusterSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Parameter(Position = 0, ParameterSetName = LiteralPathSet)] // files piped in bind to -LiteralPath, never to -Namespace
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [NamespaceNameTransformation]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? Namespace { get; set; }

    /// <summary>Namespaces to leave out (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? ExcludeNamespace { get; set; }

    /// <summary>Offline evidence: files or folders of Namespace objects, policies, constraints, templates,
    /// bindings, webhook configurations, the kyverno ConfigMap and the Gatekeeper Config (JSON or YAML).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Offline evidence named exactly as written (no wildcards, for names such as pod[1].yaml); binds PSPath
    /// by property name, so Get-ChildItem output can be piped in.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[]? LiteralPath { get; set; }

    /// <summary>The apiserver's AdmissionConfiguration or PodSecurityConfiguration (YAML or JSON, also wrapped in a
    /// ConfigMap): the Pod Security defaults and exemptions that the API cannot show.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AdmissionConfiguration { get; set; }

    /// <summary>Exemptions files (HostNetworkExemptions): namespaces and workloads that legitimately need the host
    /// network, each with a justification.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? ExemptionPath { get; set; }

    /// <summary>Also sends server-side dry-run creates (dryRun=All) of the reference pod and its control twin to
    /// every evaluated namespace, and reports what the cluster really does.</summary>
    [Parameter(ParameterSetName = KubeConfigSet)]
    [Parameter(ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = InClusterSet)]
    public SwitchParameter Probe { get; set; }

    /// <summary>Returns one Boolean: true when every evaluated namespace is Compliant (or Exempt by declaration); false
    /// also when a namespace named literally does not exist or nothing matches the selection.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        var sources = GetEvidenceSources(Path, LiteralPath);
        if (sources.Count == 0 && !PathsPiped)
        {
            // Nothing to judge (no path resolved, no context matched): -Quiet must not say the control holds.
            sourceMissing = true;
        }

        foreach (var source in sources)
        {
            Remember(source);
        }
    }

    protected override void EndProcessing()
    {
        var configuration = PolicyConfiguration.Resolve(this, AdmissionConfiguration, ExemptionPath, Probe.IsPresent);
        foreach (var piped in GetPipedEvidenceSources())
        {
            Remember(piped);
        }

        var evaluated = 0;
        var allComply = !sourceMissing;
        var severalSources = order.Count > 1;
        foreach (var source in order)
        {
            var target = targets[source];
            var selection = new NamespaceSelection(target.AllNamespaces ? null : target.Namespaces, ExcludeNamespace, excludeSystem: false);
            var query = configuration with { Namespaces = selection.Named, NamespaceFilter = selection.IsSelected };
            var failed = true;
            ForEachSource(new[] { source }, _ =>
            {
                WriteProgress(new ProgressRecord(1, "Test-NamespacePolicy", $"Evaluating admission policies in context '{source.Context}'"));
                var results = Bridge.Wait(source.TestNamespacePoliciesAsync(query, CancelToken));
                WriteProgress(new ProgressRecord(1, "Test-NamespacePolicy", "Done") { RecordType = ProgressRecordType.Completed });
                Emit(results, selection, ref allComply, ref evaluated);
                failed = false;
            }, severalSources);
            if (failed)
            {
                allComply = false;
            }
        }

        if (evaluated == 0 && allComply && order.Count > 0)
        {
            // Nothing evaluated is no compliance: -Quiet says False, as Invoke-HostNetworkAudit says Fail.
            allComply = false;
            WriteWarning("No namespace matches the selection, so no namespace was evaluated.");
        }

        if (Quiet.IsPresent)
        {
            // Nothing evaluated proves nothing (evidence without a Namespace object, a -Namespace wildcard matching none).
            WriteObject(allComply && evaluated > 0);
        }

        base.EndProcessing();
    }

    private void Emit(IReadOnlyList<NamespacePolicyResult> results, NamespaceSelection selection, ref bool allComply, ref int evaluated)
    {
        // A namespace named literally that has no result does not exist (the engine wrote NamespaceNotFound).
        var present = new HashSet<string>(results.Select(r => r.Namespace), StringComparer.Ordinal);
        if (selection.Named.Any(n => !present.Contains(n)))
        {
            allComply = false;
        }

        foreach (var result in results)
        {
            evaluated++;
            if (result.Status is not (PolicyStatus.Compliant or PolicyStatus.Exempt))
            {
                allComply = false;
            }

            if (!Quiet.IsPresent)
            {
                WriteObject(result);
            }
        }
    }

    /// <summary>Records which namespaces this pipeline record asks for, per source.</summary>
    private void Remember(IEvidenceSource source)
    {
        if (!targets.TryGetValue(source, out var target))
        {
            target = new Target();
            targets[source] = target;
            order.Add(source);
        }

        if (Namespace is null || Namespace.Length == 0)
        {
            target.AllNamespaces = true;
        }
        else
        {
            target.Namespaces.AddRange(Namespace.Where(n => !string.IsNullOrWhiteSpace(n)));
        }
    }

    private sealed class Target
    {
        public bool AllNamespaces { get; set; }

        public List<string> Namespaces { get; } = new();
    }
}

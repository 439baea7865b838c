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
    private const string OfflineKey = "\0offline";
    private readonly Dictionary<string, Target> targets = new(StringComparer.Ordinal);
    private readonly List<string> order = new();

    /// <summary>Namespaces to evaluate (wildcards). Default: all. Binds from strings and by property name.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
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

    /// <summary>Returns one Boolean: true when every evaluated namespace is Compliant (or Exempt by declaration).</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        if (IsOffline)
        {
            Remember(OfflineKey, null);
            return;
        }

        foreach (var session in GetSessions())
        {
            Remember(session.Context, session);
        }
    }

    protected override void EndProcessing()
    {
        var admission = AdmissionConfiguration is null ? null : ResolveFile(AdmissionConfiguration, "AdmissionConfigurationNotFound");
        var exemptions = (ExemptionPath ?? Array.Empty<string>()).SelectMany(p => ResolveFiles(p, "ExemptionFileNotFound")).Distinct(StringComparer.Ordinal).ToArray();
        var allComply = true;
        var evaluated = 0;
        foreach (var key in order)
        {
            var target = targets[key];
            var selection = new NamespaceSelection(target.AllNamespaces ? null : target.Namespaces, ExcludeNamespace, excludeSystem: false);
            var query = new NamespacePolicyQuery
            {
                Namespaces = selection.Literals,
                NamespaceFilter = selection.IsSelected,
                AdmissionConfigurationPath = admission,
                ExemptionPaths = exemptions,
                Probe = Probe.IsPresent,
            };

            if (target.Session is null)
            {
                var set = ReadEvidence();
                if (set is null)
                {
                    allComply = false;
                    continue;
                }

                try
                {
                    var results = Bridge.Wait(Task.Run(() => set.TestNamespacePolicies(query, CancelToken), CancelToken));
                    Emit(results, ref allComply, ref evaluated);
                }
                catch (HostNetAuditException ex)
                {
                    Bridge.Drain();
                    ThrowTerminatingError(ErrorRecords.From(ex));
                }

                continue;
            }

            var failed = true;
            var severalClusters = order.Count(k => targets[k].Session is not null) > 1;
            ForEachCluster(new[] { target.Session }, session =>
            {
                WriteProgress(new ProgressRecord(1, "Test-NamespacePolicy", $"Evaluating admission policies in context '{session.Context}'"));
                var results = Bridge.Wait(session.TestNamespacePoliciesAsync(query, CancelToken));
                WriteProgress(new ProgressRecord(1, "Test-NamespacePolicy", "Done") { RecordType = ProgressRecordType.Completed });
                Emit(results, ref allComply, ref evaluated);
                failed = false;
            }, severalClusters);
            if (failed)
            {
                allComply = false;
            }
        }

        if (Quiet.IsPresent)
        {
            WriteObject(allComply);
        }

        base.EndProcessing();
    }

    private void Emit(IReadOnlyList<NamespacePolicyResult> results, ref bool allComply, ref int evaluated)
    {
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

    /// <summary>Records which namespaces this pipeline record asks for, per cluster.</summary>
    private void Remember(string key, IClusterSession? session)
    {
        if (!targets.TryGetValue(key, out var target))
        {
            target = new Target(session);
            targets[key] = target;
            order.Add(key);
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

    private IEvidenceSet? ReadEvidence()
    {
        var resolved = PathResolver.Resolve(this, Path!);
        if (resolved.Count == 0)
        {
            return null;
        }

        return Bridge.Wait(Task.Run(() => Engine.ReadEvidence(resolved, Bridge, CancelToken), CancelToken));
    }

    private string ResolveFile(string path, string errorId) => PathResolver.ResolveRequiredFiles(this, path, errorId)[0];

    private IEnumerable<string> ResolveFiles(string path, string errorId) => PathResolver.ResolveRequiredFiles(this, path, errorId);

    private sealed class Target
    {
        public Target(IClusterSession? session)
        {
            Session = session;
        }

        public IClusterSession? Session { get; }

        public bool AllNamespaces { get; set; }

        public List<string> Namespaces { get; } = new();
    }
}

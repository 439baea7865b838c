using System.Management.Automation;
using HostNetAudit.Abstractions;
using HostNetAudit.Internal;

namespace HostNetAudit.Commands;

/// <summary>
/// Applies Pod Security Admission labels to namespaces safely: preview (the module's own check of what the
/// new enforce level refuses, plus a server-side dry-run of the same patch), then ShouldProcess naming what
/// would break, then a JSON patch of only the named pod-security.kubernetes.io/* labels with preconditions.
/// </summary>
[Cmdlet(VerbsCommon.Set, "NamespacePodSecurity", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = KubeConfigSet)]
[OutputType(typeof(PodSecurityChange))]
public sealed class SetNamespacePodSecurityCommand : HostNetAuditCmdlet
{
    private readonly List<(IClusterSession Session, string Pattern)> work = new();
    private HashSet<string> literalOnCommandLine = new(StringComparer.Ordinal);

    /// <summary>Namespaces to change (wildcards); names, records with a Namespace property, or Namespace objects.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
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

    /// <summary>The Pod Security Standards level to apply.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public PodSecurityLevel Level { get; set; }

    /// <summary>The modes whose labels are set. Default: Enforce, Warn and Audit at the same level.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PodSecurityMode[] Mode { get; set; } = (PodSecurityMode[])PodSecurityRequest.DefaultModes.Clone();

    /// <summary>The policy version for the modes' -version labels: latest or v1.N. Default: version labels are left as they are.</summary>
    [Parameter]
    [ValidatePodSecurityVersion]
    [ArgumentCompleter(typeof(PodSecurityVersionCompleter))]
    public string? Version { get; set; }

    /// <summary>Applies even when pods or templates would break, a stricter level would be lowered, or the level is Privileged.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Requests in flight at once per cluster (namespaces previewed and written in parallel). The old name
    /// -ThrottleLimit is kept as an alias.</summary>
    [Parameter]
    [Alias("ThrottleLimit")]
    [ValidateRange(1, 64)]
    public int NamespaceThrottleLimit { get; set; } = 8;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();

        // Pipeline input is not bound yet: what is bound now came from the command line.
        if (Namespace is not null)
        {
            literalOnCommandLine = Namespace.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)).ToHashSet(StringComparer.Ordinal);
        }

        if (Level == PodSecurityLevel.Privileged)
        {
            if (!Force.IsPresent)
            {
                ThrowTerminatingError(ErrorRecords.Create(
                    "PrivilegedRequiresForce",
                    ErrorCategory.InvalidArgument,
                    Level.ToString(),
                    "Level Privileged admits every pod, hostNetwork pods among them: it is set only with -Force."));
            }

            if (Mode.Contains(PodSecurityMode.Enforce))
            {
                WriteWarning("Level Privileged enforces nothing: hostNetwork pods are admitted, and the namespaces changed do not meet CIS 5.2.5 (Minimize the admission of containers that share the host network namespace).");
            }
        }
    }

    protected override void ProcessRecord()
    {
        var names = Namespace ?? Array.Empty<string>();
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                continue;
            }

            if (!WildcardPattern.ContainsWildcardCharacters(name) && !IsValidName(name))
            {
                WriteError(ErrorRecords.Create("InvalidNamespaceName", ErrorCategory.InvalidArgument, name, $"'{name}' is not a namespace name (lowercase letters, digits and '-', at most 63 characters)."));
                continue;
            }

            foreach (var session in GetClusters())
            {
                work.Add((session, name));
            }
        }
    }

    protected override void EndProcessing()
    {
        var exclude = (ExcludeNamespace ?? Array.Empty<string>()).Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToArray();
        var clusters = work.GroupBy(w => w.Session).Select(g => (Session: g.Key, Patterns: g.Select(w => w.Pattern).ToList())).ToList();
        var runner = new PodSecurityRunner(this, Bridge, NamespaceThrottleLimit, CancelToken);

        // Every cluster's preview (wildcards expanded, reads, dry runs) runs at once, a few clusters at a time; then,
        // cluster by cluster in Context order on the pipeline thread, ShouldProcess and the writes.
        using var slots = new SemaphoreSlim(InvokeHostNetworkAuditCommand.DefaultThrottleLimit);
        var previews = clusters.ToDictionary(c => c.Session, c => PreviewAsync(c.Session, c.Patterns, exclude, runner, slots));
        try
        {
            ForEachSource(clusters.Select(c => c.Session).ToList(), session =>
            {
                var (plans, unmatched) = Bridge.Wait(previews[session]);
                foreach (var pattern in unmatched)
                {
                    WriteWarning($"No namespace in context '{session.Context}' matches '{pattern}'.");
                }

                runner.Execute(session, plans);
            });
        }
        finally
        {
            // Stopped or failed early: the previews still running end before the semaphore does.
            foreach (var preview in previews.Values.Where(p => !p.IsCompleted))
            {
                ((IAsyncResult)preview).AsyncWaitHandle.WaitOne();
            }
        }

        base.EndProcessing();
    }

    /// <summary>One cluster's preview: the names its patterns match (one namespace list when a pattern has
    /// wildcards; the patterns that match nothing are returned for a warning), minus the exclusions, planned.</summary>
    private async Task<(IReadOnlyList<PodSecurityPlan> Plans, IReadOnlyList<string> Unmatched)> PreviewAsync(
        IClusterSession session, List<string> patterns, WildcardPattern[] exclude, PodSecurityRunner runner, SemaphoreSlim slots)
    {
        await slots.WaitAsync(CancelToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<string>? all = null;
            var names = new List<string>();
            var unmatched = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pattern in patterns)
            {
                if (!WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    if (seen.Add(pattern))
                    {
                        names.Add(pattern);
                    }

                    continue;
                }

                all ??= await session.PodSecurity.ListNamespacesAsync(CancelToken).ConfigureAwait(false);
                var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                var matched = all.Where(n => wildcard.IsMatch(n)).ToList();
                if (matched.Count == 0)
                {
                    unmatched.Add(pattern);
                }

                names.AddRange(matched.Where(seen.Add));
            }

            var requests = names.Where(n => !exclude.Any(e => e.IsMatch(n))).Select(n => new PodSecurityRequest
            {
                Namespace = n,
                Operation = PodSecurityOperation.Set,
                Level = Level,
                Modes = Mode,
                Version = Version,
                Force = Force.IsPresent,
                SystemNamespaceNamed = literalOnCommandLine.Contains(n),
            }).ToList();
            return (await runner.PreviewAsync(session, requests).ConfigureAwait(false), unmatched);
        }
        finally
        {
            slots.Release();
        }
    }

    private static bool IsValidName(string name) =>
        name.Length <= 63 && System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
}

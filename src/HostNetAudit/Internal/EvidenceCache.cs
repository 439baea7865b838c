using HostNetAudit.Abstractions;
using HostNetAudit.Commands;

namespace HostNetAudit.Internal;

/// <summary>
/// Offline evidence for one cmdlet invocation: -Path resolved and read once per distinct set of files,
/// however many records arrive from the pipeline.
/// </summary>
internal sealed class EvidenceCache
{
    private readonly Dictionary<string, IEvidenceSet> sets = new(StringComparer.Ordinal);

    /// <summary>Reads the evidence the paths name (errors for missing paths are written); null when nothing resolves.</summary>
    public IEvidenceSet? Get(HostNetAuditCmdlet cmdlet, IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var resolved = PathResolver.Resolve(cmdlet, paths);
        if (resolved.Count == 0)
        {
            return null;
        }

        var key = string.Join("\0", resolved);
        if (!sets.TryGetValue(key, out var set))
        {
            var bridge = cmdlet.Bridge;
            set = bridge.Wait(Task.Run(() => HostNetAuditCmdlet.Engine.ReadEvidence(resolved, bridge, cancellationToken), cancellationToken));
            sets[key] = set;
        }

        return set;
    }
}

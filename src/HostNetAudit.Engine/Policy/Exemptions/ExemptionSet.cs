using System.Globalization;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Offline;

namespace HostNetAudit.Engine.Policy.Exemptions;

/// <summary>
/// One declared exemption: a namespace (kind and name absent), or workloads (kind/namespace/name, wildcards
/// '*' and '?', case-insensitive) that legitimately need the host network, each with a justification.
/// </summary>
internal sealed record Exemption(string? Kind, string Namespace, string? Name, string Justification, string? Context, DateTimeOffset? Expires, string Source, int Index)
{
    public bool IsNamespace => Kind is null && Name is null;

    public string Describe() => IsNamespace ? "namespace " + Namespace : $"{Kind ?? "*"}/{Namespace}/{Name ?? "*"}";
}

/// <summary>
/// The user's exemptions file (HostNetworkExemptions, YAML or JSON), shared by Test-NamespacePolicy and
/// Invoke-HostNetworkAudit. Format:
/// <code>
/// apiVersion: hostnetaudit.io/v1
/// kind: HostNetworkExemptions
/// exemptions:
/// - namespace: kube-system                 # a namespace exemption
///   justification: control plane and CNI agents
/// - kind: DaemonSet                        # a workload exemption (kind defaults to *, name to *)
///   namespace: kube-system
///   name: cilium*
///   justification: Cilium agent programs the node's network
///   context: prod-*                        # optional: only for these contexts
///   expires: 2027-01-31                    # optional: ignored (with a warning) after this date
/// </code>
/// A bare list of entries is accepted too. Every entry needs a non-empty justification.
/// </summary>
internal sealed class ExemptionSet
{
    public static readonly ExemptionSet Empty = new(Array.Empty<Exemption>());

    /// <summary>The kinds an exemption may name: the top controllers of pods, and Pod for a pod's own name.</summary>
    internal static readonly string[] ExemptKinds =
    {
        "Pod", "DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Node",
    };

    public ExemptionSet(IReadOnlyList<Exemption> entries)
    {
        Entries = entries;
    }

    public IReadOnlyList<Exemption> Entries { get; }

    public static ExemptionSet Load(IReadOnlyList<string> paths, IEngineLog log, DateTimeOffset now)
    {
        var entries = new List<Exemption>();
        foreach (var path in paths)
        {
            entries.AddRange(LoadFile(path, log, now));
        }

        return new ExemptionSet(entries);
    }

    /// <summary>The namespace exemption for a namespace in a context, if any.</summary>
    public Exemption? ForNamespace(string context, string ns) =>
        Entries.FirstOrDefault(e => e.IsNamespace && InContext(e, context) && Wildcard.MatchIgnoreCase(e.Namespace, ns));

    /// <summary>The workload exemption covering a pod (by its top owner, or kind Pod by the pod's name), if any.</summary>
    public Exemption? ForPod(string context, string ns, string podName, string? ownerKind, string? ownerName) =>
        Entries.FirstOrDefault(e => !e.IsNamespace && InContext(e, context) && Wildcard.MatchIgnoreCase(e.Namespace, ns) &&
            ((ownerKind is not null && Wildcard.MatchIgnoreCase(e.Kind ?? "*", ownerKind) && Wildcard.MatchIgnoreCase(e.Name ?? "*", ownerName ?? string.Empty)) ||
             (string.Equals(e.Kind, "Pod", StringComparison.OrdinalIgnoreCase) && Wildcard.MatchIgnoreCase(e.Name ?? "*", podName))));

    /// <summary>The workload exemption covering a workload template (kind and name), if any.</summary>
    public Exemption? ForWorkload(string context, string ns, string kind, string name) =>
        Entries.FirstOrDefault(e => !e.IsNamespace && InContext(e, context) && Wildcard.MatchIgnoreCase(e.Namespace, ns) &&
            !string.Equals(e.Kind, "Pod", StringComparison.OrdinalIgnoreCase) &&
            Wildcard.MatchIgnoreCase(e.Kind ?? "*", kind) && Wildcard.MatchIgnoreCase(e.Name ?? "*", name));

    /// <summary>The entries that apply to a context.</summary>
    public IEnumerable<Exemption> InContext(string context) => Entries.Where(e => InContext(e, context));

    private static bool InContext(Exemption e, string context) => e.Context is null || Wildcard.MatchIgnoreCase(e.Context, context);

    private static List<Exemption> LoadFile(string path, IEngineLog log, DateTimeOffset now)
    {
        if (!File.Exists(path))
        {
            throw new HostNetAuditException("ExemptionFileNotFound", FailureCategory.ObjectNotFound, path, $"The exemptions file '{path}' does not exist.");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostNetAuditException("ExemptionFileUnreadable", FailureCategory.ReadError, path, $"The exemptions file '{path}' cannot be read: {ex.Message}", ex);
        }

        var items = new List<JsonElement>();
        foreach (var root in Documents(text, path))
        {
            if (root.ValueKind == JsonValueKind.Array)
            {
                items.AddRange(root.EnumerateArray());
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                var kind = root.Get("kind").AsString();
                if (kind is not null && kind != "HostNetworkExemptions")
                {
                    throw Invalid(path, $"its kind is '{kind}', expected HostNetworkExemptions");
                }

                if (root.Get("exemptions").ValueKind != JsonValueKind.Array)
                {
                    throw Invalid(path, "it has no 'exemptions' list");
                }

                items.AddRange(root.Get("exemptions").EnumerateArray());
            }
        }

        if (items.Count == 0)
        {
            log.Warning($"The exemptions file '{path}' declares no exemptions.");
        }

        var result = new List<Exemption>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var label = $"entry {i + 1}";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, $"{label} is not a mapping");
            }

            var known = new[] { "namespace", "kind", "name", "justification", "context", "expires" };
            var unknown = item.Properties().Select(p => p.Name).FirstOrDefault(n => !known.Contains(n, StringComparer.Ordinal));
            if (unknown is not null)
            {
                throw Invalid(path, $"{label} has an unknown field '{unknown}' (known: {string.Join(", ", known)})");
            }

            var justification = item.Get("justification").AsString()?.Trim();
            if (string.IsNullOrEmpty(justification))
            {
                throw Invalid(path, $"{label} has no justification; every exemption must say why");
            }

            var kind = item.Get("kind").AsString();
            var name = item.Get("name").AsString();
            var ns = item.Get("namespace").AsString();
            if (kind is null && name is null && string.IsNullOrEmpty(ns))
            {
                throw Invalid(path, $"{label} names neither a namespace nor a workload");
            }

            // A misspelt kind ("Deamonset") would never match anything, silently: refuse it.
            if (kind is not null && !kind.Contains('*', StringComparison.Ordinal) && !kind.Contains('?', StringComparison.Ordinal) &&
                !ExemptKinds.Contains(kind, StringComparer.OrdinalIgnoreCase))
            {
                throw Invalid(path, $"{label} has the kind '{kind}', which no hostNetwork pod is owned by (kinds: {string.Join(", ", ExemptKinds)})");
            }

            DateTimeOffset? expires = null;
            if (item.Get("expires").AsString() is { } expiresText)
            {
                if (!DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    throw Invalid(path, $"{label} has an expiry '{expiresText}' that is not a date (use yyyy-MM-dd)");
                }

                expires = parsed;
            }

            var exemption = new Exemption(kind, string.IsNullOrEmpty(ns) ? "*" : ns, name, justification, item.Get("context").AsString(), expires, path, i + 1);
            if (expires is { } until && until < now)
            {
                log.Warning($"The exemption of {exemption.Describe()} in '{path}' expired on {until:yyyy-MM-dd}; it is ignored.");
                continue;
            }

            result.Add(exemption);
        }

        return result;
    }

    private static IEnumerable<JsonElement> Documents(string text, string path) => ConfigurationDocuments.Read(text, path, Invalid);

    private static HostNetAuditException Invalid(string path, string why) =>
        new("ExemptionFileInvalid", FailureCategory.InvalidData, path, $"The exemptions file '{path}' cannot be used: {why}.");
}

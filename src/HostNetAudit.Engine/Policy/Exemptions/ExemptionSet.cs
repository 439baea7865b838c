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

    /// <summary>Who may create or change the workload itself (exact user names); empty: anyone the RBAC lets. Read by
    /// the targeted policy only, whose top-level exception admits just these requesters.</summary>
    public IReadOnlyList<string> Requesters { get; init; } = Array.Empty<string>();

    /// <summary>Who may add ephemeral containers (kubectl debug) to its pods (exact user names); empty: nobody.</summary>
    public IReadOnlyList<string> Debuggers { get; init; } = Array.Empty<string>();

    /// <summary>The identity (user name) that creates the pods of an owner kind outside the built-ins (a Rollout's
    /// controller); the targeted policy refuses such an entry without it (ExemptionOwnerUnsupported).</summary>
    public string? CreatedBy { get; init; }

    /// <summary>How a message names the entry: its place in the file and what it declares.</summary>
    public string DescribeEntry() => $"entry {Index} of '{Source}' ({Describe()})";

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
/// identities:                              # who may get hostNetwork pods admitted (Get-HostNetworkPermission)
///   requesters: [system:serviceaccount:argocd:argocd-application-controller] # optional, targeted policy only:
///                                          # who may create or change the workload itself (exact user names)
///   debuggers: [alice]                     # optional: who may add ephemeral containers to its pods
///   createdBy: system:serviceaccount:argo-rollouts:argo-rollouts # required for owner kinds outside the built-ins
///                                          # (targeted policy): the identity that creates its pods
/// - kind: ServiceAccount                   # User, Group or ServiceAccount (exact names)
///   namespace: kube-system
///   name: cilium
///   justification: the CNI agent's DaemonSet is created with it
/// </code>
/// A bare list of entries is accepted too. Every entry needs a non-empty justification. The file is read strictly:
/// a field that is not a string, empty, unknown or given twice makes the whole file invalid.
/// </summary>
internal sealed class ExemptionSet
{
    public static readonly ExemptionSet Empty = new(Array.Empty<Exemption>());

    /// <summary>The built-in kinds an exemption names: the top controllers of pods, and Pod for a pod's own name.</summary>
    internal static readonly string[] ExemptKinds =
    {
        "Pod", "DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Node",
    };

    public ExemptionSet(IReadOnlyList<Exemption> entries, IReadOnlyList<DeclaredIdentity>? identities = null)
    {
        Entries = entries;
        Identities = identities ?? Array.Empty<DeclaredIdentity>();
    }

    public IReadOnlyList<Exemption> Entries { get; }

    /// <summary>The identities the files declare (their identities sections), expired ones left out.</summary>
    public IReadOnlyList<DeclaredIdentity> Identities { get; }

    /// <summary>Reads every file; an invalid one is an error (ExemptionFileInvalid naming the entry and field) and nothing is applied.</summary>
    public static ExemptionSet Load(IReadOnlyList<string> paths, IEngineLog log, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var entries = new List<Exemption>();
        var identities = new List<DeclaredIdentity>();
        foreach (var path in paths)
        {
            entries.AddRange(LoadFile(path, log, now, identities, cancellationToken));
        }

        return new ExemptionSet(entries, identities);
    }

    /// <summary>The declared identity a subject is, in a context, if any.</summary>
    public DeclaredIdentity? ForIdentity(string context, string kind, string name, string? ns) =>
        Identities.FirstOrDefault(i => i.InContext(context) && i.Kind == kind && i.Name == name && (kind != "ServiceAccount" || i.Namespace == ns));

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

    private static List<Exemption> LoadFile(string path, IEngineLog log, DateTimeOffset now, List<DeclaredIdentity> identities, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new HostNetAuditException("ExemptionFileNotFound", FailureCategory.ObjectNotFound, path, $"The exemptions file '{path}' does not exist.");
        }

        string? text;
        try
        {
            text = InputFile.ReadText(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostNetAuditException("ExemptionFileUnreadable", FailureCategory.ReadError, path, $"The exemptions file '{path}' cannot be read: {ex.Message}", ex);
        }

        if (text is null)
        {
            log.Warning($"The exemptions file '{path}' is empty or not a regular file; it declares no exemptions.");
            return new List<Exemption>();
        }

        // Everything is checked before anything is used: an invalid file applies nothing.
        var items = new List<JsonElement>();
        var declared = new List<DeclaredIdentity>();
        foreach (var root in ConfigurationDocuments.Read(text, path, Invalid, cancellationToken))
        {
            if (root.ValueKind == JsonValueKind.Array)
            {
                items.AddRange(root.EnumerateArray());
                continue;
            }

            var document = new ConfigurationObject(root, "the document", why => Invalid(path, why));
            document.RefuseUnknownFields("apiVersion", "kind", "metadata", "exemptions", "identities");
            _ = document.String("apiVersion");
            var kind = document.String("kind");
            if (kind is not null && kind != "HostNetworkExemptions")
            {
                throw Invalid(path, $"its kind is '{kind}', expected HostNetworkExemptions");
            }

            if (root.TryGetProperty("identities", out var section))
            {
                declared.AddRange(DeclaredIdentity.Read(section, declared.Count, path, why => Invalid(path, why)));
            }

            // A file may declare only identities; otherwise it must hold the exemptions list.
            if (root.TryGetProperty("exemptions", out var list) || !document.Has("identities"))
            {
                if (list.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid(path, "it has no 'exemptions' list");
                }

                items.AddRange(list.EnumerateArray());
            }
        }

        if (items.Count == 0 && declared.Count == 0)
        {
            log.Warning($"The exemptions file '{path}' declares no exemptions.");
        }


        var parsed = new List<Exemption>();
        for (var i = 0; i < items.Count; i++)
        {
            parsed.Add(Entry(new ConfigurationObject(items[i], $"entry {i + 1}", why => Invalid(path, why)), path, i + 1));
        }

        foreach (var identity in declared)
        {
            if (identity.Expires is { } lapsed && lapsed < now)
            {
                log.Warning($"The declared identity {identity.Describe()} in '{path}' expired on {lapsed:yyyy-MM-dd}; it is ignored.");
                continue;
            }

            identities.Add(identity);
        }

        var result = new List<Exemption>();
        foreach (var exemption in parsed)
        {
            if (exemption.Expires is { } until && until < now)
            {
                log.Warning($"The exemption of {exemption.Describe()} in '{path}' expired on {until:yyyy-MM-dd}; it is ignored.");
                continue;
            }

            result.Add(exemption);
        }

        return result;
    }

    /// <summary>
    /// One entry, strictly: every field a non-empty string when given (a list, a mapping, a number or an empty value
    /// would otherwise widen the exemption to everything without a word), no unknown field, a known kind.
    /// </summary>
    private static Exemption Entry(ConfigurationObject entry, string path, int index)
    {
        entry.RefuseUnknownFields("namespace", "kind", "name", "justification", "context", "expires", "requesters", "debuggers", "createdBy");
        string? Field(string name)
        {
            var value = entry.String(name);
            if (value is null && entry.Has(name))
            {
                throw Invalid(path, $"{entry.Where}: '{name}' is empty; leave the field out or give it a value (\"*\" for all)");
            }

            return value is not null && value.Trim().Length == 0
                ? throw Invalid(path, $"{entry.Where}: '{name}' is blank; leave the field out or give it a value (\"*\" for all)")
                : value;
        }

        var justification = entry.Has("justification") ? Field("justification")!.Trim() : null;
        if (string.IsNullOrEmpty(justification))
        {
            throw Invalid(path, $"{entry.Where} has no justification; every exemption must say why");
        }

        var kind = Field("kind");
        var name = Field("name");
        var ns = Field("namespace");
        var context = Field("context");
        var expiresText = Field("expires");
        if (kind is null && name is null && ns is null)
        {
            throw Invalid(path, $"{entry.Where} names neither a namespace nor a workload");
        }

        // A misspelt kind ("Deamonset") would never match anything, silently: refuse one a letter or two away from a
        // built-in kind. Any other kind is a custom controller's (Rollout), which pods name as their top owner.
        if (kind is not null && !kind.Contains('*', StringComparison.Ordinal) && !kind.Contains('?', StringComparison.Ordinal) &&
            !ExemptKinds.Contains(kind, StringComparer.OrdinalIgnoreCase) &&
            ExemptKinds.FirstOrDefault(k => EditDistance(k.ToLowerInvariant(), kind.ToLowerInvariant()) <= (k.Length <= 4 ? 1 : 2)) is { } near)
        {
            throw Invalid(path, $"{entry.Where} has the kind '{kind}': did you mean {near}? A misspelt kind would match nothing (kinds: {string.Join(", ", ExemptKinds)}, or a custom controller's kind)");
        }

        DateTimeOffset? expires = null;
        if (expiresText is not null)
        {
            if (!DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                throw Invalid(path, $"{entry.Where} has an expiry '{expiresText}' that is not a date (use yyyy-MM-dd)");
            }

            expires = parsed;
        }

        var requesters = UserNames(entry, "requesters", path);
        var debuggers = UserNames(entry, "debuggers", path);
        var createdBy = Field("createdBy")?.Trim();
        var isNamespace = kind is null && name is null;
        if (isNamespace && (requesters.Count > 0 || debuggers.Count > 0 || createdBy is not null))
        {
            throw Invalid(path, $"{entry.Where} exempts a namespace; 'requesters', 'debuggers' and 'createdBy' belong to a workload entry");
        }

        if (createdBy is not null && (kind is null || ExemptKinds.Contains(kind, StringComparer.OrdinalIgnoreCase) || Wildcard.HasWildcard(kind)))
        {
            throw Invalid(path, $"{entry.Where}: 'createdBy' names who creates the pods of a custom owner kind; the built-in kinds' controllers are known (kind: {kind ?? "*"})");
        }

        if (createdBy is not null && Wildcard.HasWildcard(createdBy))
        {
            throw Invalid(path, $"{entry.Where}: 'createdBy' must be an exact user name (no wildcards)");
        }

        return new Exemption(kind, ns ?? "*", name, justification, context, expires, path, index)
        {
            Requesters = requesters,
            Debuggers = debuggers,
            CreatedBy = createdBy,
        };
    }

    /// <summary>A list of exact user names (requesters, debuggers): a wildcard would trust identities nobody named.</summary>
    private static IReadOnlyList<string> UserNames(ConfigurationObject entry, string field, string path)
    {
        var names = entry.Strings(field);
        foreach (var name in names)
        {
            if (name.Trim().Length == 0 || Wildcard.HasWildcard(name))
            {
                throw Invalid(path, $"{entry.Where}: '{field}' holds '{name}'; give exact user names (no wildcards, none blank)");
            }
        }

        return names.Select(n => n.Trim()).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Letters to insert, delete or change to turn one word into the other.</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    private static HostNetAuditException Invalid(string path, string why) =>
        new("ExemptionFileInvalid", FailureCategory.InvalidData, path, $"The exemptions file '{path}' cannot be used: {why}.");
}

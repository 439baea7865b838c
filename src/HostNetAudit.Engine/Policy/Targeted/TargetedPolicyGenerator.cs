using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Policy.Exemptions;

namespace HostNetAudit.Engine.Policy.Targeted;

/// <summary>
/// Generates the targeted hostNetwork policy (issue 10): the exemptions file's entries for the target context, expanded
/// to the exact names that exist now, become the exceptions of one ValidatingAdmissionPolicy; its binding covers every
/// namespace except the exempt ones and those running hostNetwork workloads no entry declares (unless Force). Offline
/// and live alike: the inventory is what the evidence source lists. Pure: no cluster access, no clock.
/// </summary>
internal static class TargetedPolicyGenerator
{
    /// <summary>The owner kinds the chains know (Node: the owner of static pods' mirror pods).</summary>
    private static readonly string[] BuiltInKinds = { "Pod", "DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Node" };

    public static TargetedPolicyPlan Generate(ExemptionSet exemptions, TargetedInventory inventory, TargetedPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(exemptions);
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(options);
        var warnings = new List<PolicyWarning>();
        var entries = exemptions.InContext(options.Context).ToList();

        // A custom owner kind named exactly needs the identity that creates its pods: refused before anything else.
        foreach (var entry in entries.Where(e => !e.IsNamespace && e.Kind is { } k && !Wildcard.HasWildcard(k) && !IsBuiltIn(k) && e.CreatedBy is null))
        {
            throw new HostNetAuditException(
                "ExemptionOwnerUnsupported",
                FailureCategory.InvalidData,
                entry.Source,
                $"The exemption {entry.DescribeEntry()} names the owner kind '{entry.Kind}', which is not a built-in controller (kinds: {string.Join(", ", BuiltInKinds)}): the policy cannot tell who creates its pods. Add 'createdBy:' with the user name of its controller, or declare the workload it creates.");
        }

        var units = Units(inventory);
        var namespaces = inventory.Namespaces
            .Concat(units.Select(u => u.Namespace))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

        // Namespace entries: wildcards expanded to the namespaces that exist now.
        var exempt = new Dictionary<string, Exemption>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.IsNamespace))
        {
            var matched = namespaces.Where(n => Wildcard.MatchIgnoreCase(entry.Namespace, n)).ToList();
            if (matched.Count == 0 && options.IncludeUnmatched && !Wildcard.HasWildcard(entry.Namespace))
            {
                matched.Add(entry.Namespace);
            }

            if (matched.Count == 0)
            {
                warnings.Add(MatchesNothing(entry));
            }

            foreach (var ns in matched)
            {
                exempt.TryAdd(ns, entry);
            }
        }

        // Workload entries: each unit is taken by the first entry that matches it, as the audit does.
        var claimed = new Dictionary<Unit, (Exemption Entry, PolicyException? Exception)>();
        var carried = new List<PolicyException>();
        foreach (var entry in entries.Where(e => !e.IsNamespace))
        {
            var matches = units.Where(u => Matches(entry, u)).ToList();
            if (matches.Count == 0)
            {
                if (options.IncludeUnmatched && Unmatched(entry) is { } unmatched)
                {
                    carried.Add(unmatched);
                    warnings.Add(new PolicyWarning("ExemptionCarriedUnmatched", entry.DescribeEntry(), $"The exemption {entry.DescribeEntry()} matches nothing that exists now; it is carried as written (-IncludeUnmatched), its pods' service account taken to be 'default'."));
                }
                else
                {
                    warnings.Add(MatchesNothing(entry));
                }

                continue;
            }

            foreach (var unit in matches.Where(u => !claimed.ContainsKey(u)))
            {
                claimed[unit] = (entry, Exception(entry, unit, warnings));
            }
        }

        // Namespaces: exempt, left out (undeclared hostNetwork workloads, unless Force), or protected.
        var leftOut = new List<LeftOutNamespace>();
        var protectedNamespaces = new List<string>();
        foreach (var ns in namespaces)
        {
            if (exempt.TryGetValue(ns, out var entry))
            {
                leftOut.Add(new LeftOutNamespace(ns, LeftOutReason.Exempt, entry.Justification, Array.Empty<UndeclaredWorkload>()));
                continue;
            }

            var undeclared = units
                .Where(u => u.Namespace == ns && (!claimed.TryGetValue(u, out var claim) || claim.Exception is null))
                .Select(u => new UndeclaredWorkload(u.Shape == ExceptionShape.MirrorPod ? "Pod" : u.Kind, u.Shape == ExceptionShape.MirrorPod ? u.PodNames[0] : u.Name, u.Pods))
                .OrderBy(w => w.Kind, StringComparer.Ordinal).ThenBy(w => w.Name, StringComparer.Ordinal)
                .ToList();
            if (undeclared.Count > 0 && !options.Force)
            {
                leftOut.Add(new LeftOutNamespace(ns, LeftOutReason.UndeclaredWorkloads, null, undeclared));
                continue;
            }

            if (undeclared.Count > 0)
            {
                warnings.Add(new PolicyWarning("UndeclaredWorkloadsCovered", ns, $"Namespace '{ns}' is covered (-Force) although it runs undeclared hostNetwork workloads: {string.Join(", ", undeclared)}. They keep running; their next re-creation is refused."));
            }

            protectedNamespaces.Add(ns);
        }

        // Exact-name namespaces the exemptions carry (-IncludeUnmatched) that do not exist yet stay excluded too.
        var covered = protectedNamespaces.ToHashSet(StringComparer.Ordinal);
        var exceptions = claimed.Values.Select(c => c.Exception).OfType<PolicyException>().Concat(carried)
            .Where(e => covered.Contains(e.Namespace) || !namespaces.Contains(e.Namespace, StringComparer.Ordinal))
            .Where(e => !exempt.ContainsKey(e.Namespace))
            .Distinct(ExceptionKey.Comparer)
            .ToList();
        exceptions = TargetedPolicyObjects.Order(exceptions).ToList();

        if (!covered.Contains("kube-system") && namespaces.Contains("kube-system", StringComparer.Ordinal))
        {
            warnings.Add(new PolicyWarning("ControllerServiceAccountsUnguarded", "kube-system", "kube-system is not covered, so pods there may still run as a kube-controller-manager service account, whose token can forge a controller's requests."));
        }

        var (policy, binding) = TargetedPolicyObjects.Build(exceptions, leftOut.Select(l => l.Namespace).ToList(), options.ValidationAction, options.ControllerIdentity);
        return new TargetedPolicyPlan(policy, binding, protectedNamespaces, leftOut, exceptions, warnings, options.ControllerIdentity, options.ObservedControllerIdentity, options.ValidationAction);
    }

    /// <summary>
    /// What the policy must cover: each top owner of running hostNetwork pods or hostNetwork templates (kind, namespace,
    /// name), each bare pod, and each static pod's mirror pods (by declared name), with the service accounts and pods seen.
    /// </summary>
    private static List<Unit> Units(TargetedInventory inventory)
    {
        var units = new Dictionary<(ExceptionShape, string, string, string), Unit>();
        Unit Get(ExceptionShape shape, string kind, string? group, string ns, string name)
        {
            var key = (shape, kind, ns, name);
            if (!units.TryGetValue(key, out var unit))
            {
                unit = new Unit(shape, kind, group, ns, name);
                units[key] = unit;
            }

            return unit;
        }

        foreach (var workload in inventory.Workloads)
        {
            var unit = Get(ExceptionShape.Workload, workload.Kind, GroupOf(workload.ApiVersion) ?? TargetedPolicyCel.GroupOf(workload.Kind), workload.Namespace, workload.Name);
            unit.TemplateServiceAccount ??= string.IsNullOrEmpty(workload.ServiceAccount) ? "default" : workload.ServiceAccount;
        }

        foreach (var pod in inventory.Pods)
        {
            Unit unit;
            if (pod.IsMirrorPod && pod.NodeName is { Length: > 0 } node && pod.Name.EndsWith("-" + node, StringComparison.Ordinal) && pod.Name.Length > node.Length + 1)
            {
                unit = Get(ExceptionShape.MirrorPod, "Pod", string.Empty, pod.Namespace, pod.Name[..^(node.Length + 1)]);
                unit.Nodes.Add(node);
            }
            else if (pod.OwnerKind is null || pod.OwnerName is null || pod.IsMirrorPod)
            {
                unit = Get(ExceptionShape.Workload, "Pod", string.Empty, pod.Namespace, pod.Name);
            }
            else
            {
                unit = Get(ExceptionShape.Workload, pod.OwnerKind, GroupOf(pod.OwnerApiVersion) ?? TargetedPolicyCel.GroupOf(pod.OwnerKind), pod.Namespace, pod.OwnerName);
            }

            unit.PodNames.Add(pod.Name);
            unit.PodServiceAccounts.Add(string.IsNullOrEmpty(pod.ServiceAccount) ? "default" : pod.ServiceAccount);
        }

        return units.Values.OrderBy(u => u.Namespace, StringComparer.Ordinal).ThenBy(u => u.Kind, StringComparer.Ordinal).ThenBy(u => u.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Does the entry declare the unit? As the audit reads entries: kind and name wildcards against the top
    /// owner; kind Pod by a pod's own name (bare and mirror pods); a Node owner (kind Node or a kind wildcard) by the node.</summary>
    private static bool Matches(Exemption entry, Unit unit)
    {
        if (!Wildcard.MatchIgnoreCase(entry.Namespace, unit.Namespace))
        {
            return false;
        }

        var kind = entry.Kind ?? "*";
        var name = entry.Name ?? "*";
        var byPodName = string.Equals(kind, "Pod", StringComparison.OrdinalIgnoreCase) && unit.PodNames.Any(p => Wildcard.MatchIgnoreCase(name, p));
        return unit.Shape switch
        {
            ExceptionShape.MirrorPod => byPodName || (Wildcard.MatchIgnoreCase(kind, "Node") && unit.Nodes.Any(n => Wildcard.MatchIgnoreCase(name, n))),
            _ when unit.Kind == "Pod" => byPodName,
            _ => byPodName || (Wildcard.MatchIgnoreCase(kind, unit.Kind) && Wildcard.MatchIgnoreCase(name, unit.Name)),
        };
    }

    /// <summary>The exception for a unit an entry declares, or null (with a warning) when the chains cannot carry it.</summary>
    private static PolicyException? Exception(Exemption entry, Unit unit, List<PolicyWarning> warnings)
    {
        if (unit.Shape == ExceptionShape.MirrorPod)
        {
            return new PolicyException(ExceptionShape.MirrorPod, "Pod", string.Empty, unit.Namespace, unit.Name, Array.Empty<string>(), Array.Empty<string>(), entry.Debuggers, null, entry.Justification, entry.Expires, entry.DescribeEntry());
        }

        if (unit.Kind != "Pod" && string.Equals(entry.Kind, "Pod", StringComparison.OrdinalIgnoreCase))
        {
            warnings.Add(new PolicyWarning("ExemptionPodOfController", entry.DescribeEntry(), $"The exemption {entry.DescribeEntry()} names pods of {unit.Kind}/{unit.Namespace}/{unit.Name} by their own names, which its controller generates anew: declare the {unit.Kind} instead."));
            return null;
        }

        var custom = !IsBuiltIn(unit.Kind);
        if (custom && entry.CreatedBy is null)
        {
            warnings.Add(new PolicyWarning("ExemptionOwnerUnsupported", entry.DescribeEntry(), $"The exemption {entry.DescribeEntry()} matches {unit.Kind}/{unit.Namespace}/{unit.Name}, an owner kind that is not built in: name it exactly with 'createdBy:' (its controller's user name) to carry it."));
            return null;
        }

        var serviceAccounts = unit.TemplateServiceAccount is { } template
            ? new[] { template }.Concat(unit.PodServiceAccounts.Where(s => s != template)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()
            : unit.PodServiceAccounts.Order(StringComparer.Ordinal).ToList();
        if (serviceAccounts.Count == 0)
        {
            serviceAccounts.Add("default");
        }

        return new PolicyException(ExceptionShape.Workload, unit.Kind, custom ? unit.Group ?? string.Empty : TargetedPolicyCel.GroupOf(unit.Kind), unit.Namespace, unit.Name, serviceAccounts, entry.Requesters, entry.Debuggers, custom ? entry.CreatedBy : null, entry.Justification, entry.Expires, entry.DescribeEntry());
    }

    /// <summary>An exact entry that matches nothing, carried as written (-IncludeUnmatched); wildcards cannot be.</summary>
    private static PolicyException? Unmatched(Exemption entry)
    {
        if (entry.Kind is not { } kind || entry.Name is not { } name || Wildcard.HasWildcard(kind) || Wildcard.HasWildcard(name) || Wildcard.HasWildcard(entry.Namespace) || string.Equals(kind, "Node", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var canonical = BuiltInKinds.FirstOrDefault(k => string.Equals(k, kind, StringComparison.OrdinalIgnoreCase)) ?? kind;
        var custom = !IsBuiltIn(canonical);
        return new PolicyException(ExceptionShape.Workload, canonical, custom ? string.Empty : TargetedPolicyCel.GroupOf(canonical), entry.Namespace, name, new[] { "default" }, entry.Requesters, entry.Debuggers, custom ? entry.CreatedBy : null, entry.Justification, entry.Expires, entry.DescribeEntry());
    }

    /// <summary>The warning id of an entry that matches nothing.</summary>
    public const string MatchesNothingId = "ExemptionMatchesNothing";

    /// <summary>
    /// The warnings as the cmdlets write them: the entries that match nothing as one warning naming them all (the
    /// shipped example lists agents most clusters do not run, and a warning each buried the others); the rest as they
    /// are. The plan keeps one warning per entry.
    /// </summary>
    public static IReadOnlyList<PolicyWarning> ToWrite(IReadOnlyList<PolicyWarning> warnings)
    {
        var unmatched = warnings.Where(w => w.Id == MatchesNothingId && w.Entry is not null).ToList();
        if (unmatched.Count < 2)
        {
            return warnings;
        }

        var named = unmatched.GroupBy(w => w.Entry!.Source, StringComparer.Ordinal)
            .Select(g => $"in '{g.Key}': " + string.Join(", ", g.Select(w => $"{w.Entry!.Describe()} (entry {w.Entry.Index})")));
        var combined = new PolicyWarning(MatchesNothingId, $"{unmatched.Count} exemptions", $"{unmatched.Count} exemptions match nothing that runs or is templated now and are not carried into the policy (-IncludeUnmatched carries exact names); {string.Join("; ", named)}.");
        return warnings.Except(unmatched).Append(combined).ToList();
    }

    private static PolicyWarning MatchesNothing(Exemption entry) =>
        new(MatchesNothingId, entry.DescribeEntry(), $"The exemption {entry.DescribeEntry()} matches nothing that runs or is templated now; it is not carried into the policy (-IncludeUnmatched carries exact names).", entry);

    internal static bool IsBuiltIn(string kind) => BuiltInKinds.Contains(kind, StringComparer.OrdinalIgnoreCase);

    private static string? GroupOf(string? apiVersion) =>
        apiVersion is null ? null : apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;

    /// <summary>One thing the policy must cover (identity by reference: one per key).</summary>
    private sealed class Unit
    {
        public Unit(ExceptionShape shape, string kind, string? group, string ns, string name)
        {
            Shape = shape;
            Kind = kind;
            Group = group;
            Namespace = ns;
            Name = name;
        }

        public ExceptionShape Shape { get; }

        public string Kind { get; }

        public string? Group { get; }

        public string Namespace { get; }

        public string Name { get; }

        public string? TemplateServiceAccount { get; set; }

        public SortedSet<string> PodServiceAccounts { get; } = new(StringComparer.Ordinal);

        public List<string> PodNames { get; } = new();

        public SortedSet<string> Nodes { get; } = new(StringComparer.Ordinal);

        public int Pods => PodNames.Count;
    }

    /// <summary>Two entries that expand to the same exception carry it once (the first's justification).</summary>
    private sealed class ExceptionKey : IEqualityComparer<PolicyException>
    {
        public static readonly ExceptionKey Comparer = new();

        public bool Equals(PolicyException? x, PolicyException? y) =>
            x is not null && y is not null && x.Shape == y.Shape && x.Kind == y.Kind && x.Namespace == y.Namespace && x.Name == y.Name;

        public int GetHashCode(PolicyException obj) => HashCode.Combine(obj.Shape, obj.Kind, obj.Namespace, obj.Name);
    }
}

namespace HostNetAudit.Engine.Remediation;

/// <summary>One thing a change would refuse: a pod (with its top controller, if any) or a workload template.</summary>
/// <param name="Kind">Pod, or the template's workload kind.</param>
/// <param name="Name">The pod's or workload's name.</param>
/// <param name="Owner">For pods: "Kind/Name" of the top controller, or null for a bare pod.</param>
/// <param name="Reasons">Why it is refused, as the check words it.</param>
internal sealed record RefusedItem(string Kind, string Name, string? Owner, IReadOnlyList<string> Reasons)
{
    /// <summary>The item's namespace, where a caller groups several namespaces.</summary>
    public string Namespace { get; init; } = string.Empty;
}

/// <summary>The pods and template of one top workload (or one bare pod) that a change would refuse.</summary>
internal sealed record WorkloadGroup(string Workload, int Pods, bool Template, IReadOnlyList<string> Reasons)
{
    /// <summary>"DaemonSet/fluent-bit (6 pods): hostPath volumes", "CronJob/backup (template): host namespaces".</summary>
    public override string ToString()
    {
        var count = Pods switch
        {
            0 => "template",
            1 => "1 pod",
            _ => $"{Pods} pods",
        };
        var bare = Pods == 1 && !Template && Workload.StartsWith("Pod/", StringComparison.Ordinal);
        var head = bare ? Workload : $"{Workload} ({count})";
        return Reasons.Count == 0 ? head : $"{head}: {string.Join("; ", Reasons)}";
    }
}

/// <summary>
/// Readable refusals for the remediation cmdlets (Set-NamespacePodSecurity, Set-HostNetworkPolicy): the pods
/// a change would refuse, grouped under the workload that makes them, so a namespace of 300 pods reads as a
/// few lines, one per workload; the records keep the full list.
/// </summary>
internal static class WorkloadGroups
{
    /// <summary>At most this many lines in a message; the rest are counted in one closing line.</summary>
    public const int MaxLines = 20;

    /// <summary>Groups pods under their top controller and a workload's template with its pods; largest first.</summary>
    public static IReadOnlyList<WorkloadGroup> Group(IEnumerable<RefusedItem> items)
    {
        var groups = new Dictionary<string, (int Pods, bool Template, List<string> Reasons, int Order)>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var key = item.Kind == "Pod" ? item.Owner ?? "Pod/" + item.Name : item.Kind + "/" + item.Name;
            if (!groups.TryGetValue(key, out var group))
            {
                group = (0, false, new List<string>(), groups.Count);
            }

            group = item.Kind == "Pod" ? group with { Pods = group.Pods + 1 } : group with { Template = true };
            foreach (var reason in item.Reasons)
            {
                if (!group.Reasons.Contains(reason, StringComparer.Ordinal))
                {
                    group.Reasons.Add(reason);
                }
            }

            groups[key] = group;
        }

        return groups
            .OrderByDescending(g => g.Value.Pods)
            .ThenBy(g => g.Value.Order)
            .Select(g => new WorkloadGroup(g.Key, g.Value.Pods, g.Value.Template, g.Value.Reasons))
            .ToList();
    }

    /// <summary>One line per workload (at most <see cref="MaxLines"/>, then "... and N more workloads (M pods)").</summary>
    public static IReadOnlyList<string> Lines(IReadOnlyList<WorkloadGroup> groups)
    {
        var lines = groups.Take(MaxLines).Select(g => g.ToString()).ToList();
        if (groups.Count > MaxLines)
        {
            var rest = groups.Skip(MaxLines).ToList();
            var pods = rest.Sum(g => g.Pods);
            lines.Add($"... and {rest.Count} more workloads ({(pods == 1 ? "1 pod" : $"{pods} pods")}); the record lists every one");
        }

        return lines;
    }

    /// <summary>The lines indented under a message, each on its own line.</summary>
    public static string Block(IEnumerable<RefusedItem> items) =>
        string.Concat(Lines(Group(items)).Select(l => Environment.NewLine + "  " + l));

    /// <summary>"3 workloads" / "1 workload".</summary>
    public static string CountWorkloads(int count) => count == 1 ? "1 workload" : $"{count} workloads";
}

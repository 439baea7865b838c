using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// The policy controller's type checking, reduced to what tests need: every field path selected from
/// <c>object</c> or <c>oldObject</c> in a validation's expression or messageExpression is checked against the
/// schema of each kind the policy's resource rules name (no wildcards, no subresources, as the apiserver does), for
/// the workload kinds whose schema the simulator knows; <c>variables.x</c> must name a declared variable. Warnings
/// use the apiserver's shape: per kind "group/version, Kind=K: ERROR: &lt;input&gt;:line:column: undefined field 'f'"
/// with the source line and a caret under the selection.
/// </summary>
public static partial class PolicyTypeChecker
{
    // Fields of the types the checks walk; a field mapped to null is a leaf, a map or a list (not walked further).
    private static readonly Dictionary<string, Dictionary<string, string?>> Types = BuildTypes();

    private static readonly Dictionary<string, string> RootTypes = new(StringComparer.Ordinal)
    {
        ["/v1, Kind=Pod"] = "Pod",
        ["/v1, Kind=ReplicationController"] = "ReplicationController",
        ["apps/v1, Kind=Deployment"] = "Deployment",
        ["apps/v1, Kind=DaemonSet"] = "DaemonSet",
        ["apps/v1, Kind=StatefulSet"] = "StatefulSet",
        ["apps/v1, Kind=ReplicaSet"] = "ReplicaSet",
        ["batch/v1, Kind=Job"] = "Job",
        ["batch/v1, Kind=CronJob"] = "CronJob",
    };

    /// <summary>(fieldRef, warning) for each validation expression with issues.</summary>
    public static List<(string FieldRef, string Warning)> Check(JsonObject policy, Func<string, string, string, string?> kindOf)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(kindOf);
        var spec = policy["spec"] as JsonObject ?? new JsonObject();
        var kinds = KindsToCheck(spec, kindOf);
        var declared = (spec["variables"] as JsonArray ?? new JsonArray()).Select(v => v?["name"]?.ToString() ?? string.Empty).ToHashSet(StringComparer.Ordinal);
        var warnings = new List<(string, string)>();
        var validations = spec["validations"] as JsonArray ?? new JsonArray();
        for (var i = 0; i < validations.Count; i++)
        {
            foreach (var field in new[] { "expression", "messageExpression" })
            {
                if (validations[i]?[field]?.ToString() is not { Length: > 0 } expression)
                {
                    continue;
                }

                var results = kinds.Select(k => (Kind: k, Issues: Issues(expression, RootTypes[k], declared))).Where(r => r.Issues.Count > 0).ToList();
                if (results.Count > 0)
                {
                    warnings.Add(($"spec.validations[{i}].{field}", string.Join("\n", results.Select(r => $"{r.Kind}: {string.Join("\n", r.Issues)}\n"))));
                }
            }
        }

        return warnings;
    }

    /// <summary>The kinds named by explicit resource rules (sorted by group, version, kind), of those whose schema is known.</summary>
    private static List<string> KindsToCheck(JsonObject spec, Func<string, string, string, string?> kindOf)
    {
        var kinds = new SortedSet<(string Group, string Version, string Kind)>();
        foreach (var rule in (spec["matchConstraints"]?["resourceRules"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
        {
            var groups = Strings(rule["apiGroups"]);
            var versions = Strings(rule["apiVersions"]);
            if (groups.Any(g => g.Contains('*', StringComparison.Ordinal)) || versions.Any(v => v.Contains('*', StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var resource in Strings(rule["resources"]).Where(r => !r.Contains('*', StringComparison.Ordinal) && !r.Contains('/', StringComparison.Ordinal)))
            {
                foreach (var group in groups)
                {
                    foreach (var version in versions)
                    {
                        if (kindOf(group, version, resource) is { } kind)
                        {
                            kinds.Add((group, version, kind));
                        }
                    }
                }
            }
        }

        return kinds.Select(k => $"{k.Group}/{k.Version}, Kind={k.Kind}").Where(RootTypes.ContainsKey).ToList();
    }

    private static List<string> Strings(JsonNode? node) => (node as JsonArray ?? new JsonArray()).Select(v => v?.ToString() ?? string.Empty).ToList();

    private static List<string> Issues(string expression, string rootType, HashSet<string> declaredVariables)
    {
        var issues = new List<string>();
        var code = BlankStrings(expression);
        foreach (Match match in Selection().Matches(code))
        {
            var root = match.Groups["root"].Value;
            var position = match.Groups["root"].Index + root.Length;
            var segments = match.Groups["rest"].Value.Split('.', StringSplitOptions.RemoveEmptyEntries);
            var selected = match.Groups["call"].Success ? segments[..^1] : segments;
            if (root == "variables")
            {
                if (selected.Length > 0 && !declaredVariables.Contains(selected[0]))
                {
                    issues.Add(Error(expression, position, $"undefined field '{selected[0]}'"));
                }

                continue;
            }

            string? type = rootType;
            foreach (var segment in selected)
            {
                if (!Types[type!].TryGetValue(segment, out type))
                {
                    issues.Add(Error(expression, position, $"undefined field '{segment}'"));
                    break;
                }

                if (type is null)
                {
                    break;
                }

                position += 1 + segment.Length;
            }
        }

        return issues;
    }

    // cel-go's error text: the location is the "." of the selection; the caret line marks it under the source line.
    private static string Error(string expression, int offset, string message)
    {
        var lineStart = offset == 0 ? 0 : expression.LastIndexOf('\n', offset - 1) + 1;

        var line = expression[..lineStart].Count(c => c == '\n') + 1;
        var lineEnd = expression.IndexOf('\n', lineStart);
        var text = lineEnd < 0 ? expression[lineStart..] : expression[lineStart..lineEnd];
        var column = offset - lineStart + 1;
        var result = new StringBuilder();
        result.Append("ERROR: <input>:").Append(line).Append(':').Append(column).Append(": ").Append(message).Append('\n');
        result.Append(" | ").Append(text).Append('\n');
        result.Append(" | ").Append(new string('.', column - 1)).Append('^');
        return result.ToString();
    }

    /// <summary>The expression with the contents of string literals blanked, so selections inside them are not read.</summary>
    private static string BlankStrings(string expression)
    {
        var chars = expression.ToCharArray();
        char? quote = null;
        for (var i = 0; i < chars.Length; i++)
        {
            if (quote is null)
            {
                if (chars[i] is '\'' or '"')
                {
                    quote = chars[i];
                }

                continue;
            }

            if (chars[i] == '\\' && i + 1 < chars.Length)
            {
                chars[i] = ' ';
                chars[++i] = ' ';
            }
            else if (chars[i] == quote)
            {
                quote = null;
            }
            else if (chars[i] != '\n')
            {
                chars[i] = ' ';
            }
        }

        return new string(chars);
    }

    [GeneratedRegex(@"(?<![\w.])(?<root>object|oldObject|variables)(?<rest>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?<call>\s*\()?")]
    private static partial Regex Selection();

    private static Dictionary<string, Dictionary<string, string?>> BuildTypes()
    {
        static Dictionary<string, string?> Fields(string leaves, params (string Field, string Type)[] typed)
        {
            var fields = leaves.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToDictionary(f => f, _ => (string?)null, StringComparer.Ordinal);
            foreach (var (field, type) in typed)
            {
                fields[field] = type;
            }

            return fields;
        }

        const string Top = "apiVersion kind status";
        return new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal)
        {
            ["ObjectMeta"] = Fields("name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers managedFields"),
            ["PodSpec"] = Fields("volumes initContainers containers ephemeralContainers restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity schedulerName tolerations hostAliases priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources"),
            ["PodTemplateSpec"] = Fields(string.Empty, ("metadata", "ObjectMeta"), ("spec", "PodSpec")),
            ["Pod"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "PodSpec")),
            ["DeploymentSpec"] = Fields("replicas selector strategy minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds", ("template", "PodTemplateSpec")),
            ["Deployment"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "DeploymentSpec")),
            ["DaemonSetSpec"] = Fields("selector updateStrategy minReadySeconds revisionHistoryLimit", ("template", "PodTemplateSpec")),
            ["DaemonSet"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "DaemonSetSpec")),
            ["StatefulSetSpec"] = Fields("replicas selector volumeClaimTemplates serviceName podManagementPolicy updateStrategy revisionHistoryLimit minReadySeconds persistentVolumeClaimRetentionPolicy ordinals", ("template", "PodTemplateSpec")),
            ["StatefulSet"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "StatefulSetSpec")),
            ["ReplicaSetSpec"] = Fields("replicas minReadySeconds selector", ("template", "PodTemplateSpec")),
            ["ReplicaSet"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "ReplicaSetSpec")),
            ["ReplicationControllerSpec"] = Fields("replicas minReadySeconds selector", ("template", "PodTemplateSpec")),
            ["ReplicationController"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "ReplicationControllerSpec")),
            ["JobSpec"] = Fields("parallelism completions activeDeadlineSeconds podFailurePolicy successPolicy backoffLimit backoffLimitPerIndex maxFailedIndexes selector manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy", ("template", "PodTemplateSpec")),
            ["Job"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "JobSpec")),
            ["JobTemplateSpec"] = Fields(string.Empty, ("metadata", "ObjectMeta"), ("spec", "JobSpec")),
            ["CronJobSpec"] = Fields("schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend successfulJobsHistoryLimit failedJobsHistoryLimit", ("jobTemplate", "JobTemplateSpec")),
            ["CronJob"] = Fields(Top, ("metadata", "ObjectMeta"), ("spec", "CronJobSpec")),
        };
    }
}

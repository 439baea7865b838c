using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// Publishes one audit's policy reports (wgpolicyk8s.io/v1alpha2, what Kyverno writes and Policy Reporter reads)
/// into the audited cluster. Touches only what the module wrote: objects named hostnetaudit (or hostnetaudit-N,
/// the chunks of a large report) and labelled app.kubernetes.io/managed-by: HostNetAudit. The preview reads them
/// (two label-selected lists), builds the new set with <see cref="PolicyReportBuilder"/> (an unchanged result keeps
/// its timestamp), compares, and dry-runs each change; the write is a server-side apply with the module's own
/// field manager, or a delete with the read resourceVersion as precondition for a report the audit no longer makes.
/// </summary>
internal sealed partial class PolicyReportPublisher : IPolicyReportPublisher
{
    /// <summary>The field manager of every apply: the module's own, so other writers' fields are never taken over silently.</summary>
    public const string FieldManager = "hostnetaudit-publisher";

    private static readonly PolicyReportApi Api = PolicyReportApi.WgPolicy;
    private static readonly string Group = Api.ApiVersion.Split('/')[0];
    private static readonly string GroupVersion = Api.ApiVersion;

    private readonly KubeApiClient api;
    private readonly PagedLister lister;
    private readonly IEngineLog log;

    public PolicyReportPublisher(KubeApiClient api, PagedLister lister, IEngineLog log)
    {
        this.api = api;
        this.lister = lister;
        this.log = log;
    }

    public async Task<IReadOnlyList<PolicyReportPlan>> PreviewAsync(AuditReport report, CancellationToken cancellationToken)
    {
        await RequireCrdsAsync(cancellationToken).ConfigureAwait(false);
        var existingTask = ReadExistingAsync("clusterpolicyreports", cancellationToken);
        var namespacedTask = ReadExistingAsync("policyreports", cancellationToken);
        await Concurrent.WhenAllAsync(existingTask, namespacedTask).ConfigureAwait(false);
        var existing = (await existingTask.ConfigureAwait(false)).Concat(await namespacedTask.ConfigureAwait(false)).ToList();
        var desired = PolicyReportBuilder.Build(report, Api, existing);
        var byKey = existing.ToDictionary(Key, StringComparer.Ordinal);

        var plans = new List<PolicyReportPlan>();
        foreach (var wanted in desired)
        {
            var key = Key(wanted);
            byKey.TryGetValue(key, out var found);
            byKey.Remove(key);
            var record = Record(wanted, found);
            if (found is not null && Same(wanted, found))
            {
                plans.Add(new PolicyReportPlan(record, PolicyReportDecision.Unchanged));
                continue;
            }

            var request = ApplyRequest(wanted).WithQuery("dryRun", "All");
            await api.SendAsync(request, cancellationToken).ConfigureAwait(false);
            plans.Add(new PolicyReportPlan(record, PolicyReportDecision.Apply)
            {
                Description = (found is null ? "Create " : "Update ") + Describe(record) + $" with {record.Results} result(s) ({record.Summary}).",
                State = wanted,
            });
        }

        // What the module wrote before and this audit no longer makes: a namespace now excluded, exempt or without
        // hostNetwork workloads, or a chunk a smaller report does not need.
        foreach (var stale in byKey.Values.OrderBy(Key, StringComparer.Ordinal))
        {
            var record = Record(stale, stale);
            record.Results = 0;
            record.Summary = null;
            var resourceVersion = stale["metadata"]?["resourceVersion"]?.GetValue<string>();
            await api.SendAsync(DeleteRequest(stale, resourceVersion).WithQuery("dryRun", "All"), cancellationToken).ConfigureAwait(false);
            plans.Add(new PolicyReportPlan(record, PolicyReportDecision.Delete)
            {
                Description = "Delete " + Describe(record) + ": the audit no longer reports anything there.",
                State = resourceVersion,
            });
        }

        log.Verbose($"{api.Context}: {plans.Count(p => p.Decision == PolicyReportDecision.Apply)} policy report(s) to apply, {plans.Count(p => p.Decision == PolicyReportDecision.Delete)} to delete, {plans.Count(p => p.Decision == PolicyReportDecision.Unchanged)} unchanged.");
        return plans;
    }

    public async Task ApplyAsync(PolicyReportPlan plan, CancellationToken cancellationToken)
    {
        var record = plan.Record;
        if (plan.Decision == PolicyReportDecision.Apply)
        {
            var response = await api.SendAsync(ApplyRequest((JsonObject)plan.State!), cancellationToken).ConfigureAwait(false);
            using var stored = JsonDocument.Parse(response.Body);
            record.ResourceVersion = stored.RootElement.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null;
            record.Action = "Applied";
        }
        else if (plan.Decision == PolicyReportDecision.Delete)
        {
            var target = new JsonObject { ["kind"] = record.Kind, ["metadata"] = new JsonObject { ["name"] = record.Name, ["namespace"] = record.Namespace } };
            await api.SendAsync(DeleteRequest(target, (string?)plan.State), cancellationToken).ConfigureAwait(false);
            record.Action = "Deleted";
        }
    }

    /// <summary>Names the CRD to install when the server does not serve the policy report API.</summary>
    private async Task RequireCrdsAsync(CancellationToken cancellationToken)
    {
        var served = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var document = await api.SendJsonAsync(new ApiRequest(HttpMethod.Get, "/apis/" + GroupVersion, "Discovery", "get", Group), cancellationToken).ConfigureAwait(false);
            if (document.RootElement.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array)
            {
                foreach (var resource in resources.EnumerateArray())
                {
                    if (resource.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    {
                        served.Add(name.GetString()!);
                    }
                }
            }
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            log.Debug($"{api.Context}: {GroupVersion} is not served: {ex.Message}");
        }

        var missing = new[] { "clusterpolicyreports", "policyreports" }.Where(r => !served.Contains(r)).Select(r => r + "." + Group).ToList();
        if (missing.Count > 0)
        {
            throw new HostNetAuditException(
                "PolicyReportCrdMissing",
                FailureCategory.ObjectNotFound,
                missing[0],
                $"Context '{api.Context}' does not serve {GroupVersion} {string.Join(" and ", missing.Select(m => m[..m.IndexOf('.', StringComparison.Ordinal)]))}: install the CustomResourceDefinition{(missing.Count > 1 ? "s" : string.Empty)} {string.Join(" and ", missing)} (Kyverno installs them; so does the wg-policy-prototypes project).")
            {
                RecommendedAction = $"Install the CRD{(missing.Count > 1 ? "s" : string.Empty)} {string.Join(", ", missing)}, or write the reports to a file with Export-HostNetworkAuditReport -Format PolicyReport.",
            };
        }
    }

    /// <summary>The objects the module wrote before: labelled as its own and named hostnetaudit or hostnetaudit-N.</summary>
    private async Task<List<JsonObject>> ReadExistingAsync(string resource, CancellationToken cancellationToken)
    {
        var request = new ApiRequest(HttpMethod.Get, $"/apis/{GroupVersion}/{resource}", "List" + (resource == "policyreports" ? "PolicyReports" : "ClusterPolicyReports"), "list", resource + "." + Group)
            .WithQuery("labelSelector", PolicyReportBuilder.ManagedByLabel + "=" + PolicyReportBuilder.ManagedBy);
        var kind = resource == "policyreports" ? Api.NamespacedKind : Api.ClusterKind;
        var found = new List<JsonObject>();
        await foreach (var item in lister.ListAsync(request, 500, null, cancellationToken).ConfigureAwait(false))
        {
            var node = JsonNode.Parse(item.GetRawText())!.AsObject();
            var name = node["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
            if (!OwnName().IsMatch(name))
            {
                continue;
            }

            node["apiVersion"] ??= GroupVersion;
            node["kind"] ??= kind;
            found.Add(node);
        }

        return found;
    }

    private ApiRequest ApplyRequest(JsonObject report)
    {
        var (resource, ns, name) = Where(report);
        var path = ns is null ? $"/apis/{GroupVersion}/{resource}/{name}" : $"/apis/{GroupVersion}/namespaces/{Uri.EscapeDataString(ns)}/{resource}/{name}";
        return new ApiRequest(HttpMethod.Patch, path, "ApplyPolicyReport", "patch", resource + "." + Group, ns, name)
        {
            // JSON is YAML: the apiserver reads an apply body as either.
            Body = report.ToJsonString(),
            ContentType = "application/apply-patch+yaml",
        }.WithQuery("fieldManager", FieldManager).WithQuery("force", "true");
    }

    private static ApiRequest DeleteRequest(JsonObject report, string? resourceVersion)
    {
        var (resource, ns, name) = Where(report);
        var path = ns is null ? $"/apis/{GroupVersion}/{resource}/{name}" : $"/apis/{GroupVersion}/namespaces/{Uri.EscapeDataString(ns)}/{resource}/{name}";
        var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1" };
        if (resourceVersion is not null)
        {
            // Deletes only what was read: a report rewritten since (by another run) is left alone (409).
            options["preconditions"] = new JsonObject { ["resourceVersion"] = resourceVersion };
        }

        return new ApiRequest(HttpMethod.Delete, path, "DeletePolicyReport", "delete", resource + "." + Group, ns, name) { Body = options.ToJsonString() };
    }

    private static (string Resource, string? Namespace, string Name) Where(JsonObject report)
    {
        var kind = report["kind"]?.GetValue<string>();
        var ns = report["metadata"]?["namespace"]?.GetValue<string>();
        var name = report["metadata"]?["name"]?.GetValue<string>() ?? PolicyReportBuilder.Name;
        return (kind == Api.ClusterKind ? "clusterpolicyreports" : "policyreports", kind == Api.ClusterKind ? null : ns, name);
    }

    private static string Key(JsonObject report)
    {
        var (resource, ns, name) = Where(report);
        return resource + "/" + ns + "/" + name;
    }

    /// <summary>Equal where the module writes: every top-level field it sets, and its label; what the server adds is ignored.</summary>
    private static bool Same(JsonObject wanted, JsonObject found)
    {
        if (found["metadata"]?["labels"]?[PolicyReportBuilder.ManagedByLabel]?.GetValue<string>() != PolicyReportBuilder.ManagedBy)
        {
            return false;
        }

        foreach (var (key, value) in wanted)
        {
            if (key is "metadata" or "apiVersion" or "kind")
            {
                continue;
            }

            // Both read from text, so numbers and strings compare by value whatever built them.
            var left = value is null ? null : JsonNode.Parse(value.ToJsonString());
            var right = found[key] is { } other ? JsonNode.Parse(other.ToJsonString()) : null;
            if (!JsonNode.DeepEquals(left, right))
            {
                return false;
            }
        }

        return true;
    }

    private PolicyReportChange Record(JsonObject wanted, JsonObject? found)
    {
        var (_, ns, name) = Where(wanted);
        var summary = wanted["summary"] as JsonObject;
        return new PolicyReportChange
        {
            Context = api.Context,
            Kind = wanted["kind"]?.GetValue<string>() ?? string.Empty,
            Namespace = ns,
            Name = name,
            Action = "Unchanged",
            Results = (wanted["results"] as JsonArray)?.Count ?? 0,
            Summary = summary is null ? null : string.Join(" ", summary.Where(p => p.Value is not null && p.Value.ToJsonString() != "0").Select(p => p.Key + "=" + p.Value!.ToJsonString())),
            ResourceVersion = found?["metadata"]?["resourceVersion"]?.GetValue<string>(),
        };
    }

    private static string Describe(PolicyReportChange record) =>
        record.Namespace is null ? $"{record.Kind} '{record.Name}'" : $"{record.Kind} '{record.Name}' in namespace '{record.Namespace}'";

    [GeneratedRegex("^hostnetaudit(-[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex OwnName();
}

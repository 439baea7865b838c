using System.Globalization;
using System.Net;
using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Pods;

namespace HostNetAudit.Engine.PodSecurity;

/// <summary>
/// Set-/Restore-NamespacePodSecurity on one cluster. Preview: read the namespaces (GETs for a few, one
/// paged list for many), decide the labels, list what the new enforce level refuses (the module's own
/// checks), and dry-run the same JSON patch (dryRun=All) for the apiserver's warnings. Write: the JSON
/// patch with its tests; a refused precondition is re-read and retried only when the pod-security labels
/// are still as planned, so a concurrent change of those labels is never overwritten.
/// </summary>
internal sealed class PodSecurityRemediation : IPodSecurityRemediation
{
    private const int ProgressId = 5100;
    private const int MaxWriteAttempts = 3;
    private readonly KubeApiClient api;
    private readonly PagedLister lister;
    private readonly IEngineLog log;
    private readonly Func<CancellationToken, Task<string?>> serverVersion;
    private int? serverMinor;

    public PodSecurityRemediation(KubeApiClient api, PagedLister lister, IEngineLog log, Func<CancellationToken, Task<string?>> serverVersion)
    {
        this.api = api;
        this.lister = lister;
        this.log = log;
        this.serverVersion = serverVersion;
    }

    private string Context => api.Context;

    public async Task<IReadOnlyList<string>> ListNamespacesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        var request = new ApiRequest(HttpMethod.Get, "/api/v1/namespaces", "ListNamespaces", "list", "namespaces");
        await foreach (var item in lister.ListAsync(request, 500, null, cancellationToken).ConfigureAwait(false))
        {
            if (item.Get("metadata", "name").AsString() is { } name)
            {
                names.Add(name);
            }
        }

        return names;
    }

    public async Task<IReadOnlyList<PodSecurityPlan>> PlanAsync(IReadOnlyList<PodSecurityRequest> requests, int throttleLimit, CancellationToken cancellationToken)
    {
        var activity = requests.FirstOrDefault()?.Operation == PodSecurityOperation.Restore ? "Restore-NamespacePodSecurity: preview" : "Set-NamespacePodSecurity: preview";
        log.Progress(ProgressId, activity, $"Reading {requests.Count} namespaces in '{Context}'", 0, completed: false);
        var names = requests.Select(r => r.Namespace).Distinct(StringComparer.Ordinal).ToList();
        var states = await ReadNamespacesAsync(names, throttleLimit, cancellationToken).ConfigureAwait(false);
        var maxMinor = await ServerMinorAsync(cancellationToken).ConfigureAwait(false);

        var plans = requests.Select(r => Decide(r, states)).ToList();

        // What the new enforce levels refuse: only where the enforce level or version changes to something
        // stricter than privileged, as the apiserver itself checks.
        var targets = new Dictionary<string, EnforceTarget>(StringComparer.Ordinal);
        foreach (var plan in plans.Where(p => p.Decision == PodSecurityDecision.Apply))
        {
            var handle = (PlanHandle)plan.Handle!;
            if (RemediationRules.NewEnforceTarget(handle.CurrentPsa, handle.DesiredPsa, maxMinor) is { } target)
            {
                targets[plan.Request.Namespace] = target;
            }
        }

        log.Progress(ProgressId, activity, $"Checking pods and templates of {targets.Count} namespaces against their new enforce level", 10, completed: false);
        var inventory = await new ViolationInventory(lister, log, Context).CollectAsync(targets, throttleLimit, cancellationToken).ConfigureAwait(false);

        var toPreview = plans.Where(p => p.Decision == PodSecurityDecision.Apply).ToList();
        var done = 0;
        await Parallel.ForEachAsync(
            toPreview,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, throttleLimit), CancellationToken = cancellationToken },
            async (plan, token) =>
            {
                await PreviewAsync(plan, inventory, token).ConfigureAwait(false);
                var count = Interlocked.Increment(ref done);
                if (count % 25 == 0 || count == toPreview.Count)
                {
                    log.Progress(ProgressId, activity, $"Dry-run {count} of {toPreview.Count} in '{Context}'", 10 + (90 * count / Math.Max(1, toPreview.Count)), completed: false);
                }
            }).ConfigureAwait(false);

        log.Progress(ProgressId, activity, "Done", 100, completed: true);
        return plans;
    }

    public async Task<IReadOnlyList<PodSecurityOutcome>> ApplyAsync(IReadOnlyList<PodSecurityPlan> plans, int throttleLimit, CancellationToken cancellationToken)
    {
        var outcomes = new PodSecurityOutcome[plans.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plans.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, throttleLimit), CancellationToken = cancellationToken },
            async (i, token) => outcomes[i] = await WriteAsync(plans[i], token).ConfigureAwait(false)).ConfigureAwait(false);
        return outcomes;
    }

    private PodSecurityPlan Decide(PodSecurityRequest request, Dictionary<string, NamespaceRead> states)
    {
        var ns = request.Namespace;
        var read = states[ns];
        var record = new PodSecurityChange
        {
            Context = Context,
            Namespace = ns,
            Operation = request.Operation.ToString(),
            Server = api.Server,
        };
        var plan = new PodSecurityPlan(request, record);
        if (read.Error is not null)
        {
            record.Reason = read.Error.Message;
            plan.Decision = PodSecurityDecision.Fail;
            plan.Error = read.Error;
            return plan;
        }

        var state = read.State!;
        var current = PsaLabels.PsaOnly(state.Labels);
        record.LabelsBefore = current;
        record.LabelsAfter = new Dictionary<string, string>(current, StringComparer.Ordinal);
        record.ResourceVersion = state.ResourceVersion;

        if (PodSpecInspector.IsSystemNamespace(ns) && !request.SystemNamespaceNamed)
        {
            record.Reason = "System namespace: name it literally with -Namespace to change it";
            plan.Decision = PodSecurityDecision.Skip;
            plan.Warning = $"Skipped namespace '{ns}' (context '{Context}'): it is a system namespace; name it literally with -Namespace to change it.";
            return plan;
        }

        Dictionary<string, string> desired;
        var kept = new List<string>();
        if (request.Operation == PodSecurityOperation.Set)
        {
            try
            {
                desired = RemediationRules.DesiredForSet(current, request, out kept);
            }
            catch (HostNetAuditException ex)
            {
                record.Reason = ex.Message;
                plan.Decision = PodSecurityDecision.Fail;
                plan.Error = ex;
                return plan;
            }
        }
        else
        {
            desired = PsaLabels.PsaOnly(request.RestoreLabels ?? new Dictionary<string, string>());
            var expected = PsaLabels.PsaOnly(request.ExpectedLabels ?? new Dictionary<string, string>());
            if (!PsaLabels.SameLabels(current, expected) && !PsaLabels.SameLabels(current, desired))
            {
                var message = $"The pod-security labels of namespace '{ns}' (context '{Context}') changed since the record: now {PsaLabels.Summary(current)}, recorded after the change {PsaLabels.Summary(expected)}. Nothing was restored.";
                record.Reason = request.Force ? string.Empty : "The pod-security labels changed since the record; -Force restores anyway.";
                if (!request.Force)
                {
                    plan.Decision = PodSecurityDecision.Skip;
                    plan.Error = new HostNetAuditException("PodSecurityLabelsChanged", FailureCategory.InvalidOperation, ns, message)
                    {
                        RecommendedAction = "Check who changed the labels; pass -Force to restore the recorded labels anyway.",
                    };
                    return plan;
                }

                log.Warning($"Namespace '{ns}' (context '{Context}'): the pod-security labels changed since the record ({PsaLabels.Summary(current)}); restoring anyway (-Force).");
            }
        }

        if (PsaLabels.SameLabels(current, desired))
        {
            if (kept.Count > 0)
            {
                record.Reason = $"Kept {string.Join(", ", kept)} (stricter); -Force lowers it";
                plan.Decision = PodSecurityDecision.Skip;
                plan.Warning = $"Namespace '{ns}' (context '{Context}') was not changed: {string.Join(", ", kept)} is stricter than asked; -Force lowers it.";
            }
            else
            {
                record.Reason = request.Operation == PodSecurityOperation.Set
                    ? $"Already {PsaLabels.Summary(current)}"
                    : $"Already as before the change ({PsaLabels.Summary(current)})";
                plan.Decision = PodSecurityDecision.Unchanged;
            }

            return plan;
        }

        record.LabelsAfter = desired;
        var handle = new PlanHandle(state, current, desired, PsaLabels.Effective(current, PodSecurityMode.Enforce), PsaLabels.Effective(desired, PodSecurityMode.Enforce), kept)
        {
            Patch = LabelPatch.Build(state.HasLabels, current, desired, state.ResourceVersion),
        };
        plan.Handle = handle;
        plan.Decision = PodSecurityDecision.Apply;
        return plan;
    }

    private async Task PreviewAsync(PodSecurityPlan plan, Dictionary<string, NamespaceViolations> inventory, CancellationToken cancellationToken)
    {
        var handle = (PlanHandle)plan.Handle!;
        var ns = plan.Request.Namespace;
        var record = plan.Record;
        if (inventory.TryGetValue(ns, out var found))
        {
            record.WouldBreak = found.Items
                .OrderBy(v => v.Kind == "Pod" ? 1 : 0)
                .ThenBy(v => v.Kind, StringComparer.Ordinal)
                .ThenBy(v => v.Name, StringComparer.Ordinal)
                .ToArray();
            if (found.Errors.Count > 0)
            {
                var first = found.Errors[0];
                if (!plan.Request.Force)
                {
                    plan.Decision = PodSecurityDecision.Fail;
                    plan.Error = new HostNetAuditException(
                        first.ErrorId,
                        first.Category,
                        ns,
                        $"Cannot tell what {handle.NewEnforce} would refuse in namespace '{ns}' (context '{Context}'): {first.Message} Nothing was changed.",
                        first)
                    {
                        RecommendedAction = "Grant list on pods and the workload kinds, or pass -Force to apply without the module's own check.",
                    };
                    record.Reason = "Could not list what the new level would refuse; nothing changed (-Force applies anyway).";
                    return;
                }

                plan.Warning = $"Namespace '{ns}' (context '{Context}'): WouldBreak may be incomplete: {first.Message}";
            }
        }

        try
        {
            var request = new ApiRequest(HttpMethod.Patch, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}?dryRun=All", "PatchNamespace", "patch", "namespaces", null, ns)
            {
                Body = handle.Patch,
                ContentType = LabelPatch.ContentType,
            };
            var response = await api.SendAsync(request, cancellationToken).ConfigureAwait(false);
            record.Warnings = response.Warnings.ToArray();
            record.ApiServerCheckTruncated = RemediationRules.IsApiServerCheckTruncated(response.Warnings);
        }
        catch (KubeApiException ex)
        {
            plan.Decision = PodSecurityDecision.Fail;
            plan.Error = ex;
            record.Reason = "The server-side dry-run failed: " + ex.Message;
            return;
        }

        var changes = RemediationRules.DescribeChanges(handle.CurrentPsa, handle.DesiredPsa);
        var compact = RemediationRules.CompactChanges(handle.CurrentPsa, handle.DesiredPsa);
        var verb = plan.Request.Operation == PodSecurityOperation.Set ? "Set" : "Restore";
        var keptText = handle.Kept.Count > 0 ? $" Kept (stricter): {string.Join(", ", handle.Kept)}." : string.Empty;
        var keptShort = handle.Kept.Count > 0 ? $"; kept {string.Join(", ", handle.Kept)} (stricter)" : string.Empty;
        var breaks = record.WouldBreak;
        if (breaks.Length > 0 && !plan.Request.Force)
        {
            plan.Decision = PodSecurityDecision.Skip;
            record.Reason = $"{RemediationRules.CountPhrase(breaks)} {RemediationRules.Violate(breaks)} {handle.NewEnforce}; -Force applies anyway";
            plan.Error = new HostNetAuditException(
                "ExistingPodsViolatePodSecurity",
                FailureCategory.InvalidOperation,
                ns,
                $"Namespace '{ns}' (context '{Context}') was not changed: enforce {handle.NewEnforce} would refuse {RemediationRules.CountPhrase(breaks)} of {RemediationRules.Workloads(breaks)} (the record's WouldBreak lists each):{RemediationRules.Grouped(breaks)}")
            {
                RecommendedAction = "Fix or move these workloads (or declare a narrowly granted exemption), then run again; -Force applies the level anyway (running pods keep running, new ones are refused).",
            };
            plan.Description = $"{verb} pod-security labels of namespace '{ns}' (context '{Context}'): {changes}.";
            return;
        }

        var breakText = breaks.Length == 0
            ? (handle.NewEnforce != handle.OldEnforce && handle.NewEnforce.Level != PodSecurityLevel.Privileged
                ? $"Nothing running or templated in the namespace violates {handle.NewEnforce}."
                : "The enforce level does not tighten, so nothing running can break.")
            : $"WOULD BREAK {RemediationRules.CountPhrase(breaks)} of {RemediationRules.Workloads(breaks)} (refused from now on):{RemediationRules.Grouped(breaks)}";
        plan.Description = $"{verb} pod-security labels of namespace '{ns}' (context '{Context}'): {changes}. {breakText}{keptText}";
        record.Reason = breaks.Length > 0
            ? $"{compact} with -Force: {RemediationRules.CountPhrase(breaks)} {RemediationRules.Violate(breaks)} it{keptShort}"
            : compact + keptShort;
    }

    private async Task<PodSecurityOutcome> WriteAsync(PodSecurityPlan plan, CancellationToken cancellationToken)
    {
        var record = plan.Record;
        var handle = (PlanHandle)plan.Handle!;
        var ns = plan.Request.Namespace;
        var patch = handle.Patch;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var request = new ApiRequest(HttpMethod.Patch, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}", "PatchNamespace", "patch", "namespaces", null, ns)
                {
                    Body = patch,
                    ContentType = LabelPatch.ContentType,
                };
                using var document = await api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
                var written = NamespaceState.From(document.RootElement);
                record.SetAction(PodSecurityChangeAction.Applied);
                record.LabelsAfter = PsaLabels.PsaOnly(written.Labels);
                record.ResourceVersion = written.ResourceVersion;
                record.Timestamp = DateTimeOffset.UtcNow;
                return new PodSecurityOutcome(record);
            }
            catch (KubeApiException ex) when (ex.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity && attempt < MaxWriteAttempts)
            {
                // A test failed (or the object moved): look again before deciding.
                NamespaceState fresh;
                try
                {
                    fresh = await GetNamespaceAsync(ns, cancellationToken).ConfigureAwait(false);
                }
                catch (KubeApiException readFailure)
                {
                    return Failed(record, readFailure);
                }

                var freshPsa = PsaLabels.PsaOnly(fresh.Labels);
                if (PsaLabels.SameLabels(freshPsa, handle.DesiredPsa))
                {
                    log.Verbose($"{Context}: namespace '{ns}' already has the planned pod-security labels (an earlier attempt was applied).");
                    record.SetAction(PodSecurityChangeAction.Applied);
                    record.LabelsAfter = freshPsa;
                    record.ResourceVersion = fresh.ResourceVersion;
                    record.Timestamp = DateTimeOffset.UtcNow;
                    return new PodSecurityOutcome(record);
                }

                if (fresh.ResourceVersion == handle.State.ResourceVersion)
                {
                    return Failed(record, ex); // nothing moved: the patch itself is refused
                }

                if (!PsaLabels.SameLabels(freshPsa, handle.CurrentPsa))
                {
                    return Failed(record, new HostNetAuditException(
                        "ConcurrentLabelChange",
                        FailureCategory.InvalidOperation,
                        ns,
                        $"The pod-security labels of namespace '{ns}' (context '{Context}') changed while this command ran: previewed {PsaLabels.Summary(handle.CurrentPsa)}, now {PsaLabels.Summary(freshPsa)}. Nothing was overwritten.",
                        ex)
                    {
                        RecommendedAction = "Run the command again to preview against the current labels.",
                    });
                }

                // Only unrelated fields changed (another label, an annotation): same pod-security labels, new resourceVersion.
                log.Verbose($"{Context}: namespace '{ns}' changed elsewhere meanwhile (resourceVersion {handle.State.ResourceVersion} -> {fresh.ResourceVersion}); its pod-security labels did not, so the patch is sent again.");
                patch = LabelPatch.Build(fresh.HasLabels, freshPsa, handle.DesiredPsa, fresh.ResourceVersion);
                handle = handle with { State = fresh };
            }
            catch (HostNetAuditException ex)
            {
                return Failed(record, ex);
            }
        }
    }

    private static PodSecurityOutcome Failed(PodSecurityChange record, HostNetAuditException error)
    {
        record.SetAction(PodSecurityChangeAction.Failed);
        record.LabelsAfter = new Dictionary<string, string>(record.LabelsBefore, StringComparer.Ordinal);
        record.Reason = error.Message;
        record.Timestamp = DateTimeOffset.UtcNow;
        return new PodSecurityOutcome(record, error);
    }

    private async Task<Dictionary<string, NamespaceRead>> ReadNamespacesAsync(List<string> names, int throttleLimit, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, NamespaceRead>(StringComparer.Ordinal);
        if (names.Count > ViolationInventory.ClusterWideThreshold)
        {
            var wanted = names.ToHashSet(StringComparer.Ordinal);
            var request = new ApiRequest(HttpMethod.Get, "/api/v1/namespaces", "ListNamespaces", "list", "namespaces");
            await foreach (var item in lister.ListAsync(request, 500, i => i.Get("metadata", "name").AsString() is { } n && wanted.Contains(n), cancellationToken).ConfigureAwait(false))
            {
                var state = NamespaceState.From(item);
                result[state.Name] = new NamespaceRead(state, null);
            }

            foreach (var name in names.Where(n => !result.ContainsKey(n)))
            {
                result[name] = new NamespaceRead(null, NotFound(name));
            }

            return result;
        }

        var reads = new NamespaceRead[names.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, throttleLimit), CancellationToken = cancellationToken },
            async (i, token) =>
            {
                try
                {
                    reads[i] = new NamespaceRead(await GetNamespaceAsync(names[i], token).ConfigureAwait(false), null);
                }
                catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
                {
                    reads[i] = new NamespaceRead(null, NotFound(names[i], ex));
                }
                catch (KubeApiException ex)
                {
                    reads[i] = new NamespaceRead(null, ex);
                }
            }).ConfigureAwait(false);
        for (var i = 0; i < names.Count; i++)
        {
            result[names[i]] = reads[i];
        }

        return result;
    }

    private HostNetAuditException NotFound(string ns, Exception? inner = null) =>
        new("NamespaceNotFound", FailureCategory.ObjectNotFound, ns, $"The namespace '{ns}' does not exist in context '{Context}'.", inner);

    private async Task<NamespaceState> GetNamespaceAsync(string ns, CancellationToken cancellationToken)
    {
        var request = new ApiRequest(HttpMethod.Get, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}", "GetNamespace", "get", "namespaces", null, ns);
        using var document = await api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
        return NamespaceState.From(document.RootElement);
    }

    private async Task<int> ServerMinorAsync(CancellationToken cancellationToken)
    {
        if (serverMinor is { } known)
        {
            return known;
        }

        var minor = PsaLabels.NewestKnownMinor;
        try
        {
            var version = await serverVersion(cancellationToken).ConfigureAwait(false);
            minor = RemediationRules.ServerMinor(version);
            if (version is not null)
            {
                log.Verbose($"{Context}: the API server is {version}; 'latest' is checked as policy v1.{minor.ToString(CultureInfo.InvariantCulture)}.");
            }
        }
        catch (HostNetAuditException ex)
        {
            log.Verbose($"{Context}: the server version is unknown ({ex.ErrorId}); 'latest' is checked as policy v1.{minor.ToString(CultureInfo.InvariantCulture)}.");
        }

        serverMinor = minor;
        return minor;
    }

    private sealed record NamespaceRead(NamespaceState? State, HostNetAuditException? Error);

    private sealed record PlanHandle(
        NamespaceState State,
        Dictionary<string, string> CurrentPsa,
        Dictionary<string, string> DesiredPsa,
        LevelVersion OldEnforce,
        LevelVersion NewEnforce,
        List<string> Kept)
    {
        public string Patch { get; init; } = "[]";
    }
}

/// <summary>What the remediation needs of a namespace object.</summary>
internal sealed record NamespaceState(string Name, Dictionary<string, string> Labels, bool HasLabels, string? ResourceVersion)
{
    public static NamespaceState From(JsonElement ns)
    {
        var metadata = ns.Get("metadata");
        var labels = metadata.Get("labels");
        return new NamespaceState(
            metadata.Get("name").AsString() ?? string.Empty,
            labels.AsStringMap(),
            labels.ValueKind == JsonValueKind.Object,
            metadata.Get("resourceVersion").AsString());
    }
}

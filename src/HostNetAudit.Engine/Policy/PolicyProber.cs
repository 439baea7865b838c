using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Exemptions;

namespace HostNetAudit.Engine.Policy;

/// <summary>
/// The live probe: server-side dry-run creates (dryRun=All, nothing is persisted) of the reference pod and its
/// control twin in each namespace, with bounded parallelism. Reference denied, twin admitted and the denial
/// naming hostNetwork or host namespaces = Verified (the message names the mechanism); reference admitted =
/// Admitted (not compliant, whatever the static view said); anything else (twin denied, a webhook refusing
/// dry-run, create forbidden) = Unknown. The result says which identity probed.
/// </summary>
internal sealed partial class PolicyProber
{
    private readonly KubeApiClient api;
    private readonly IEngineLog log;
    private readonly string identityHint;

    public PolicyProber(KubeApiClient api, IEngineLog log, string identityHint)
    {
        this.api = api;
        this.log = log;
        this.identityHint = identityHint;
    }

    public async Task ProbeAsync(IReadOnlyList<NamespaceFindings> results, ExemptionSet exemptions, int parallelism, CancellationToken cancellationToken)
    {
        var (identity, source) = await IdentityAsync(cancellationToken).ConfigureAwait(false);
        log.Verbose($"{api.Context}: probing {results.Count} namespace(s) as {identity} ({source}), {parallelism} at a time.");
        using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
        var done = 0;
        var forbiddenWarned = 0;
        var tasks = results.Select(async result =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var ns = result.Namespace.Name;
                var reference = await CreateAsync(ns, ReferencePod.ToJson(ns, hostNetwork: true), cancellationToken).ConfigureAwait(false);
                var twin = await CreateAsync(ns, ReferencePod.ToJson(ns, hostNetwork: false), cancellationToken).ConfigureAwait(false);
                var spoof = SpoofedPod(result);
                var spoofed = spoof is null ? null : await CreateAsync(ns, spoof.Value.Body, cancellationToken).ConfigureAwait(false);
                var (outcome, probe) = Classify(reference, twin, spoof?.Owner, spoofed);
                probe.Identity = identity;
                probe.IdentitySource = source;
                if ((reference.Forbidden || twin.Forbidden) && Interlocked.Exchange(ref forbiddenWarned, 1) == 0)
                {
                    log.Warning($"Context '{api.Context}': the probe may not create pods (RBAC must allow 'create' on 'pods'; dryRun=All persists nothing); those namespaces keep their static verdict.");
                }

                Apply(result, outcome, probe, exemptions.ForNamespace(result.Context, result.Namespace.Name));
                var n = Interlocked.Increment(ref done);
                log.Progress(2, "Test-NamespacePolicy -Probe", $"{n} of {results.Count} namespaces probed", n * 100 / Math.Max(1, results.Count), completed: false);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks).ConfigureAwait(false);
        log.Progress(2, "Test-NamespacePolicy -Probe", "Done", 100, completed: true);
    }

    /// <summary>Merges the probe into a result: an admitted reference pod makes it NonCompliant, a verified refusal Compliant.</summary>
    public static void Apply(NamespaceFindings result, ProbeOutcome outcome, PolicyProbeResult probe, Exemption? exemption)
    {
        result.Probe = probe;
        result.ProbeOutcome = outcome;
        var staticStatus = result.Status;
        switch (outcome)
        {
            case ProbeOutcome.Admitted:
                probe.AgreesWithStatic = staticStatus != NamespaceStatus.Compliant;
                if (staticStatus is NamespaceStatus.Exempt)
                {
                    break;
                }

                result.Status = NamespaceStatus.NonCompliant;
                result.Reason = NamespacePolicyEvaluator.Reason(result, exemption);
                break;
            case ProbeOutcome.Verified:
                probe.AgreesWithStatic = staticStatus is NamespaceStatus.Compliant or NamespaceStatus.Conditional;
                if (staticStatus is NamespaceStatus.Compliant or NamespaceStatus.Conditional)
                {
                    break;
                }

                result.EnforcedBy.Add(new Finding
                {
                    Engine = PolicyEngine.Probe,
                    Kind = "DryRunCreate",
                    Policy = probe.Mechanism ?? "(unnamed)",
                    Action = "Enforce",
                    Effect = AdmissionEffect.Denies,
                    Verdict = Verdict.Refuses,
                    JudgedBy = JudgedBy.Probe,
                    Detail = $"the server refused the reference pod's dry-run create as {probe.Identity} and admitted its twin: {Shorten(probe.ReferenceMessage)}",
                });
                result.Status = NamespaceStatus.Compliant;
                result.Reason = NamespacePolicyEvaluator.Reason(result, exemption);
                break;
        }

        if (!probe.AgreesWithStatic)
        {
            result.Reason += $" The static evaluation said {staticStatus}; the probe overrules it.";
        }
    }

    /// <summary>
    /// What the answers show, and the probe record that says it. Where the namespace holds exceptions of the module's
    /// targeted policy, a spoofed pod (claiming an excepted workload, created by the prober) must be refused too: an
    /// admitted one means the exception is open to anyone who can create pods there.
    /// </summary>
    public static (ProbeOutcome Outcome, PolicyProbeResult Probe) Classify(Answer reference, Answer twin, string? spoofOwner = null, Answer? spoofed = null)
    {
        var probe = Record(reference, twin, out var outcome);
        if (spoofOwner is not null && spoofed is not null)
        {
            probe.SpoofedOwner = spoofOwner;
            probe.SpoofedStatusCode = spoofed.Status;
            probe.SpoofedMessage = spoofed.Message;
            if (spoofed.Admitted && outcome != ProbeOutcome.Admitted)
            {
                outcome = ProbeOutcome.Admitted;
                probe.Detail = $"a hostNetwork pod claiming to belong to the excepted {spoofOwner} (its controller ownerReference and service account), created by the prober instead of its controller, was admitted by a server-side dry-run create: the exception is open to whoever can create pods here";
            }
            else if (outcome == ProbeOutcome.Verified)
            {
                probe.Detail += $"; a pod claiming to belong to the excepted {spoofOwner}, created by the prober, was refused too ({spoofed.Status})";
            }
        }

        probe.Outcome = outcome.ToString();
        return (outcome, probe);
    }

    /// <summary>
    /// The reference pod dressed as a pod of the first workload the module's verified targeted policy excepts here:
    /// a controller ownerReference to it (for a Deployment, a ReplicaSet named as its controller names them; for a
    /// CronJob, a Job) and its service account. Null where no such exception applies (bare-pod exceptions admit
    /// their named pod for their requesters, so they prove nothing; mirror pods are the node's).
    /// </summary>
    internal static (string Owner, string Body)? SpoofedPod(NamespaceFindings result)
    {
        var exception = result.OwnPolicyExceptions.Values.SelectMany(e => e)
            .FirstOrDefault(e => e.Shape == Targeted.ExceptionShape.Workload && e.Kind is "DaemonSet" or "StatefulSet" or "ReplicationController" or "Deployment" or "Job" or "CronJob");
        if (exception is null)
        {
            return null;
        }

        var (apiVersion, kind, name) = exception.Kind switch
        {
            "Deployment" => ("apps/v1", "ReplicaSet", exception.Name + "-5d8f7c9b6"),
            "CronJob" => ("batch/v1", "Job", exception.Name + "-29000000"),
            "Job" => ("batch/v1", "Job", exception.Name),
            "ReplicationController" => ("v1", "ReplicationController", exception.Name),
            _ => ("apps/v1", exception.Kind, exception.Name),
        };
        var pod = ReferencePod.Build(result.Namespace.Name, hostNetwork: true);
        ((System.Text.Json.Nodes.JsonObject)pod["metadata"]!)["ownerReferences"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
            ["name"] = name,
            ["uid"] = "00000000-0000-4000-8000-000000000000",
            ["controller"] = true,
        });
        pod["spec"]!["serviceAccountName"] = exception.ServiceAccounts.FirstOrDefault() ?? "default";
        return ($"{exception.Kind}/{exception.Name}", pod.ToJsonString());
    }

    private static PolicyProbeResult Record(Answer reference, Answer twin, out ProbeOutcome outcome)
    {
        var probe = new PolicyProbeResult
        {
            ReferenceStatusCode = reference.Status,
            ReferenceMessage = reference.Message,
            TwinStatusCode = twin.Status,
            TwinMessage = twin.Message,
        };
        if (reference.Admitted)
        {
            outcome = ProbeOutcome.Admitted;
            probe.Detail = "the reference pod (hostNetwork: true) was admitted by a server-side dry-run create";
            return probe;
        }

        if (!twin.Admitted)
        {
            outcome = ProbeOutcome.Unknown;
            probe.Detail = twin.Status == 0
                ? "the twin's dry-run create did not get an answer: " + twin.Message
                : $"the twin (no hostNetwork) was refused too ({twin.Status}): {Shorten(twin.Message)}";
            return probe;
        }

        if (reference.Status == 0)
        {
            outcome = ProbeOutcome.Unknown;
            probe.Detail = "the reference pod's dry-run create did not get an answer: " + reference.Message;
            return probe;
        }

        var message = reference.Message ?? string.Empty;
        probe.Mechanism = Mechanism(message);
        if (NamesHostNetwork().IsMatch(message))
        {
            outcome = ProbeOutcome.Verified;
            probe.Detail = "the reference pod was refused, its twin admitted, and the denial names hostNetwork";
        }
        else
        {
            outcome = ProbeOutcome.Unknown;
            probe.Detail = "the reference pod was refused and its twin admitted, but the denial does not name hostNetwork";
        }

        return probe;
    }

    /// <summary>The mechanism a denial message names.</summary>
    public static string? Mechanism(string message)
    {
        var psa = PsaDenial().Match(message);
        if (psa.Success)
        {
            return "PodSecurity " + psa.Groups[1].Value;
        }

        var vap = VapDenial().Match(message);
        if (vap.Success)
        {
            return $"ValidatingAdmissionPolicy {vap.Groups[1].Value} (binding {vap.Groups[2].Value})";
        }

        var webhook = WebhookDenial().Match(message);
        if (webhook.Success)
        {
            var name = webhook.Groups[1].Value;
            var rest = message[(webhook.Index + webhook.Length)..];
            var policy = GatekeeperConstraint().Match(rest) is { Success: true } g ? g.Groups[1].Value
                : KyvernoPolicy().Match(rest) is { Success: true } k ? k.Groups[1].Value
                : VpolPolicy().Match(rest) is { Success: true } v ? v.Groups[1].Value
                : null;
            return policy is null ? $"webhook {name}" : $"webhook {name}: {policy}";
        }

        return null;
    }

    private async Task<(string Identity, string Source)> IdentityAsync(CancellationToken cancellationToken)
    {
        foreach (var version in new[] { "v1", "v1beta1" })
        {
            var request = new ApiRequest(HttpMethod.Post, $"/apis/authentication.k8s.io/{version}/selfsubjectreviews", "CreateSelfSubjectReview", "create", "selfsubjectreviews")
            {
                Body = JsonSerializer.Serialize(new { apiVersion = "authentication.k8s.io/" + version, kind = "SelfSubjectReview" }),
            };
            try
            {
                using var document = await api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
                var user = document.RootElement.Get("status", "userInfo");
                var name = user.Get("username").AsString();
                if (name is not null)
                {
                    var groups = user.Get("groups").Items().Select(g => g.AsString()).Where(g => g is not null).ToList();
                    return (groups.Count == 0 ? name : $"{name} (groups {string.Join(", ", groups)})", "SelfSubjectReview");
                }
            }
            catch (KubeApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.MethodNotAllowed)
            {
                log.Debug($"SelfSubjectReview {version}: {ex.Message}");
            }
        }

        return (identityHint, "KubeConfig");
    }

    private async Task<Answer> CreateAsync(string ns, string body, CancellationToken cancellationToken)
    {
        var request = new ApiRequest(HttpMethod.Post, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods", "CreatePod", "create", "pods", ns)
        {
            Body = body,
        }.WithQuery("dryRun", "All");
        try
        {
            var response = await api.SendAsync(request, cancellationToken).ConfigureAwait(false);
            return new Answer((int)response.StatusCode, null, false);
        }
        catch (KubeApiException ex) when (ex.StatusCode is not null)
        {
            var forbidden = ex.StatusCode == HttpStatusCode.Forbidden && RbacDenial().IsMatch(ex.StatusMessage ?? string.Empty);
            return new Answer((int)ex.StatusCode, ex.StatusMessage ?? ex.Message, forbidden);
        }
        catch (KubeApiException ex)
        {
            return new Answer(0, ex.Message, false);
        }
    }

    private static string Shorten(string? text)
    {
        var t = (text ?? string.Empty).Replace('\n', ' ').Trim();
        while (t.Contains("  ", StringComparison.Ordinal))
        {
            t = t.Replace("  ", " ", StringComparison.Ordinal);
        }

        return t.Length > 240 ? t[..237] + "..." : t;
    }

    /// <summary>A dry-run create's answer: the HTTP status (0 when none), the denial message.</summary>
    internal sealed record Answer(int Status, string? Message, bool Forbidden)
    {
        public bool Admitted => Status is >= 200 and < 300;
    }

    [GeneratedRegex(@"hostNetwork|host ?network|host namespace", RegexOptions.IgnoreCase)]
    private static partial Regex NamesHostNetwork();

    [GeneratedRegex(@"violates PodSecurity ""([^""]+)""")]
    private static partial Regex PsaDenial();

    [GeneratedRegex(@"ValidatingAdmissionPolicy '([^']+)' with binding '([^']+)'")]
    private static partial Regex VapDenial();

    [GeneratedRegex(@"admission webhook ""([^""]+)"" denied the request")]
    private static partial Regex WebhookDenial();

    [GeneratedRegex(@"^:\s*\[([^\]]+)\]")]
    private static partial Regex GatekeeperConstraint();

    [GeneratedRegex(@"blocked due to the following policies\s*\n*\s*([A-Za-z0-9.\-/]+):")]
    private static partial Regex KyvernoPolicy();

    [GeneratedRegex(@"^:\s*Policy ([A-Za-z0-9.\-]+) failed")]
    private static partial Regex VpolPolicy();

    [GeneratedRegex(@"cannot create resource ""pods""")]
    private static partial Regex RbacDenial();
}

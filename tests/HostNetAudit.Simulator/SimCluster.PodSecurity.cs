using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Store;

namespace HostNetAudit.Simulator;

/// <summary>
/// Admission of writes: the PodSecurity plugin (pods, pod controllers, namespaces) as the apiserver applies
/// it, then, for pods, what the scenario declares for other engines.
/// </summary>
public sealed partial class SimCluster
{
    /// <summary>Whether the PodSecurity plugin runs: the option, else on from Kubernetes v1.23.</summary>
    public bool PodSecurityEnabled => Options.PodSecurityAdmission ?? MinorVersion >= 23;

    /// <summary>The checks of the emulated apiserver version.</summary>
    public PodSecurityEvaluator PodSecurityEvaluator => PodSecurityEvaluator.For(MinorVersion);

    /// <summary>The namespace's PSA policy from its labels and the configured defaults, with label errors.</summary>
    public (PodSecurityPolicy Policy, IReadOnlyList<PodSecurityLabelError> Errors) PodSecurityPolicyOf(string ns)
    {
        var stored = Store.Get(NamespaceDefinition, null, ns);
        var labels = stored is null ? new Dictionary<string, string>(StringComparer.Ordinal) : LabelSelector.LabelsOf(stored.Node);
        return PodSecurity.PolicyToEvaluate(labels, Options.PodSecurity.DefaultPolicy);
    }

    private ResourceDefinition NamespaceDefinition => Store.Definitions.First(d => d.Kind == "Namespace" && d.Group.Length == 0);

    private ResourceDefinition PodDefinition => Store.Definitions.First(d => d.Kind == "Pod" && d.Group.Length == 0);

    /// <summary>
    /// PSA on other writes: namespace create and update (invalid labels refused; a tightened enforce level
    /// warns about existing pods), significant pod updates (enforced) and pod controllers (warn only).
    /// Returns the Status of a refusal, or null.
    /// </summary>
    private JsonObject? PodSecurityAdmission(RequestRecord record, ResourceDefinition definition, string? ns, JsonObject? old, JsonObject obj, List<string> warnings)
    {
        if (!PodSecurityEnabled || (definition.Group.Length > 0 && !PodSecurity.HasPodTemplate(definition.Kind)))
        {
            return null;
        }

        if (definition.Kind == "Namespace" && definition.Group.Length == 0)
        {
            return PodSecurityNamespaceAdmission(record, old, obj, warnings);
        }

        if (ns is null)
        {
            return null;
        }

        if (definition.Kind == "Pod" && definition.Group.Length == 0)
        {
            if (old is null || !PodSecurity.IsSignificantPodUpdate(obj, old))
            {
                return null;
            }

            var name = Json.String(Json.Path(obj, "metadata", "name")) ?? string.Empty;
            return PodSecurityPod(ns, name, obj, record.User, enforce: true, warnings) is { } message
                ? Status.Failure(403, "Forbidden", message, Status.Details(name, string.Empty, "pods"))
                : null;
        }

        if (PodSecurity.HasPodTemplate(definition.Kind) && PodSecurity.PodTemplate(definition.Kind, obj) is { } template)
        {
            if (MinorVersion < 28)
            {
                // Before 1.28 templates were defaulted like pods (DefaultHostNetworkHostPortsInPodTemplates).
                DefaultHostNetworkPorts(template.Spec);
            }

            PodSecurityEvaluate(ns, template.Metadata, template.Spec, record.User, enforce: false, null, warnings);
        }

        return null;
    }

    /// <summary>Evaluates a pod; returns the denial message when enforce refuses it.</summary>
    private string? PodSecurityPod(string ns, string name, JsonObject pod, string? user, bool enforce, List<string> warnings) =>
        PodSecurityEvaluate(ns, pod["metadata"] as JsonObject, pod["spec"] as JsonObject ?? new JsonObject(), user, enforce, name, warnings);

    private string? PodSecurityEvaluate(string ns, JsonObject? metadata, JsonObject spec, string? user, bool enforce, string? name, List<string> warnings)
    {
        var configuration = Options.PodSecurity;
        if (configuration.IsExemptNamespace(ns) || configuration.IsExemptUser(user))
        {
            return null;
        }

        var (policy, errors) = PodSecurityPolicyOf(ns);
        var warnAndAuditPrivileged = policy.Warn.Level == PodSecurity.LevelPrivileged && policy.Audit.Level == PodSecurity.LevelPrivileged;
        if (errors.Count == 0 && (enforce ? policy.FullyPrivileged : warnAndAuditPrivileged))
        {
            return null;
        }

        if (configuration.IsExemptRuntimeClass(Json.String(spec["runtimeClassName"])))
        {
            return null;
        }

        var evaluator = PodSecurityEvaluator;
        var parsedMetadata = metadata is null ? default : JsonSerializer.SerializeToElement(metadata);
        var parsedSpec = JsonSerializer.SerializeToElement(spec);
        if (enforce)
        {
            var result = evaluator.Evaluate(policy.Enforce, parsedMetadata, parsedSpec);
            if (!result.Allowed)
            {
                // A request that will be refused gets no warn-mode warning.
                return PodSecurity.ForbiddenMessage("pods", name ?? string.Empty, policy.Enforce, result);
            }
        }

        var warn = evaluator.Evaluate(policy.Warn, parsedMetadata, parsedSpec);
        if (!warn.Allowed)
        {
            warnings.Add(PodSecurity.WarningMessage(policy.Warn, warn));
        }

        return null;
    }

    /// <summary>Namespace create and update, as the PodSecurity plugin validates them.</summary>
    private JsonObject? PodSecurityNamespaceAdmission(RequestRecord record, JsonObject? before, JsonObject after, List<string> warnings)
    {
        var name = Json.String(Json.Path(after, "metadata", "name")) ?? string.Empty;
        var defaults = Options.PodSecurity.DefaultPolicy;
        var (policy, errors) = PodSecurity.PolicyToEvaluate(LabelSelector.LabelsOf(after), defaults);
        if (before is null)
        {
            return errors.Count > 0 ? PodSecurity.InvalidLabelsStatus(name, errors) : null;
        }

        var (oldPolicy, oldErrors) = PodSecurity.PolicyToEvaluate(LabelSelector.LabelsOf(before), defaults);
        if (errors.Count > 0 && (oldErrors.Count == 0 || !errors.SequenceEqual(oldErrors)))
        {
            return PodSecurity.InvalidLabelsStatus(name, errors);
        }

        if (!PodSecurity.EnforceTightened(oldPolicy.Enforce, policy.Enforce) || Options.PodSecurity.IsExemptNamespace(name))
        {
            return null;
        }

        var pods = Store.InNamespace(PodDefinition, name).Select(p => JsonSerializer.Deserialize<JsonElement>(p.Bytes));
        var budget = PodSecurity.Budget(TimeSpan.FromMilliseconds(Math.Max(0, Options.ExistingPodCheckTimeoutMilliseconds)), QueryValue(record.Query, "timeout"));
        TimeSpan? cost = Options.ExistingPodCheckCostMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
        var check = PodSecurity.EvaluatePodsInNamespace(PodSecurityEvaluator, name, policy.Enforce, pods, Options.PodSecurity, Options.ExistingPodCheckLimit, budget, cost);
        warnings.AddRange(check.Warnings);
        return null;
    }

    /// <summary>
    /// POST /_sim/options: "podSecurity" (a PodSecurityConfiguration, or an AdmissionConfiguration with the
    /// PodSecurity plugin; replaces the whole configuration), "podSecurityAdmission" (true, false or null),
    /// "existingPodCheckTimeoutMilliseconds", "existingPodCheckCostMilliseconds" (null for real time).
    /// Everything is validated before anything changes.
    /// </summary>
    private void UpdatePodSecurityOptions(JsonObject update)
    {
        var configuration = update.ContainsKey("podSecurity") ? PodSecurityConfiguration.FromJson(update["podSecurity"]) : Options.PodSecurity;
        var timeout = update["existingPodCheckTimeoutMilliseconds"]?.GetValue<int>() ?? Options.ExistingPodCheckTimeoutMilliseconds;
        if (timeout < 0)
        {
            throw new ArgumentException("existingPodCheckTimeoutMilliseconds must not be negative");
        }

        var cost = update.ContainsKey("existingPodCheckCostMilliseconds") ? update["existingPodCheckCostMilliseconds"]?.GetValue<double>() : Options.ExistingPodCheckCostMilliseconds;
        if (cost < 0)
        {
            throw new ArgumentException("existingPodCheckCostMilliseconds must not be negative");
        }

        Options.PodSecurity = configuration;
        Options.ExistingPodCheckTimeoutMilliseconds = timeout;
        Options.ExistingPodCheckCostMilliseconds = cost;
        if (update.ContainsKey("podSecurityAdmission"))
        {
            Options.PodSecurityAdmission = update["podSecurityAdmission"]?.GetValue<bool>();
        }
    }

    /// <summary>
    /// The apiserver's pod defaulting that PSA's hostPort check sees: with hostNetwork, a container port
    /// without hostPort gets hostPort = containerPort (containers and init containers).
    /// </summary>
    private static void DefaultHostNetworkPorts(JsonObject? spec)
    {
        if (spec is null || !Json.True(spec["hostNetwork"]))
        {
            return;
        }

        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var port in (spec[list] as JsonArray ?? new JsonArray()).OfType<JsonObject>().SelectMany(c => (c["ports"] as JsonArray ?? new JsonArray()).OfType<JsonObject>()))
            {
                if ((Json.Long(port["hostPort"]) ?? 0) == 0 && Json.Long(port["containerPort"]) is { } containerPort)
                {
                    port["hostPort"] = containerPort;
                }
            }
        }
    }

    private static string? QueryValue(string query, string key)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            if (name == key)
            {
                return equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return null;
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Auth;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Store;
using Microsoft.AspNetCore.Http;

namespace HostNetAudit.Simulator;

/// <summary>
/// Writes as the apiserver handles them: create, update, patch (JSON, merge, server-side apply), delete; dry-run,
/// preconditions, defaulting, validation, managedFields, generation, admission (Pod Security, then
/// ValidatingAdmissionPolicies, then what the scenario declares for webhooks), and the controllers a write wakes
/// (ClusterRole aggregation, the policy status controller, CRD registration).
/// </summary>
public sealed partial class SimCluster
{
    private const string ModifiedMessage = "the object has been modified; please apply your changes to the latest version and try again";
    private readonly object writeGate = new();

    /// <summary>One write request and who sends it.</summary>
    private sealed record WriteRequest(HttpContext Context, RequestRecord Record, ResourceDefinition Definition, Route Route, UserInfo User)
    {
        public string? Query(string key) => Context.Request.Query.TryGetValue(key, out var value) && value.Count > 0 ? value.ToString() : null;

        /// <summary>The fieldManager parameter, else what the apiserver derives from the User-Agent (its part before "/").</summary>
        public string Manager => Query("fieldManager") is { Length: > 0 } manager ? manager : UserAgentManager(Record.UserAgent);

        private static string UserAgentManager(string? userAgent)
        {
            var prefix = (userAgent ?? string.Empty).Split('/')[0].Trim();
            return prefix.Length == 0 ? "unknown" : prefix;
        }
    }

    private SimResponse Create(WriteRequest w)
    {
        var definition = w.Definition;
        if (definition.Kind == "SelfSubjectReview")
        {
            return SelfSubjectReview(w.User);
        }

        JsonObject obj;
        try
        {
            obj = Yaml.ParseObject(w.Record.Body ?? string.Empty);
        }
        catch (FormatException ex)
        {
            return SimResponse.Json(400, Status.BadRequest("error decoding body: " + ex.Message));
        }

        if (definition.Group == "authorization.k8s.io")
        {
            return AccessReview(definition, w.Route, w.User, obj);
        }

        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        if (definition.Namespaced)
        {
            metadata["namespace"] = w.Route.Namespace ?? metadata["namespace"]?.GetValue<string>() ?? "default";
        }

        if (metadata["name"] is null && metadata["generateName"]?.GetValue<string>() is { } generate)
        {
            metadata["name"] = generate + Guid.NewGuid().ToString("N")[..5];
        }

        var name = metadata["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            return SimResponse.Json(422, Status.Invalid(definition.Kind, string.Empty, "metadata.name: Required value: name or generateName is required", definition.Group));
        }

        var entries = ManagedFields.Entries(obj);
        ManagedFields.RecordUpdate(entries, null, obj, w.Manager, definition.GroupVersion, null, definition.ServerStatus);
        ManagedFields.SetEntries(obj, entries);
        return CommitCreate(w, obj);
    }

    /// <summary>Stores a new object (POST, or a server-side apply of a missing one) after validation and admission.</summary>
    private SimResponse CommitCreate(WriteRequest w, JsonObject obj)
    {
        var definition = w.Definition;
        var metadata = (JsonObject)obj["metadata"]!;
        var name = metadata["name"]!.GetValue<string>();
        var ns = definition.Namespaced ? metadata["namespace"]!.GetValue<string>() : null;
        if (ns is not null && Store.Get(NamespaceDefinition, null, ns) is null)
        {
            return SimResponse.Json(404, Status.NotFound("namespaces", string.Empty, ns));
        }

        obj["apiVersion"] = definition.GroupVersion;
        obj["kind"] = definition.Kind;
        if (definition.ServerStatus)
        {
            obj.Remove("status");
        }

        if (definition.TracksGeneration)
        {
            metadata["generation"] = 1;
        }

        if (Prepare(definition, null, obj) is { } invalid)
        {
            return SimResponse.Json(422, invalid);
        }

        var warnings = new List<string>();
        var isPod = definition.Kind == "Pod" && definition.Group.Length == 0;
        if (isPod)
        {
            // Defaulting precedes admission: PSA (and policies) see, and the server stores, the hostPorts it fills in.
            DefaultHostNetworkPorts(obj["spec"] as JsonObject);
            if (PodSecurityEnabled && PodSecurityPod(ns!, name, obj, w.Record.User, enforce: true, warnings) is { } denial)
            {
                return Refused(Status.Failure(403, "Forbidden", denial, Status.Details(name, string.Empty, "pods")), warnings);
            }
        }
        else if (PodSecurityAdmission(w.Record, definition, ns, null, obj, warnings) is { } refusal)
        {
            return Refused(refusal, warnings);
        }

        if (PolicyAdmission(w, "CREATE", name, null, obj, warnings) is { } policyRefusal)
        {
            return Refused(policyRefusal, warnings);
        }

        if (isPod)
        {
            foreach (var declaration in Admission)
            {
                if (declaration.Decide(ns!, obj, w.Record.DryRun) is { } decision)
                {
                    return Refused(Status.Failure(decision.Code, decision.Reason, decision.Message, Status.Details(name, string.Empty, "pods")), warnings);
                }
            }
        }

        lock (writeGate)
        {
            if (Store.Get(definition, ns, name) is not null)
            {
                return Refused(Status.Failure(409, "AlreadyExists", $"{Status.Qualified(definition.Resource, definition.Group)} \"{name}\" already exists", Status.Details(name, definition.Group, definition.Resource)), warnings);
            }

            JsonObject result;
            if (w.Record.DryRun)
            {
                metadata["uid"] ??= Guid.NewGuid().ToString();
                metadata["creationTimestamp"] ??= DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                result = obj;
            }
            else
            {
                metadata.Remove("resourceVersion");
                result = Store.Put(definition, obj).Node;
                AfterWrite(definition, null, result);
            }

            var response = SimResponse.Json(201, result);
            response.Warnings.AddRange(WarningRecorder.Record(warnings));
            return response;
        }
    }

    private SimResponse Update(WriteRequest w)
    {
        JsonObject body;
        try
        {
            body = Yaml.ParseObject(w.Record.Body ?? string.Empty);
        }
        catch (FormatException ex)
        {
            return SimResponse.Json(400, Status.BadRequest("error decoding body: " + ex.Message));
        }

        var bodyName = body["metadata"]?["name"]?.ToString();
        if (bodyName is not null && bodyName != w.Route.Name)
        {
            return SimResponse.Json(400, Status.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({w.Route.Name})"));
        }

        lock (writeGate)
        {
            var current = Store.Get(w.Definition, w.Route.Namespace, w.Route.Name!);
            if (current is null)
            {
                return SimResponse.Json(404, Status.NotFound(w.Definition.Resource, w.Definition.Group, w.Route.Name!));
            }

            var old = current.Node;
            if (body["metadata"]?["resourceVersion"]?.ToString() is { Length: > 0 } version && version != old["metadata"]?["resourceVersion"]?.ToString())
            {
                return SimResponse.Json(409, Status.Conflict(w.Definition.Resource, w.Definition.Group, w.Route.Name!, ModifiedMessage));
            }

            if (body["metadata"] is JsonObject bodyMetadata && bodyMetadata["managedFields"] is null && old["metadata"]?["managedFields"] is { } managed)
            {
                bodyMetadata["managedFields"] = managed.DeepClone();
            }

            return CommitUpdate(w, old, Subresource(w.Route.Subresource, old, body), null);
        }
    }

    private SimResponse Patch(WriteRequest w)
    {
        var contentType = (w.Context.Request.ContentType ?? string.Empty).Split(';')[0].Trim();
        if (contentType == "application/apply-patch+yaml")
        {
            return Apply(w);
        }

        if (w.Query("force") is not null)
        {
            return SimResponse.Json(422, Status.Invalid("PatchOptions", string.Empty, "force: Forbidden: may not be specified for non-apply patch", "meta.k8s.io"));
        }

        lock (writeGate)
        {
            var current = Store.Get(w.Definition, w.Route.Namespace, w.Route.Name!);
            if (current is null)
            {
                return SimResponse.Json(404, Status.NotFound(w.Definition.Resource, w.Definition.Group, w.Route.Name!));
            }

            var old = current.Node;
            JsonObject patched;
            try
            {
                var body = JsonNode.Parse(w.Record.Body ?? string.Empty);
                switch (contentType)
                {
                    case "application/json-patch+json":
                        patched = Patches.ApplyJsonPatch(old, body as JsonArray ?? throw new PatchException("json patch must be an array"));
                        break;
                    case "application/merge-patch+json":
                    case "application/strategic-merge-patch+json":
                        var patch = body as JsonObject ?? throw new PatchException("merge patch must be an object");
                        var precondition = patch["metadata"]?["resourceVersion"]?.GetValue<string>();
                        if (precondition is not null && precondition != old["metadata"]?["resourceVersion"]?.GetValue<string>())
                        {
                            return SimResponse.Json(409, Status.Conflict(w.Definition.Resource, w.Definition.Group, w.Route.Name!, ModifiedMessage));
                        }

                        patched = Patches.ApplyMerge(old, patch);
                        break;
                    default:
                        return SimResponse.Json(415, Status.Failure(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"));
                }
            }
            catch (PatchException ex)
            {
                var status = Status.Failure(422, "Invalid", "the server rejected our request due to an error in our request", new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = ex.Message }) });
                return SimResponse.Json(422, status);
            }
            catch (JsonException ex)
            {
                return SimResponse.Json(400, Status.BadRequest("error decoding patch: " + ex.Message));
            }

            return CommitUpdate(w, old, Subresource(w.Route.Subresource, old, patched), null);
        }
    }

    /// <summary>Server-side apply: creates a missing object, else merges the configuration with field ownership.</summary>
    private SimResponse Apply(WriteRequest w)
    {
        var definition = w.Definition;
        var manager = w.Query("fieldManager");
        if (string.IsNullOrEmpty(manager))
        {
            return SimResponse.Json(422, Status.Invalid("PatchOptions", string.Empty, "fieldManager: Required value: is required for apply patch", "meta.k8s.io"));
        }

        var forceText = w.Query("force");
        if (forceText is not null && forceText is not ("true" or "false"))
        {
            return SimResponse.Json(400, Status.BadRequest($"force: invalid value \"{forceText}\""));
        }

        JsonObject config;
        try
        {
            config = Yaml.ParseObject(w.Record.Body ?? string.Empty);
        }
        catch (FormatException ex)
        {
            return SimResponse.Json(400, Status.BadRequest("error decoding YAML: " + ex.Message));
        }

        if (config["kind"]?.ToString() != definition.Kind || config["apiVersion"]?.ToString() is not { } configVersion || !SameGroup(configVersion, definition.Group))
        {
            return SimResponse.Json(400, Status.BadRequest($"the apiVersion and kind of the applied object ({config["apiVersion"]}, {config["kind"]}) do not match the resource {Status.Qualified(definition.Resource, definition.Group)}"));
        }

        var metadata = config["metadata"] as JsonObject ?? new JsonObject();
        config["metadata"] = metadata;
        if (metadata["name"]?.ToString() is { } configName && configName != w.Route.Name)
        {
            return SimResponse.Json(400, Status.BadRequest($"the name of the object ({configName}) does not match the name on the URL ({w.Route.Name})"));
        }

        if (metadata["managedFields"] is JsonArray { Count: > 0 })
        {
            return SimResponse.Json(400, Status.BadRequest("metadata.managedFields must be nil"));
        }

        metadata.Remove("managedFields");
        if (definition.ServerStatus && w.Route.Subresource is null)
        {
            config.Remove("status");
        }

        var force = forceText == "true";
        lock (writeGate)
        {
            var current = Store.Get(definition, w.Route.Namespace, w.Route.Name!);
            if (current is null)
            {
                if (w.Route.Subresource is not null)
                {
                    return SimResponse.Json(404, Status.NotFound(definition.Resource, definition.Group, w.Route.Name!));
                }

                // Creating by apply needs create as well as patch; the authorizer sees the name on both.
                var create = new AuthorizationAttributes(w.User, "create", true, definition.Group, definition.Version, definition.Resource, string.Empty, w.Route.Namespace ?? string.Empty, w.Route.Name!);
                var decision = Authorize(create, Options.EnforceRbac);
                if (!decision.Allowed)
                {
                    return SimResponse.Json(403, Status.Forbidden(create, decision.Reason));
                }

                var entries = new List<ManagedFieldsEntry>();
                var created = ManagedFields.Apply(new JsonObject(), entries, config, manager, definition.GroupVersion, force, definition.ServerStatus);
                var createdMetadata = created["metadata"] as JsonObject ?? new JsonObject();
                created["metadata"] = createdMetadata;
                createdMetadata["name"] = w.Route.Name;
                if (definition.Namespaced)
                {
                    createdMetadata["namespace"] = w.Route.Namespace;
                }

                ManagedFields.SetEntries(created, entries);
                return CommitCreate(w, created);
            }

            var old = current.Node;
            if (metadata["resourceVersion"]?.ToString() is { Length: > 0 } version && version != old["metadata"]?["resourceVersion"]?.ToString())
            {
                return SimResponse.Json(409, Status.Conflict(definition.Resource, definition.Group, w.Route.Name!, ModifiedMessage));
            }

            try
            {
                var existingEntries = ManagedFields.Entries(old);
                var merged = ManagedFields.Apply(old, existingEntries, config, manager, definition.GroupVersion, force, definition.ServerStatus && w.Route.Subresource is null);
                ManagedFields.SetEntries(merged, existingEntries);
                return CommitUpdate(w, old, Subresource(w.Route.Subresource, old, merged), existingEntries);
            }
            catch (ApplyConflictException ex)
            {
                return SimResponse.Json(409, ex.ToStatus());
            }
        }
    }

    private static bool SameGroup(string apiVersion, string group)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return (slash < 0 ? string.Empty : apiVersion[..slash]) == group;
    }

    /// <summary>A write to a subresource changes only its part of the object: status, or the pod's ephemeral containers.</summary>
    private static JsonObject Subresource(string? subresource, JsonObject old, JsonObject written)
    {
        switch (subresource)
        {
            case "status":
                var withStatus = (JsonObject)old.DeepClone();
                withStatus["status"] = written["status"]?.DeepClone();
                CopyManagedFields(written, withStatus);
                return withStatus;
            case "ephemeralcontainers":
                var withContainers = (JsonObject)old.DeepClone();
                if (withContainers["spec"] is JsonObject spec)
                {
                    spec["ephemeralContainers"] = written["spec"]?["ephemeralContainers"]?.DeepClone();
                }

                CopyManagedFields(written, withContainers);
                return withContainers;
            default:
                return written;
        }
    }

    private static void CopyManagedFields(JsonObject from, JsonObject to)
    {
        if (to["metadata"] is JsonObject metadata && from["metadata"]?["managedFields"] is { } managed)
        {
            metadata["managedFields"] = managed.DeepClone();
        }
    }

    /// <summary>
    /// Stores a changed object (update, patch, apply; under the write gate) after validation and admission. A write
    /// that changes nothing is not stored: the resourceVersion stays. <paramref name="applied"/> carries the
    /// managedFields an apply computed; other writes give the writer what they changed.
    /// </summary>
    private SimResponse CommitUpdate(WriteRequest w, JsonObject old, JsonObject updated, List<ManagedFieldsEntry>? applied)
    {
        var definition = w.Definition;
        var metadata = updated["metadata"] as JsonObject ?? new JsonObject();
        updated["metadata"] = metadata;
        var oldMetadata = (JsonObject)old["metadata"]!;
        metadata["name"] = w.Route.Name;
        metadata["uid"] = oldMetadata["uid"]?.DeepClone();
        metadata["creationTimestamp"] = oldMetadata["creationTimestamp"]?.DeepClone();
        metadata["resourceVersion"] = oldMetadata["resourceVersion"]?.DeepClone();
        if (definition.Namespaced)
        {
            metadata["namespace"] = oldMetadata["namespace"]?.DeepClone();
        }

        updated["apiVersion"] = old["apiVersion"]?.DeepClone() ?? definition.GroupVersion;
        updated["kind"] = definition.Kind;
        if (definition.ServerStatus && w.Route.Subresource != "status")
        {
            if (old["status"] is { } status)
            {
                updated["status"] = status.DeepClone();
            }
            else
            {
                updated.Remove("status");
            }
        }

        if (Prepare(definition, old, updated) is { } invalid)
        {
            return SimResponse.Json(422, invalid);
        }

        if (definition.TracksGeneration)
        {
            var generation = Json.Long(oldMetadata["generation"]) ?? 1;
            metadata["generation"] = SpecChanged(old, updated) ? generation + 1 : generation;
        }

        var entries = applied ?? ManagedFields.Entries(updated);
        if (applied is null)
        {
            ManagedFields.RecordUpdate(entries, old, updated, w.Manager, definition.GroupVersion, w.Route.Subresource, definition.ServerStatus);
        }

        ManagedFields.SetEntries(updated, entries);

        var warnings = new List<string>();
        if (PodSecurityAdmission(w.Record, definition, w.Route.Namespace, old, updated, warnings) is { } refusal)
        {
            return Refused(refusal, warnings);
        }

        if (PolicyAdmission(w, "UPDATE", w.Route.Name!, old, updated, warnings) is { } policyRefusal)
        {
            return Refused(policyRefusal, warnings);
        }

        JsonObject result;
        if (w.Record.DryRun)
        {
            result = updated;
        }
        else if (Unchanged(old, updated))
        {
            result = old;
        }
        else
        {
            metadata.Remove("resourceVersion");
            result = Store.Put(definition, updated).Node;
            AfterWrite(definition, old, result);
        }

        var response = SimResponse.Json(200, result);
        response.Warnings.AddRange(WarningRecorder.Record(warnings));
        return response;
    }

    private SimResponse Delete(WriteRequest w)
    {
        JsonObject options = new();
        if (!string.IsNullOrWhiteSpace(w.Record.Body))
        {
            try
            {
                options = Yaml.ParseObject(w.Record.Body);
            }
            catch (FormatException ex)
            {
                return SimResponse.Json(400, Status.BadRequest("error decoding body: " + ex.Message));
            }
        }

        if (options["dryRun"] is JsonArray dryRun && dryRun.Any(d => d?.ToString() == "All"))
        {
            w.Record.DryRun = true;
        }

        var definition = w.Definition;
        lock (writeGate)
        {
            var current = Store.Get(definition, w.Route.Namespace, w.Route.Name!);
            if (current is null)
            {
                return SimResponse.Json(404, Status.NotFound(definition.Resource, definition.Group, w.Route.Name!));
            }

            var old = current.Node;
            var uid = old["metadata"]?["uid"]?.ToString();
            var version = old["metadata"]?["resourceVersion"]?.ToString();
            if (options["preconditions"]?["uid"]?.ToString() is { } wantedUid && wantedUid != uid)
            {
                return SimResponse.Json(409, Status.Conflict(definition.Resource, definition.Group, w.Route.Name!, $"Precondition failed: UID in precondition: {wantedUid}, UID in object meta: {uid}"));
            }

            if (options["preconditions"]?["resourceVersion"]?.ToString() is { } wantedVersion && wantedVersion != version)
            {
                return SimResponse.Json(409, Status.Conflict(definition.Resource, definition.Group, w.Route.Name!, $"Precondition failed: ResourceVersion in precondition: {wantedVersion}, ResourceVersion in object meta: {version}"));
            }

            var warnings = new List<string>();
            if (PolicyAdmission(w, "DELETE", w.Route.Name!, old, null, warnings) is { } refusal)
            {
                return Refused(refusal, warnings);
            }

            if (!w.Record.DryRun)
            {
                Store.Delete(definition, w.Route.Namespace, w.Route.Name!);
                AfterWrite(definition, old, null);
            }

            // Pods are deleted gracefully and answer with the object; other resources with Success.
            var response = definition.Kind == "Pod" && definition.Group.Length == 0
                ? SimResponse.Json(200, old)
                : SimResponse.Json(200, Status.Success(w.Route.Name!, definition.Group, definition.Resource, uid));
            response.Warnings.AddRange(WarningRecorder.Record(warnings));
            return response;
        }
    }

    private static SimResponse Refused(JsonObject status, List<string> warnings)
    {
        var refused = SimResponse.Json(status["code"]!.GetValue<int>(), status);
        refused.Warnings.AddRange(WarningRecorder.Record(warnings));
        return refused;
    }

    /// <summary>Anything but metadata and status differs: what makes metadata.generation grow.</summary>
    private static bool SpecChanged(JsonObject old, JsonObject updated)
    {
        static JsonObject Body(JsonObject obj) => new(obj.Where(p => p.Key is not ("metadata" or "status" or "apiVersion" or "kind")).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        return !JsonNode.DeepEquals(Body(old), Body(updated));
    }

    /// <summary>The same object but for managedFields timestamps: such a write is not stored (no new resourceVersion).</summary>
    private static bool Unchanged(JsonObject old, JsonObject updated)
    {
        static JsonObject WithoutTimes(JsonObject obj)
        {
            var copy = (JsonObject)obj.DeepClone();
            foreach (var entry in (copy["metadata"]?["managedFields"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                entry.Remove("time");
            }

            return copy;
        }

        return JsonNode.DeepEquals(WithoutTimes(old), WithoutTimes(updated));
    }

    /// <summary>Defaulting, pruning and validation of a new or changed object; a 422 Status when it is invalid.</summary>
    private JsonObject? Prepare(ResourceDefinition definition, JsonObject? old, JsonObject obj)
    {
        var name = obj["metadata"]?["name"]?.ToString() ?? string.Empty;
        if (definition.Schema is not null)
        {
            CustomResources.Prune(obj, definition.Schema);
            var errors = CustomResources.Validate(obj, definition.Schema);
            if (errors.Count > 0)
            {
                return Status.Invalid(definition.Kind, name, errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]", definition.Group);
            }
        }

        return ValidateLabels(definition, name, (JsonObject)obj["metadata"]!)
            ?? AdmissionPolicies.DefaultAndValidate(definition, name, obj)
            ?? RbacValidation(definition, name, old, obj);
    }

    /// <summary>A binding's roleRef cannot change, as the apiserver's RBAC validation says.</summary>
    private static JsonObject? RbacValidation(ResourceDefinition definition, string name, JsonObject? old, JsonObject obj)
    {
        if (definition.Group != "rbac.authorization.k8s.io" || definition.Kind is not ("RoleBinding" or "ClusterRoleBinding"))
        {
            return null;
        }

        if (obj["roleRef"] is not JsonObject roleRef || roleRef["name"] is null || roleRef["kind"] is null)
        {
            return Status.Invalid(definition.Kind, name, "roleRef.name: Required value", definition.Group);
        }

        return old is not null && !JsonNode.DeepEquals(old["roleRef"], roleRef)
            ? Status.Invalid(definition.Kind, name, $"roleRef: Invalid value: {roleRef.ToJsonString()}: cannot change roleRef", definition.Group)
            : null;
    }

    /// <summary>The controllers a stored change wakes: ClusterRole aggregation, policy status, CRD registration.</summary>
    private void AfterWrite(ResourceDefinition definition, JsonObject? old, JsonObject? stored)
    {
        switch (definition.Kind)
        {
            case "ClusterRole" when definition.Group == "rbac.authorization.k8s.io":
                AggregateClusterRoles();
                break;
            case "ValidatingAdmissionPolicy" when definition.Group == "admissionregistration.k8s.io" && stored is not null:
                SchedulePolicyStatus(definition, stored);
                break;
            case "CustomResourceDefinition" when definition.Group == "apiextensions.k8s.io":
                ServeCustomResources(old, stored);
                break;
        }
    }

    private static JsonObject? ValidateLabels(ResourceDefinition definition, string name, JsonObject metadata)
    {
        if (metadata["labels"] is not JsonObject labels)
        {
            return null;
        }

        foreach (var (key, node) in labels)
        {
            var value = node?.ToString() ?? string.Empty;
            if (value.Length > 63 || !Regex.IsMatch(value, "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"))
            {
                return Status.Invalid(definition.Kind, name, $"metadata.labels: Invalid value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')", definition.Group);
            }

            var keyName = key.Contains('/', StringComparison.Ordinal) ? key[(key.LastIndexOf('/') + 1)..] : key;
            if (keyName.Length is 0 or > 63 || !Regex.IsMatch(keyName, "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"))
            {
                return Status.Invalid(definition.Kind, name, $"metadata.labels: Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", definition.Group);
            }
        }

        return null;
    }
}

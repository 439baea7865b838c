using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HostNetAudit.Simulator.Admission;
using HostNetAudit.Simulator.Api;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Store;
using Microsoft.AspNetCore.Http;

namespace HostNetAudit.Simulator;

/// <summary>Patch and create, with dry-run, preconditions, validation and admission.</summary>
public sealed partial class SimCluster
{
    private readonly object writeGate = new();

    private SimResponse Patch(HttpContext context, RequestRecord record, ResourceDefinition definition, Route route)
    {
        var contentType = (context.Request.ContentType ?? string.Empty).Split(';')[0].Trim();
        var dryRun = record.DryRun;
        lock (writeGate)
        {
            var current = Store.Get(definition, route.Namespace, route.Name!);
            if (current is null)
            {
                return SimResponse.Json(404, Status.NotFound(definition.Resource, definition.Group, route.Name!));
            }

            JsonObject patched;
            try
            {
                var body = JsonNode.Parse(record.Body ?? string.Empty);
                switch (contentType)
                {
                    case "application/json-patch+json":
                        patched = Patches.ApplyJsonPatch(current.Node, body as JsonArray ?? throw new PatchException("json patch must be an array"));
                        break;
                    case "application/merge-patch+json":
                    case "application/strategic-merge-patch+json":
                        var patch = body as JsonObject ?? throw new PatchException("merge patch must be an object");
                        var precondition = patch["metadata"]?["resourceVersion"]?.GetValue<string>();
                        if (precondition is not null && precondition != current.Node["metadata"]?["resourceVersion"]?.GetValue<string>())
                        {
                            return SimResponse.Json(409, Status.Conflict(definition.Resource, definition.Group, route.Name!, "the object has been modified; please apply your changes to the latest version and try again"));
                        }

                        patched = Patches.ApplyMerge(current.Node, patch);
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

            // The name, uid and resourceVersion stay the server's.
            var metadata = patched["metadata"] as JsonObject ?? new JsonObject();
            patched["metadata"] = metadata;
            metadata["name"] = route.Name;
            metadata["uid"] = current.Node["metadata"]?["uid"]?.DeepClone();
            var invalid = ValidateLabels(definition, route.Name!, metadata);
            if (invalid is not null)
            {
                return SimResponse.Json(422, invalid);
            }

            var warnings = new List<string>();
            var refusal = PodSecurityAdmission(record, definition, route.Namespace, current.Node, patched, warnings);
            if (refusal is not null)
            {
                var refused = SimResponse.Json(refusal["code"]!.GetValue<int>(), refusal);
                refused.Warnings.AddRange(WarningRecorder.Record(warnings));
                return refused;
            }

            JsonObject result;
            if (dryRun)
            {
                result = patched;
            }
            else
            {
                metadata.Remove("resourceVersion");
                result = Store.Put(definition, patched).Node;
            }

            var response = SimResponse.Json(200, result);
            response.Warnings.AddRange(WarningRecorder.Record(warnings));
            return response;
        }
    }

    private SimResponse Create(HttpContext context, RequestRecord record, ResourceDefinition definition, Route route)
    {
        if (definition.Kind == "SelfSubjectReview")
        {
            return SelfSubjectReview(record);
        }

        JsonObject obj;
        try
        {
            obj = ParseBody(record) ?? throw new JsonException("empty body");
        }
        catch (JsonException ex)
        {
            return SimResponse.Json(400, Status.BadRequest("error decoding body: " + ex.Message));
        }

        var metadata = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = metadata;
        if (definition.Namespaced)
        {
            metadata["namespace"] = route.Namespace ?? metadata["namespace"]?.GetValue<string>() ?? "default";
        }

        if (metadata["name"] is null && metadata["generateName"]?.GetValue<string>() is { } generate)
        {
            metadata["name"] = generate + Guid.NewGuid().ToString("N")[..5];
        }

        var name = metadata["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            return SimResponse.Json(422, Status.Invalid(definition.Kind, string.Empty, "metadata.name: Required value: name or generateName is required"));
        }

        var ns = definition.Namespaced ? metadata["namespace"]!.GetValue<string>() : null;
        if (ns is not null && Store.Get(Store.Definitions.First(d => d.Kind == "Namespace" && d.Group.Length == 0), null, ns) is null)
        {
            return SimResponse.Json(404, Status.NotFound("namespaces", string.Empty, ns));
        }

        var warnings = new List<string>();
        if (definition.Kind == "Pod" && ns is not null)
        {
            var denial = PodAdmission(ns, name, obj, record, warnings);
            if (denial is not null)
            {
                var refused = SimResponse.Json(denial.Value.Code, Status.Failure(denial.Value.Code, denial.Value.Reason, denial.Value.Message, Status.Details(name, string.Empty, "pods")));
                refused.Warnings.AddRange(WarningRecorder.Record(warnings));
                return refused;
            }
        }
        else if (PodSecurityAdmission(record, definition, ns, null, obj, warnings) is { } refusal)
        {
            var refused = SimResponse.Json(refusal["code"]!.GetValue<int>(), refusal);
            refused.Warnings.AddRange(WarningRecorder.Record(warnings));
            return refused;
        }

        lock (writeGate)
        {
            if (Store.Get(definition, ns, name) is not null)
            {
                return SimResponse.Json(409, Status.Failure(409, "AlreadyExists", $"{definition.Resource} \"{name}\" already exists", Status.Details(name, definition.Group, definition.Resource)));
            }

            JsonObject result;
            if (record.DryRun)
            {
                metadata["uid"] ??= Guid.NewGuid().ToString();
                metadata["creationTimestamp"] ??= DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
                obj["apiVersion"] ??= definition.GroupVersion;
                obj["kind"] ??= definition.Kind;
                result = obj;
            }
            else
            {
                result = Store.Put(definition, obj).Node;
            }

            var response = SimResponse.Json(201, result);
            response.Warnings.AddRange(WarningRecorder.Record(warnings));
            return response;
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
                return Status.Invalid(definition.Kind, name, $"metadata.labels: Invalid value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
            }

            var keyName = key.Contains('/', StringComparison.Ordinal) ? key[(key.LastIndexOf('/') + 1)..] : key;
            if (keyName.Length is 0 or > 63 || !Regex.IsMatch(keyName, "^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"))
            {
                return Status.Invalid(definition.Kind, name, $"metadata.labels: Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
            }
        }

        return null;
    }
}

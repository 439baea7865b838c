using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Api;

/// <summary>One field an apply would take from another manager.</summary>
public sealed record FieldConflict(string Manager, string Description, string Path);

/// <summary>An apply refused because fields it sets to other values belong to other managers (409 unless forced).</summary>
public sealed class ApplyConflictException : Exception
{
    public ApplyConflictException(IReadOnlyList<FieldConflict> conflicts)
        : base(Describe(conflicts))
    {
        Conflicts = conflicts;
    }

    public ApplyConflictException()
        : base("apply conflict")
    {
        Conflicts = Array.Empty<FieldConflict>();
    }

    public ApplyConflictException(string message, Exception inner)
        : base(message, inner)
    {
        Conflicts = Array.Empty<FieldConflict>();
    }

    public IReadOnlyList<FieldConflict> Conflicts { get; }

    /// <summary>The apiserver's Status for the conflicts: 409 Conflict, one FieldManagerConflict cause per field.</summary>
    public JsonObject ToStatus()
    {
        var causes = new JsonArray();
        foreach (var conflict in Conflicts)
        {
            causes.Add(new JsonObject { ["reason"] = "FieldManagerConflict", ["message"] = "conflict with " + conflict.Description, ["field"] = conflict.Path });
        }

        return Status.Failure(409, "Conflict", Message, new JsonObject { ["causes"] = causes });
    }

    // The structured-merge-diff wording: one conflict inline, several grouped by manager (managers sorted).
    private static string Describe(IReadOnlyList<FieldConflict> conflicts)
    {
        if (conflicts.Count == 1)
        {
            return $"Apply failed with 1 conflict: conflict with {conflicts[0].Description}: {conflicts[0].Path}";
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Apply failed with {conflicts.Count} conflicts: ");
        var first = true;
        foreach (var group in conflicts.GroupBy(c => c.Manager).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                text.Append('\n');
            }

            first = false;
            text.Append("conflicts with ").Append(group.First().Description).Append(':');
            foreach (var conflict in group)
            {
                text.Append("\n- ").Append(conflict.Path);
            }
        }

        return text.ToString();
    }
}

/// <summary>
/// Field ownership as the apiserver tracks it in metadata.managedFields (FieldsV1), simplified to what tests need:
/// a field set is the set of leaf paths (scalars, atomic lists, empty maps) plus the items of the few lists that
/// are maps keyed by name. Server-side apply merges an applied configuration into the live object, removes the
/// fields its manager stopped applying (when nobody else owns them), and refuses to change a field another manager
/// owns unless forced; other writes give the writer the fields they change. Paths are FieldsV1 elements
/// ("f:spec", "k:{\"name\":\"c\"}", ".") joined by newlines.
/// </summary>
public static class ManagedFields
{
    private const char Separator = '\n';

    /// <summary>Lists merged by their items' name (listType=map, listMapKey=name); every other list is atomic.</summary>
    private static readonly HashSet<string> NamedLists = new(StringComparer.Ordinal)
    {
        "matchConditions", "containers", "initContainers", "ephemeralContainers", "volumes", "env",
    };

    private static readonly HashSet<string> ServerMetadata = new(StringComparer.Ordinal)
    {
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
        "deletionTimestamp", "deletionGracePeriodSeconds",
    };

    /// <summary>The fields of an object, path → value: what an applied configuration sets, or what changed.</summary>
    public static Dictionary<string, JsonNode?> Fields(JsonObject obj, bool serverStatus)
    {
        var fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" || (key == "status" && serverStatus))
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject metadata)
            {
                foreach (var (metaKey, metaValue) in metadata)
                {
                    if (!ServerMetadata.Contains(metaKey))
                    {
                        Walk("f:metadata" + Separator + "f:" + metaKey, metaKey, metaValue, fields);
                    }
                }

                continue;
            }

            Walk("f:" + key, key, value, fields);
        }

        return fields;
    }

    private static void Walk(string path, string name, JsonNode? value, Dictionary<string, JsonNode?> fields)
    {
        switch (value)
        {
            case JsonObject map when map.Count > 0:
                foreach (var (key, child) in map)
                {
                    Walk(path + Separator + "f:" + key, key, child, fields);
                }

                break;
            case JsonArray list when IsNamedList(name, list):
                foreach (var item in list.OfType<JsonObject>())
                {
                    var itemPath = path + Separator + ItemKey(item);
                    fields[itemPath + Separator + "."] = null;
                    foreach (var (key, child) in item)
                    {
                        Walk(itemPath + Separator + "f:" + key, key, child, fields);
                    }
                }

                break;
            default:
                fields[path] = value;
                break;
        }
    }

    private static bool IsNamedList(string name, JsonArray list) =>
        NamedLists.Contains(name) && list.All(i => i is JsonObject o && o["name"] is JsonValue v && v.GetValueKind() == JsonValueKind.String);

    private static string ItemKey(JsonObject item) => "k:" + new JsonObject { ["name"] = item["name"]!.GetValue<string>() }.ToJsonString();

    /// <summary>A FieldsV1 object as the set of its leaf paths.</summary>
    public static HashSet<string> ParseFieldsV1(JsonNode? fieldsV1)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (fieldsV1 is JsonObject root)
        {
            Collect(root, string.Empty, set);
        }

        return set;
    }

    private static void Collect(JsonObject node, string prefix, HashSet<string> set)
    {
        foreach (var (key, child) in node)
        {
            var path = prefix.Length == 0 ? key : prefix + Separator + key;
            if (child is JsonObject inner && inner.Count > 0)
            {
                Collect(inner, path, set);
            }
            else
            {
                set.Add(path);
            }
        }
    }

    public static JsonObject ToFieldsV1(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        foreach (var path in paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            var node = root;
            foreach (var part in path.Split(Separator))
            {
                if (node[part] is not JsonObject next)
                {
                    next = new JsonObject();
                    node[part] = next;
                }

                node = next;
            }
        }

        return root;
    }

    /// <summary>A path as the apiserver prints it in conflicts: .spec.failurePolicy, .spec.containers[name="c"].image.</summary>
    public static string Print(string path)
    {
        var text = new StringBuilder();
        foreach (var part in path.Split(Separator))
        {
            if (part.StartsWith("f:", StringComparison.Ordinal))
            {
                text.Append('.').Append(part[2..]);
            }
            else if (part.StartsWith("k:", StringComparison.Ordinal) && JsonNode.Parse(part[2..]) is JsonObject key)
            {
                text.Append('[').Append(string.Join(",", key.Select(k => $"{k.Key}={k.Value?.ToJsonString()}"))).Append(']');
            }
        }

        return text.ToString();
    }

    /// <summary>The managedFields entries of an object.</summary>
    public static List<ManagedFieldsEntry> Entries(JsonObject obj) =>
        (obj["metadata"]?["managedFields"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().Select(ManagedFieldsEntry.From).ToList();

    public static void SetEntries(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            return;
        }

        var array = new JsonArray(entries.Where(e => e.Fields.Count > 0).Select(e => (JsonNode?)e.ToJson()).ToArray());
        if (array.Count == 0)
        {
            metadata.Remove("managedFields");
        }
        else
        {
            metadata["managedFields"] = array;
        }
    }

    /// <summary>
    /// A non-apply write (create, update, patch) by a manager: it owns what it changed; fields it removed or
    /// changed are taken from everyone else.
    /// </summary>
    public static void RecordUpdate(List<ManagedFieldsEntry> entries, JsonObject? old, JsonObject updated, string manager, string apiVersion, string? subresource, bool serverStatus)
    {
        var before = old is null ? new Dictionary<string, JsonNode?>(StringComparer.Ordinal) : Fields(old, serverStatus);
        var after = Fields(updated, serverStatus && subresource != "status");
        var changed = after.Where(f => !before.TryGetValue(f.Key, out var was) || !JsonNode.DeepEquals(was, f.Value)).Select(f => f.Key).ToList();
        var removed = before.Keys.Where(k => !after.ContainsKey(k)).ToList();
        if (changed.Count == 0 && removed.Count == 0)
        {
            return;
        }

        foreach (var entry in entries)
        {
            foreach (var path in changed.Concat(removed))
            {
                entry.Fields.Remove(path);
            }
        }

        var own = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == subresource);
        if (own is null)
        {
            own = new ManagedFieldsEntry(manager, "Update", apiVersion, subresource, new HashSet<string>(StringComparer.Ordinal));
            entries.Add(own);
        }

        own.ApiVersion = apiVersion;
        own.Touch();
        own.Fields.UnionWith(changed);
    }

    /// <summary>
    /// Server-side apply of <paramref name="config"/> by <paramref name="manager"/> onto <paramref name="live"/>
    /// (an empty object for a create). Returns the merged object; updates the entries. Throws
    /// <see cref="ApplyConflictException"/> when another manager owns a field set to another value, unless forced.
    /// </summary>
    public static JsonObject Apply(JsonObject live, List<ManagedFieldsEntry> entries, JsonObject config, string manager, string apiVersion, bool force, bool serverStatus)
    {
        var applied = Fields(config, serverStatus);
        var current = Fields(live, serverStatus);
        var own = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource is null);
        var others = entries.Where(e => !ReferenceEquals(e, own)).ToList();

        var conflicts = new List<FieldConflict>();
        foreach (var (path, value) in applied)
        {
            if (path.EndsWith(Separator + ".", StringComparison.Ordinal) || !current.TryGetValue(path, out var existing) || JsonNode.DeepEquals(existing, value))
            {
                continue;
            }

            foreach (var other in others.Where(o => o.Fields.Contains(path)))
            {
                conflicts.Add(new FieldConflict(other.Manager, other.Describe(), Print(path)));
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw new ApplyConflictException(conflicts);
        }

        var result = (JsonObject)live.DeepClone();
        foreach (var path in applied.Keys.Where(p => !p.EndsWith(Separator + ".", StringComparison.Ordinal)))
        {
            foreach (var other in others)
            {
                // A field set to the value it has is shared; any other (forced, or nobody's value yet) changes hands.
                if (!current.TryGetValue(path, out var existing) || !JsonNode.DeepEquals(existing, applied[path]))
                {
                    other.Fields.Remove(path);
                }
            }
        }

        // Fields this manager applied before and applies no more go, unless someone else still owns them.
        if (own is not null)
        {
            foreach (var path in own.Fields.Where(p => !applied.ContainsKey(p) && !others.Any(o => o.Fields.Contains(p))).OrderByDescending(p => p.Length))
            {
                Remove(result, path);
            }
        }

        Merge(result, config);
        if (own is null)
        {
            own = new ManagedFieldsEntry(manager, "Apply", apiVersion, null, new HashSet<string>(StringComparer.Ordinal));
            entries.Add(own);
        }

        own.ApiVersion = apiVersion;
        own.Touch();
        own.Fields.Clear();
        own.Fields.UnionWith(applied.Keys);
        return result;
    }

    /// <summary>Merges an applied configuration into an object: maps recursively, named lists by name, the rest replaced.</summary>
    private static void Merge(JsonObject target, JsonObject config)
    {
        foreach (var (key, value) in config)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject map && target[key] is JsonObject existing)
            {
                Merge(existing, map);
            }
            else if (value is JsonArray list && IsNamedList(key, list) && target[key] is JsonArray existingList && IsNamedList(key, existingList))
            {
                foreach (var item in list.OfType<JsonObject>())
                {
                    var name = item["name"]!.GetValue<string>();
                    if (existingList.OfType<JsonObject>().FirstOrDefault(i => i["name"]!.GetValue<string>() == name) is { } match)
                    {
                        Merge(match, item);
                    }
                    else
                    {
                        existingList.Add(item.DeepClone());
                    }
                }
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    /// <summary>Removes the field at a path (a list item for a path ending in "."), then maps it left empty.</summary>
    private static void Remove(JsonObject root, string path)
    {
        var parts = path.Split(Separator);
        var chain = new List<(JsonNode Parent, string Part)>();
        JsonNode? node = root;
        foreach (var part in parts)
        {
            if (node is null)
            {
                return;
            }

            chain.Add((node, part));
            node = Step(node, part);
        }

        var (parent, last) = chain[^1];
        if (last == "." && chain.Count >= 2 && chain[^2].Parent is JsonArray items && Step(items, chain[^2].Part) is { } item)
        {
            items.Remove(item);
            return;
        }

        if (parent is JsonObject map && last.StartsWith("f:", StringComparison.Ordinal))
        {
            map.Remove(last[2..]);
        }

        for (var i = chain.Count - 2; i >= 0; i--)
        {
            if (chain[i].Parent is JsonObject owner && chain[i].Part.StartsWith("f:", StringComparison.Ordinal) && owner[chain[i].Part[2..]] is JsonObject { Count: 0 })
            {
                owner.Remove(chain[i].Part[2..]);
            }
            else
            {
                break;
            }
        }
    }

    private static JsonNode? Step(JsonNode node, string part)
    {
        if (part.StartsWith("f:", StringComparison.Ordinal))
        {
            return node is JsonObject o ? o[part[2..]] : null;
        }

        if (part.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray list && JsonNode.Parse(part[2..]) is JsonObject key)
        {
            return list.OfType<JsonObject>().FirstOrDefault(item => key.All(k => JsonNode.DeepEquals(item[k.Key], k.Value)));
        }

        return part == "." ? node : null;
    }
}

/// <summary>One metadata.managedFields entry: a manager, the operation (Apply or Update), the fields it owns.</summary>
public sealed class ManagedFieldsEntry
{
    public ManagedFieldsEntry(string manager, string operation, string apiVersion, string? subresource, HashSet<string> fields, string? time = null)
    {
        Manager = manager;
        Operation = operation;
        ApiVersion = apiVersion;
        Subresource = subresource;
        Fields = fields;
        Time = time ?? Now();
    }

    public string Manager { get; }

    public string Operation { get; }

    public string ApiVersion { get; set; }

    public string? Subresource { get; }

    public string Time { get; private set; }

    public HashSet<string> Fields { get; }

    public static ManagedFieldsEntry From(JsonObject entry) => new(
        entry["manager"]?.ToString() ?? string.Empty,
        entry["operation"]?.ToString() ?? "Update",
        entry["apiVersion"]?.ToString() ?? string.Empty,
        entry["subresource"]?.ToString(),
        ManagedFields.ParseFieldsV1(entry["fieldsV1"]),
        entry["time"]?.ToString());

    public void Touch() => Time = Now();

    /// <summary>How a conflict names this manager: "name" for appliers, "name" using apiVersion for updaters.</summary>
    public string Describe()
    {
        var text = "\"" + Manager + "\"";
        if (Subresource is not null)
        {
            text += $" with subresource \"{Subresource}\"";
        }

        return Operation == "Update" ? text + " using " + ApiVersion : text;
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["manager"] = Manager,
            ["operation"] = Operation,
            ["apiVersion"] = ApiVersion,
            ["time"] = Time,
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = ManagedFields.ToFieldsV1(Fields),
        };
        if (Subresource is not null)
        {
            json["subresource"] = Subresource;
        }

        return json;
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}

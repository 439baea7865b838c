using System.Text.Json;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Store;

/// <summary>
/// An object as stored: its serialized bytes (served as they are), and the few values selectors need
/// (namespace, name, labels, selectable fields). The JSON tree is parsed on demand, so a cluster of
/// 200,000 pods costs little more than their bytes.
/// </summary>
public sealed class StoredObject
{
    private static readonly Dictionary<string, string> EmptyLabels = new(StringComparer.Ordinal);

    public StoredObject(byte[] bytes, IReadOnlyList<string> selectableFields)
    {
        Bytes = bytes;
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement;
        var metadata = root.TryGetProperty("metadata", out var m) ? m : default;
        Namespace = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("namespace", out var ns) ? string.Intern(ns.GetString()!) : null;
        Name = metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("name", out var name) ? name.GetString()! : throw new ArgumentException("object without metadata.name");
        Labels = EmptyLabels;
        if (metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("labels", out var labels) && labels.ValueKind == JsonValueKind.Object)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in labels.EnumerateObject())
            {
                map[string.Intern(label.Name)] = label.Value.ValueKind == JsonValueKind.String ? string.Intern(label.Value.GetString()!) : label.Value.GetRawText();
            }

            Labels = map;
        }

        Fields = selectableFields;
        FieldValues = selectableFields.Select(f => string.Intern(FieldValue(root, f))).ToArray();
    }

    public StoredObject(JsonObject node, IReadOnlyList<string> selectableFields)
        : this(JsonSerializer.SerializeToUtf8Bytes(node), selectableFields)
    {
    }

    /// <summary>A fresh, mutable copy of the object.</summary>
    public JsonObject Node => (JsonObject)JsonNode.Parse(Bytes)!;

    public string? Namespace { get; }

    public string Name { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyList<string> Fields { get; }

    public IReadOnlyList<string> FieldValues { get; }

    /// <summary>Sort key, as etcd orders keys: namespace/name.</summary>
    public string Key => (Namespace ?? string.Empty) + "/" + Name;

    public byte[] Bytes { get; }

    public string? Field(string field)
    {
        for (var i = 0; i < Fields.Count; i++)
        {
            if (Fields[i] == field)
            {
                return FieldValues[i];
            }
        }

        return null;
    }

    /// <summary>A field's value as the apiserver's field set renders it (booleans true/false; absent "" or "false").</summary>
    private static string FieldValue(JsonElement root, string field)
    {
        var current = root;
        foreach (var part in field.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return field is "spec.hostNetwork" or "spec.unschedulable" ? "false" : string.Empty;
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.String => current.GetString()!,
            JsonValueKind.Null => string.Empty,
            _ => current.GetRawText(),
        };
    }
}

/// <summary>
/// The simulated cluster's objects: per resource, sorted by namespace/name (as etcd returns them), with a
/// global resourceVersion that grows on every write.
/// </summary>
public sealed class ObjectStore
{
    private readonly object gate = new();
    private readonly Dictionary<string, ResourceDefinition> definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredObject[]> snapshots = new(StringComparer.Ordinal);
    private long resourceVersion = 1000;

    public long ResourceVersion => Interlocked.Read(ref resourceVersion);

    /// <summary>Definitions of everything that holds objects or was registered.</summary>
    public IReadOnlyList<ResourceDefinition> Definitions
    {
        get
        {
            lock (gate)
            {
                return definitions.Values.ToList();
            }
        }
    }

    public void Register(ResourceDefinition definition)
    {
        lock (gate)
        {
            definitions.TryAdd(definition.Key, definition);
            objects.TryAdd(definition.Key, new SortedDictionary<string, StoredObject>(StringComparer.Ordinal));
        }
    }

    /// <summary>Registers a resource, replacing an earlier definition of it (a CRD's new schema); its objects stay.</summary>
    public void Replace(ResourceDefinition definition)
    {
        lock (gate)
        {
            definitions[definition.Key] = definition;
            objects.TryAdd(definition.Key, new SortedDictionary<string, StoredObject>(StringComparer.Ordinal));
            snapshots.Remove(definition.Key);
        }
    }

    /// <summary>Stops serving a resource and drops its objects (a deleted CRD).</summary>
    public void Unregister(ResourceDefinition definition)
    {
        lock (gate)
        {
            definitions.Remove(definition.Key);
            objects.Remove(definition.Key);
            snapshots.Remove(definition.Key);
            Interlocked.Increment(ref resourceVersion);
        }
    }

    public bool HasObjects(ResourceDefinition definition)
    {
        lock (gate)
        {
            return objects.TryGetValue(definition.Key, out var map) && map.Count > 0;
        }
    }

    /// <summary>Adds or replaces an object; stamps uid, resourceVersion, creationTimestamp when missing.</summary>
    public StoredObject Put(ResourceDefinition definition, JsonObject node, bool keepResourceVersion = false)
    {
        var metadata = node["metadata"] as JsonObject ?? throw new ArgumentException("object without metadata");
        if (!definition.Namespaced)
        {
            metadata.Remove("namespace");
        }

        metadata["uid"] ??= Guid.NewGuid().ToString();
        metadata["creationTimestamp"] ??= DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        node["apiVersion"] ??= definition.GroupVersion;
        node["kind"] ??= definition.Kind;
        lock (gate)
        {
            Register(definition);
            var rv = Interlocked.Increment(ref resourceVersion);
            if (!keepResourceVersion || metadata["resourceVersion"] is null)
            {
                metadata["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var stored = new StoredObject(node, definition.FieldSelectors);
            objects[definition.Key][stored.Key] = stored;
            snapshots.Remove(definition.Key);
            return stored;
        }
    }

    /// <summary>Adds serialized objects as they are (bulk scenarios; resourceVersion and uid already set).</summary>
    public void PutBytes(ResourceDefinition definition, IEnumerable<byte[]> items)
    {
        lock (gate)
        {
            Register(definition);
            var map = objects[definition.Key];
            foreach (var bytes in items)
            {
                var stored = new StoredObject(bytes, definition.FieldSelectors);
                map[stored.Key] = stored;
            }

            snapshots.Remove(definition.Key);
            Interlocked.Increment(ref resourceVersion);
        }
    }

    public StoredObject? Get(ResourceDefinition definition, string? ns, string name)
    {
        lock (gate)
        {
            return objects.TryGetValue(definition.Key, out var map) && map.TryGetValue((definition.Namespaced ? ns ?? string.Empty : string.Empty) + "/" + name, out var stored)
                ? stored
                : null;
        }
    }

    public bool Delete(ResourceDefinition definition, string? ns, string name)
    {
        lock (gate)
        {
            if (objects.TryGetValue(definition.Key, out var map) && map.Remove((ns ?? string.Empty) + "/" + name))
            {
                snapshots.Remove(definition.Key);
                Interlocked.Increment(ref resourceVersion);
                return true;
            }

            return false;
        }
    }

    /// <summary>A sorted, immutable view of one resource's objects (rebuilt after writes).</summary>
    public StoredObject[] Snapshot(ResourceDefinition definition)
    {
        lock (gate)
        {
            if (snapshots.TryGetValue(definition.Key, out var snapshot))
            {
                return snapshot;
            }

            snapshot = objects.TryGetValue(definition.Key, out var map) ? map.Values.ToArray() : Array.Empty<StoredObject>();
            snapshots[definition.Key] = snapshot;
            return snapshot;
        }
    }

    public IEnumerable<StoredObject> InNamespace(ResourceDefinition definition, string ns) =>
        Snapshot(definition).Where(o => o.Namespace == ns);
}

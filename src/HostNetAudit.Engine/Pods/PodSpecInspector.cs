using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Pods;

/// <summary>Reads the host-access facts of a pod spec (a pod's spec or a template's spec).</summary>
internal static class PodSpecInspector
{
    public static readonly IReadOnlyList<string> SystemNamespaces = new[] { "kube-system", "kube-public", "kube-node-lease" };

    public static bool IsSystemNamespace(string? ns) => ns is not null && SystemNamespaces.Contains(ns, StringComparer.Ordinal);

    public static bool HostNetwork(JsonElement spec) => spec.Get("hostNetwork").IsTrue();

    /// <summary>Fills what a pod and a workload template report alike, from the (template's) pod spec and the
    /// object's metadata; the record's Namespace must be set.</summary>
    public static T Describe<T>(T record, JsonElement spec, JsonElement metadata)
        where T : IPodSpecRecord
    {
        record.Containers = Containers(spec);
        record.HostPorts = HostPorts(spec);
        record.ServiceAccount = spec.Get("serviceAccountName").AsString() ?? spec.Get("serviceAccount").AsString() ?? "default";
        record.HostNetwork = HostNetwork(spec);
        record.HostPID = spec.Get("hostPID").IsTrue();
        record.HostIPC = spec.Get("hostIPC").IsTrue();
        record.Privileged = Privileged(spec);
        record.IsSystemNamespace = IsSystemNamespace(record.Namespace);
        record.CreationTimestamp = metadata.Get("creationTimestamp").AsTimestamp();
        record.Uid = metadata.Get("uid").AsString();
        return record;
    }

    public static ContainerSummary[] Containers(JsonElement spec)
    {
        var result = new List<ContainerSummary>();
        Add(spec.Get("initContainers"), "InitContainer");
        Add(spec.Get("containers"), "Container");
        Add(spec.Get("ephemeralContainers"), "EphemeralContainer");
        return result.ToArray();

        void Add(JsonElement list, string type)
        {
            foreach (var container in list.Items())
            {
                result.Add(new ContainerSummary
                {
                    Name = container.Get("name").AsString() ?? string.Empty,
                    Type = type,
                    Image = container.Get("image").AsString(),
                    Privileged = container.Get("securityContext", "privileged").IsTrue(),
                });
            }
        }
    }

    /// <summary>
    /// Ports bound on the node: declared hostPorts, and for hostNetwork pods every containerPort (the
    /// apiserver defaults hostPort to containerPort for them).
    /// </summary>
    public static HostPortBinding[] HostPorts(JsonElement spec)
    {
        var hostNetwork = HostNetwork(spec);
        var result = new List<HostPortBinding>();
        foreach (var listName in new[] { "initContainers", "containers" })
        {
            foreach (var container in spec.Get(listName).Items())
            {
                var name = container.Get("name").AsString() ?? string.Empty;
                foreach (var port in container.Get("ports").Items())
                {
                    var hostPort = port.Get("hostPort").AsInt();
                    var containerPort = port.Get("containerPort").AsInt();
                    var declared = hostPort is > 0;
                    var bound = declared ? hostPort : hostNetwork ? containerPort : null;
                    if (bound is not > 0)
                    {
                        continue;
                    }

                    var protocol = port.Get("protocol").AsString() ?? "TCP";
                    if (!result.Any(p => p.Port == bound && p.Protocol == protocol && p.Container == name))
                    {
                        result.Add(new HostPortBinding { Port = bound.Value, Protocol = protocol, Container = name, Declared = declared });
                    }
                }
            }
        }

        return result.ToArray();
    }

    public static bool Privileged(JsonElement spec) =>
        new[] { "initContainers", "containers", "ephemeralContainers" }
            .SelectMany(list => spec.Get(list).Items())
            .Any(c => c.Get("securityContext", "privileged").IsTrue());

    /// <summary>The controller ownerReference (controller: true), else the first one.</summary>
    public static (string? Kind, string? Name, string? Uid) ControllerOf(JsonElement metadata)
    {
        JsonElement? first = null;
        foreach (var owner in metadata.Get("ownerReferences").Items())
        {
            first ??= owner;
            if (owner.Get("controller").IsTrue())
            {
                return (owner.Get("kind").AsString(), owner.Get("name").AsString(), owner.Get("uid").AsString());
            }
        }

        return first is { } o ? (o.Get("kind").AsString(), o.Get("name").AsString(), o.Get("uid").AsString()) : (null, null, null);
    }
}

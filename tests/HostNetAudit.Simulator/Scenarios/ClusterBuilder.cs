using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Api;

namespace HostNetAudit.Simulator.Scenarios;

/// <summary>A container of a workload template, as the generator describes it.</summary>
public sealed record ContainerSpec(string Name, string Image)
{
    public int[] Ports { get; init; } = Array.Empty<int>();

    public string Protocol { get; init; } = "TCP";

    /// <summary>Declared hostPort = containerPort for every port.</summary>
    public bool HostPorts { get; init; }

    public bool Privileged { get; init; }

    /// <summary>Meets the restricted profile (non-root, no escalation, drop ALL, RuntimeDefault).</summary>
    public bool Restricted { get; init; }

    public string[] AddCapabilities { get; init; } = Array.Empty<string>();

    public bool Init { get; init; }
}

/// <summary>A workload the generator creates, with its pods.</summary>
public sealed record WorkloadSpec(string Kind, string Namespace, string Name)
{
    public IReadOnlyList<ContainerSpec> Containers { get; init; } = Array.Empty<ContainerSpec>();

    public bool HostNetwork { get; init; }

    public bool HostPID { get; init; }

    public bool HostIPC { get; init; }

    public string[] HostPaths { get; init; } = Array.Empty<string>();

    public int Replicas { get; init; } = 1;

    /// <summary>For CronJobs: how many Jobs (each with one pod) currently exist.</summary>
    public int ActiveJobs { get; init; }

    public bool Suspended { get; init; }

    public string ServiceAccount { get; init; } = "default";

    public bool RestrictedPod { get; init; }
}

/// <summary>
/// Writes realistic Kubernetes objects (metadata with uid, ownerReferences down to the uid,
/// managedFields, full specs and status), the way a real apiserver returns them. Deterministic for a seed.
/// </summary>
public sealed class ClusterBuilder
{
    private static readonly DateTimeOffset Epoch = new(2026, 9, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly Random random;
    private readonly Scenario scenario;
    private long resourceVersion = 4000;

    public ClusterBuilder(Scenario scenario, int seed = 42)
    {
        this.scenario = scenario;
        random = new Random(seed);
    }

    public IReadOnlyList<string> Nodes { get; private set; } = Array.Empty<string>();

    public Scenario Scenario => scenario;

    public string Uid()
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    public string Suffix(int length = 5)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(alphabet[random.Next(alphabet.Length)]);
        }

        return text.ToString();
    }

    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Suffix(12)))).ToLowerInvariant()[..10];

    /// <summary>
    /// A Deployment's pod-template-hash as the controller writes it (rand.SafeEncodeString: no vowels, no 0, 1 or 3, so
    /// it never spells a word), drawn like <see cref="Hash"/> so the scenarios' other names stay as they were.
    /// </summary>
    public string TemplateHash()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return new string(Hash().Select(c => alphabet[Convert.ToInt32(c.ToString(), 16)]).ToArray());
    }

    private string NextResourceVersion() => (++resourceVersion).ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private DateTimeOffset Created() => Epoch.AddMinutes(random.Next(0, 60 * 24 * 30));

    /// <summary>Nodes: control-plane nodes carry the static pods.</summary>
    public void AddNodes(int controlPlane, int workers)
    {
        var names = new List<string>();
        for (var i = 0; i < controlPlane; i++)
        {
            names.Add($"cp-{i + 1}");
        }

        for (var i = 0; i < workers; i++)
        {
            names.Add($"worker-{i + 1}");
        }

        Nodes = names;
        foreach (var name in names)
        {
            var labels = new JsonObject { ["kubernetes.io/hostname"] = name, ["kubernetes.io/os"] = "linux", ["kubernetes.io/arch"] = "amd64" };
            if (name.StartsWith("cp-", StringComparison.Ordinal))
            {
                labels["node-role.kubernetes.io/control-plane"] = string.Empty;
            }

            scenario.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Node",
                ["metadata"] = new JsonObject { ["name"] = name, ["uid"] = Uid(), ["resourceVersion"] = NextResourceVersion(), ["creationTimestamp"] = Time(Epoch), ["labels"] = labels },
                ["spec"] = new JsonObject { ["podCIDR"] = "10.244." + names.IndexOf(name) + ".0/24" },
                ["status"] = new JsonObject
                {
                    ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = scenario.ServerVersion, ["containerRuntimeVersion"] = "containerd://1.7.22", ["osImage"] = "Debian GNU/Linux 12 (bookworm)" },
                    ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = "172.18.0." + (names.IndexOf(name) + 2) }),
                },
            });
        }
    }

    /// <summary>A namespace with labels (PSA labels among them) and annotations.</summary>
    public JsonObject AddNamespace(string name, IDictionary<string, string>? labels = null, IDictionary<string, string>? annotations = null)
    {
        var labelObject = new JsonObject { ["kubernetes.io/metadata.name"] = name };
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            labelObject[key] = value;
        }

        var metadata = new JsonObject
        {
            ["name"] = name,
            ["uid"] = Uid(),
            ["resourceVersion"] = NextResourceVersion(),
            ["creationTimestamp"] = Time(Epoch),
            ["labels"] = labelObject,
            ["managedFields"] = new JsonArray(ManagedField("kubectl-create", "Update", "v1", new JsonObject { ["f:metadata"] = new JsonObject { ["f:labels"] = new JsonObject { ["."] = new JsonObject(), ["f:kubernetes.io/metadata.name"] = new JsonObject() } } })),
        };
        if (annotations is not null)
        {
            var annotationObject = new JsonObject();
            foreach (var (key, value) in annotations)
            {
                annotationObject[key] = value;
            }

            metadata["annotations"] = annotationObject;
        }

        var ns = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
        scenario.Add(ns);
        return ns;
    }

    /// <summary>
    /// Gives a pod the managedFields a real cluster stores: the controller owning every field of metadata and
    /// spec, the kubelet every field of status (through the status subresource). They are about half of a
    /// served pod's bytes, so a benchmark without them reads lighter pods than a cluster sends.
    /// </summary>
    public static void SetServedManagedFields(JsonObject pod, string controller)
    {
        var withoutStatus = pod.DeepClone().AsObject();
        withoutStatus.Remove("status");
        var spec = ManagedFields.ToFieldsV1(ManagedFields.Fields(withoutStatus, serverStatus: true).Keys);
        var status = ManagedFields.ToFieldsV1(ManagedFields.Fields(new JsonObject { ["status"] = pod["status"]?.DeepClone() }, serverStatus: false).Keys);
        pod["metadata"]!["managedFields"] = new JsonArray(
            ManagedField(controller, "Update", "v1", spec),
            ManagedField("kubelet", "Update", "v1", status, "status"));
    }

    private static JsonObject ManagedField(string manager, string operation, string apiVersion, JsonObject fields, string? subresource = null)
    {
        var entry = new JsonObject
        {
            ["manager"] = manager,
            ["operation"] = operation,
            ["apiVersion"] = apiVersion,
            ["time"] = Time(Epoch),
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = fields,
        };
        if (subresource is not null)
        {
            entry["subresource"] = subresource;
        }

        return entry;
    }

    /// <summary>The pod template's spec for a workload.</summary>
    public JsonObject PodSpec(WorkloadSpec workload, string? nodeName)
    {
        var volumes = new JsonArray();
        foreach (var path in workload.HostPaths)
        {
            volumes.Add(new JsonObject { ["name"] = VolumeName(path), ["hostPath"] = new JsonObject { ["path"] = path, ["type"] = "DirectoryOrCreate" } });
        }

        volumes.Add(new JsonObject
        {
            ["name"] = "kube-api-access-" + Suffix(),
            ["projected"] = new JsonObject
            {
                ["sources"] = new JsonArray(
                    new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = 3607, ["path"] = "token" } },
                    new JsonObject { ["configMap"] = new JsonObject { ["name"] = "kube-root-ca.crt", ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }) } },
                    new JsonObject { ["downwardAPI"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["path"] = "namespace", ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" } }) } }),
                ["defaultMode"] = 420,
            },
        });

        var containers = new JsonArray();
        var initContainers = new JsonArray();
        foreach (var c in workload.Containers)
        {
            (c.Init ? initContainers : containers).Add(Container(c, workload));
        }

        var spec = new JsonObject
        {
            ["volumes"] = volumes,
        };
        if (initContainers.Count > 0)
        {
            spec["initContainers"] = initContainers;
        }

        spec["containers"] = containers;
        spec["restartPolicy"] = workload.Kind is "Job" or "CronJob" ? "OnFailure" : "Always";
        spec["terminationGracePeriodSeconds"] = 30;
        spec["dnsPolicy"] = workload.HostNetwork ? "ClusterFirstWithHostNet" : "ClusterFirst";
        spec["serviceAccountName"] = workload.ServiceAccount;
        spec["serviceAccount"] = workload.ServiceAccount;
        if (nodeName is not null)
        {
            spec["nodeName"] = nodeName;
        }

        if (workload.HostNetwork)
        {
            spec["hostNetwork"] = true;
        }

        if (workload.HostPID)
        {
            spec["hostPID"] = true;
        }

        if (workload.HostIPC)
        {
            spec["hostIPC"] = true;
        }

        spec["securityContext"] = workload.RestrictedPod
            ? new JsonObject { ["runAsNonRoot"] = true, ["runAsUser"] = 65532, ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } }
            : new JsonObject();
        spec["schedulerName"] = "default-scheduler";
        spec["tolerations"] = workload.Kind == "DaemonSet"
            ? new JsonArray(new JsonObject { ["operator"] = "Exists" })
            : new JsonArray(
                new JsonObject { ["key"] = "node.kubernetes.io/not-ready", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 },
                new JsonObject { ["key"] = "node.kubernetes.io/unreachable", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 });
        spec["priority"] = workload.Namespace == "kube-system" ? 2000001000 : 0;
        spec["enableServiceLinks"] = true;
        spec["preemptionPolicy"] = "PreemptLowerPriority";
        return spec;
    }

    private static string VolumeName(string path) => path.Trim('/').Replace('/', '-').Replace('.', '-') is { Length: > 0 } name ? name : "root";

    private static JsonObject Container(ContainerSpec c, WorkloadSpec workload)
    {
        var ports = new JsonArray();
        foreach (var port in c.Ports)
        {
            var p = new JsonObject { ["name"] = "p" + port.ToString(CultureInfo.InvariantCulture), ["containerPort"] = port, ["protocol"] = c.Protocol };
            if (c.HostPorts || workload.HostNetwork)
            {
                p["hostPort"] = port;
            }

            ports.Add(p);
        }

        var security = new JsonObject();
        if (c.Privileged)
        {
            security["privileged"] = true;
        }

        if (c.Restricted)
        {
            security["allowPrivilegeEscalation"] = false;
            security["runAsNonRoot"] = true;
            security["readOnlyRootFilesystem"] = true;
            security["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") };
            security["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" };
        }
        else if (c.AddCapabilities.Length > 0)
        {
            security["capabilities"] = new JsonObject { ["add"] = new JsonArray(c.AddCapabilities.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()) };
        }

        var container = new JsonObject
        {
            ["name"] = c.Name,
            ["image"] = c.Image,
            ["args"] = new JsonArray("--v=2", "--logtostderr=true"),
            ["env"] = new JsonArray(
                new JsonObject { ["name"] = "NODE_NAME", ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "spec.nodeName" } } },
                new JsonObject { ["name"] = "POD_NAMESPACE", ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" } } }),
            ["resources"] = new JsonObject
            {
                ["limits"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "256Mi" },
                ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "128Mi" },
            },
            ["terminationMessagePath"] = "/dev/termination-log",
            ["terminationMessagePolicy"] = "File",
            ["imagePullPolicy"] = "IfNotPresent",
            ["securityContext"] = security,
        };
        if (ports.Count > 0)
        {
            container["ports"] = ports;
            container["livenessProbe"] = new JsonObject
            {
                ["httpGet"] = new JsonObject { ["path"] = "/healthz", ["port"] = c.Ports[0], ["scheme"] = "HTTP" },
                ["initialDelaySeconds"] = 10,
                ["timeoutSeconds"] = 1,
                ["periodSeconds"] = 10,
                ["successThreshold"] = 1,
                ["failureThreshold"] = 3,
            };
        }

        return container;
    }

    private JsonObject Metadata(string name, string ns, IDictionary<string, string> labels, JsonObject? owner, string? generateName = null, string manager = "kube-controller-manager")
    {
        var labelObject = new JsonObject();
        foreach (var (key, value) in labels)
        {
            labelObject[key] = value;
        }

        var metadata = new JsonObject { ["name"] = name };
        if (generateName is not null)
        {
            metadata["generateName"] = generateName;
        }

        metadata["namespace"] = ns;
        metadata["uid"] = Uid();
        metadata["resourceVersion"] = NextResourceVersion();
        metadata["creationTimestamp"] = Time(Created());
        metadata["labels"] = labelObject;
        if (owner is not null)
        {
            metadata["ownerReferences"] = new JsonArray(owner);
        }

        var fields = new JsonObject
        {
            ["f:metadata"] = new JsonObject
            {
                ["f:labels"] = new JsonObject(labels.Keys.Select(k => new KeyValuePair<string, JsonNode?>("f:" + k, new JsonObject())).Prepend(new KeyValuePair<string, JsonNode?>(".", new JsonObject()))),
            },
            ["f:spec"] = new JsonObject { ["f:containers"] = new JsonObject(), ["f:dnsPolicy"] = new JsonObject(), ["f:restartPolicy"] = new JsonObject() },
        };
        metadata["managedFields"] = new JsonArray(ManagedField(manager, "Update", "v1", fields));
        return metadata;
    }

    private static JsonObject OwnerRef(string apiVersion, string kind, JsonObject owner) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = owner["metadata"]!["name"]!.GetValue<string>(),
        ["uid"] = owner["metadata"]!["uid"]!.GetValue<string>(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>Adds a pod with status, owned by <paramref name="owner"/> (null for a bare pod).</summary>
    public JsonObject AddPod(WorkloadSpec workload, string name, string? nodeName, JsonObject? owner, IDictionary<string, string>? extraLabels = null, IDictionary<string, string>? annotations = null, string? generateName = null)
    {
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = workload.Name };
        foreach (var (key, value) in extraLabels ?? new Dictionary<string, string>())
        {
            labels[key] = value;
        }

        var metadata = Metadata(name, workload.Namespace, labels, owner, generateName);
        if (annotations is not null)
        {
            var annotationObject = new JsonObject();
            foreach (var (key, value) in annotations)
            {
                annotationObject[key] = value;
            }

            metadata["annotations"] = annotationObject;
        }

        var spec = PodSpec(workload, nodeName);
        var started = metadata["creationTimestamp"]!.GetValue<string>();
        var hostIp = nodeName is null ? null : "172.18.0." + (Nodes.ToList().IndexOf(nodeName) + 2);
        var podIp = workload.HostNetwork ? hostIp : "10.244." + random.Next(0, 8) + "." + random.Next(2, 250);
        var conditions = new JsonArray();
        foreach (var type in new[] { "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled" })
        {
            conditions.Add(new JsonObject { ["type"] = type, ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = started });
        }

        var statuses = new JsonArray();
        foreach (var c in workload.Containers.Where(c => !c.Init))
        {
            statuses.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = started } },
                ["lastState"] = new JsonObject(),
                ["ready"] = true,
                ["restartCount"] = 0,
                ["image"] = c.Image,
                ["imageID"] = "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(c.Image))).ToLowerInvariant(),
                ["containerID"] = "containerd://" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name + c.Name))).ToLowerInvariant(),
                ["started"] = true,
            });
        }

        var status = new JsonObject
        {
            ["phase"] = workload.Kind is "Job" or "CronJob" ? "Succeeded" : "Running",
            ["conditions"] = conditions,
        };
        if (hostIp is not null)
        {
            status["hostIP"] = hostIp;
            status["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = hostIp });
            status["podIP"] = podIp;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = podIp });
        }

        status["startTime"] = started;
        status["containerStatuses"] = statuses;
        status["qosClass"] = "Burstable";
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = spec,
            ["status"] = status,
        };
        scenario.Add(pod);
        if (workload.HostNetwork)
        {
            scenario.Declare("hostNetworkPods", workload.Namespace + "/" + name);
        }

        return pod;
    }

    private JsonObject Template(WorkloadSpec workload, IDictionary<string, string> selector) => new()
    {
        ["metadata"] = new JsonObject { ["labels"] = new JsonObject(selector.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))) },
        ["spec"] = PodSpec(workload, null),
    };

    private JsonObject WorkloadObject(string apiVersion, string kind, WorkloadSpec workload, string name, JsonObject? owner, JsonObject spec, JsonObject status)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
            ["metadata"] = Metadata(name, workload.Namespace, new Dictionary<string, string> { ["app.kubernetes.io/name"] = workload.Name }, owner, manager: owner is null ? "kubectl-client-side-apply" : "kube-controller-manager"),
            ["spec"] = spec,
            ["status"] = status,
        };
        scenario.Add(obj);
        return obj;
    }

    /// <summary>Adds a workload, its intermediate controllers and its pods; declares the truth for hostNetwork.</summary>
    public JsonObject AddWorkload(WorkloadSpec workload)
    {
        var selector = new Dictionary<string, string> { ["app.kubernetes.io/name"] = workload.Name };
        var selectorNode = new JsonObject { ["matchLabels"] = new JsonObject(selector.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))) };
        if (workload.HostNetwork)
        {
            scenario.Declare("hostNetworkWorkloads", workload.Kind + "/" + workload.Namespace + "/" + workload.Name);
        }

        switch (workload.Kind)
        {
            case "DaemonSet":
            {
                var nodes = Nodes.Count == 0 ? new List<string> { "worker-1" } : Nodes.ToList();
                var ds = WorkloadObject("apps/v1", "DaemonSet", workload, workload.Name, null,
                    new JsonObject { ["selector"] = selectorNode, ["template"] = Template(workload, selector), ["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = 1, ["maxSurge"] = 0 } } },
                    new JsonObject { ["currentNumberScheduled"] = nodes.Count, ["desiredNumberScheduled"] = nodes.Count, ["numberAvailable"] = nodes.Count, ["numberReady"] = nodes.Count, ["numberMisscheduled"] = 0, ["observedGeneration"] = 1 });
                foreach (var node in nodes)
                {
                    AddPod(workload, workload.Name + "-" + Suffix(), node, OwnerRef("apps/v1", "DaemonSet", ds), new Dictionary<string, string> { ["controller-revision-hash"] = Hash(), ["pod-template-generation"] = "1" }, generateName: workload.Name + "-");
                }

                return ds;
            }

            case "Deployment":
            {
                var deployment = WorkloadObject("apps/v1", "Deployment", workload, workload.Name, null,
                    new JsonObject { ["replicas"] = workload.Replicas, ["selector"] = selectorNode, ["template"] = Template(workload, selector), ["strategy"] = new JsonObject { ["type"] = "RollingUpdate" } },
                    new JsonObject { ["replicas"] = workload.Replicas, ["readyReplicas"] = workload.Replicas, ["availableReplicas"] = workload.Replicas, ["observedGeneration"] = 1 });
                var hash = TemplateHash();
                var rsWorkload = workload with { Kind = "ReplicaSet" };
                var rs = WorkloadObject("apps/v1", "ReplicaSet", rsWorkload, workload.Name + "-" + hash, OwnerRef("apps/v1", "Deployment", deployment),
                    new JsonObject { ["replicas"] = workload.Replicas, ["selector"] = selectorNode.DeepClone(), ["template"] = Template(workload, selector) },
                    new JsonObject { ["replicas"] = workload.Replicas, ["readyReplicas"] = workload.Replicas, ["observedGeneration"] = 1 });
                for (var i = 0; i < workload.Replicas; i++)
                {
                    AddPod(workload, workload.Name + "-" + hash + "-" + Suffix(), PickNode(), OwnerRef("apps/v1", "ReplicaSet", rs), new Dictionary<string, string> { ["pod-template-hash"] = hash }, generateName: workload.Name + "-" + hash + "-");
                }

                return deployment;
            }

            case "StatefulSet":
            {
                var sts = WorkloadObject("apps/v1", "StatefulSet", workload, workload.Name, null,
                    new JsonObject { ["replicas"] = workload.Replicas, ["selector"] = selectorNode, ["serviceName"] = workload.Name, ["template"] = Template(workload, selector) },
                    new JsonObject { ["replicas"] = workload.Replicas, ["readyReplicas"] = workload.Replicas, ["observedGeneration"] = 1 });
                for (var i = 0; i < workload.Replicas; i++)
                {
                    AddPod(workload, workload.Name + "-" + i.ToString(CultureInfo.InvariantCulture), PickNode(), OwnerRef("apps/v1", "StatefulSet", sts), new Dictionary<string, string> { ["statefulset.kubernetes.io/pod-name"] = workload.Name + "-" + i.ToString(CultureInfo.InvariantCulture) });
                }

                return sts;
            }

            case "ReplicationController":
            {
                var rc = WorkloadObject("v1", "ReplicationController", workload, workload.Name, null,
                    new JsonObject { ["replicas"] = workload.Replicas, ["selector"] = new JsonObject(selector.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))), ["template"] = Template(workload, selector) },
                    new JsonObject { ["replicas"] = workload.Replicas, ["readyReplicas"] = workload.Replicas });
                for (var i = 0; i < workload.Replicas; i++)
                {
                    AddPod(workload, workload.Name + "-" + Suffix(), PickNode(), OwnerRef("v1", "ReplicationController", rc), generateName: workload.Name + "-");
                }

                return rc;
            }

            case "Job":
            {
                var job = WorkloadObject("batch/v1", "Job", workload, workload.Name, null,
                    new JsonObject { ["suspend"] = workload.Suspended, ["backoffLimit"] = 6, ["completions"] = 1, ["parallelism"] = 1, ["template"] = Template(workload, selector) },
                    workload.Suspended ? new JsonObject() : new JsonObject { ["succeeded"] = 1, ["startTime"] = Time(Epoch) });
                if (!workload.Suspended)
                {
                    AddPod(workload, workload.Name + "-" + Suffix(), PickNode(), OwnerRef("batch/v1", "Job", job), new Dictionary<string, string> { ["job-name"] = workload.Name }, generateName: workload.Name + "-");
                }

                return job;
            }

            case "CronJob":
            {
                var cron = WorkloadObject("batch/v1", "CronJob", workload, workload.Name, null,
                    new JsonObject
                    {
                        ["schedule"] = "*/30 * * * *",
                        ["suspend"] = workload.Suspended,
                        ["concurrencyPolicy"] = "Forbid",
                        ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = Template(workload, selector) } },
                    },
                    new JsonObject { ["lastScheduleTime"] = Time(Epoch) });
                for (var i = 0; i < workload.ActiveJobs; i++)
                {
                    var jobName = workload.Name + "-" + (29000000 + i).ToString(CultureInfo.InvariantCulture);
                    var jobWorkload = workload with { Kind = "Job", Name = jobName };
                    var job = WorkloadObject("batch/v1", "Job", jobWorkload, jobName, OwnerRef("batch/v1", "CronJob", cron),
                        new JsonObject { ["template"] = Template(workload, selector) },
                        new JsonObject { ["succeeded"] = 1 });
                    AddPod(workload, jobName + "-" + Suffix(), PickNode(), OwnerRef("batch/v1", "Job", job), new Dictionary<string, string> { ["job-name"] = jobName }, generateName: jobName + "-");
                }

                return cron;
            }

            default:
                throw new ArgumentException($"unknown workload kind {workload.Kind}");
        }
    }

    /// <summary>A static pod's mirror on a control-plane node (owner: the Node, annotation kubernetes.io/config.mirror).</summary>
    public JsonObject AddStaticPod(string component, string node, string image, int port)
    {
        var workload = new WorkloadSpec("Pod", "kube-system", component)
        {
            HostNetwork = true,
            HostPaths = new[] { "/etc/kubernetes/pki", "/etc/ssl/certs" },
            Containers = new[] { new ContainerSpec(component, image) { Ports = new[] { port } } },
        };
        var nodeObject = scenario.Objects.FirstOrDefault(o => o["kind"]?.GetValue<string>() == "Node" && o["metadata"]?["name"]?.GetValue<string>() == node);
        var owner = nodeObject is null ? null : new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["name"] = node,
            ["uid"] = nodeObject["metadata"]!["uid"]!.GetValue<string>(),
            ["controller"] = true,
        };
        var hash = Hash() + Hash();
        var pod = AddPod(workload, component + "-" + node, node, owner, new Dictionary<string, string> { ["component"] = component, ["tier"] = "control-plane" }, new Dictionary<string, string>
        {
            ["kubernetes.io/config.hash"] = hash,
            ["kubernetes.io/config.mirror"] = hash,
            ["kubernetes.io/config.seen"] = Time(Epoch),
            ["kubernetes.io/config.source"] = "file",
        });

        // The apiserver refuses mirror pods that reference a service account or mount its token.
        var spec = (JsonObject)pod["spec"]!;
        spec.Remove("serviceAccountName");
        spec.Remove("serviceAccount");
        var volumes = (JsonArray)spec["volumes"]!;
        foreach (var volume in volumes.Where(v => v?["projected"] is not null).ToList())
        {
            volumes.Remove(volume);
        }

        foreach (var container in ((JsonArray)spec["containers"]!).OfType<JsonObject>())
        {
            if (container["volumeMounts"] is JsonArray mounts)
            {
                foreach (var mount in mounts.Where(m => m?["name"]?.ToString().StartsWith("kube-api-access-", StringComparison.Ordinal) == true).ToList())
                {
                    mounts.Remove(mount);
                }
            }
        }

        return pod;
    }

    private string? PickNode()
    {
        var workers = Nodes.Where(n => n.StartsWith("worker-", StringComparison.Ordinal)).ToList();
        if (workers.Count == 0)
        {
            return Nodes.Count == 0 ? null : Nodes[random.Next(Nodes.Count)];
        }

        return workers[random.Next(workers.Count)];
    }
}

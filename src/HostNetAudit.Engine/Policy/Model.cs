using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy;

/// <summary>The admission mechanism a finding is about (the record's Engine).</summary>
internal enum PolicyEngine
{
    PodSecurityAdmission,
    Kyverno,
    Gatekeeper,
    ValidatingAdmissionPolicy,
    PodSecurityPolicy,
    MutatingAdmissionPolicy,
    Probe,

    /// <summary>The module itself (a policy kind it could not read).</summary>
    HostNetAudit,
}

/// <summary>What a finding says about the mechanism in one namespace (the record's Verdict).</summary>
internal enum Verdict
{
    Refuses,
    Conditional,
    Unknown,

    /// <summary>It denies the control twin too: the denial is not about hostNetwork.</summary>
    DeniesBoth,

    /// <summary>It would refuse, but the engine or the policy skips this namespace.</summary>
    NotApplied,
    Informational,
}

/// <summary>How a verdict was reached (the record's JudgedBy).</summary>
internal enum JudgedBy
{
    /// <summary>Against the reference pod and its twin.</summary>
    Evaluated,

    /// <summary>Read from the expression, pattern or template text.</summary>
    Text,

    /// <summary>A server-side dry-run create.</summary>
    Probe,

    /// <summary>Namespace labels.</summary>
    Label,

    /// <summary>Not judged (the mechanism could not be read).</summary>
    None,
}

/// <summary>What a mechanism does to the reference pod and its twin, independent of any namespace.</summary>
internal enum PodOutcome
{
    /// <summary>Denies the reference pod and admits the twin: the denial is about hostNetwork.</summary>
    Refuses,

    /// <summary>Admits the reference pod.</summary>
    DoesNotRefuse,

    /// <summary>Denies the twin too: the denial is about something else.</summary>
    DeniesBoth,

    /// <summary>Could not be judged.</summary>
    Unknown,
}

/// <summary>A judgement of a mechanism against the reference pod and its twin.</summary>
internal sealed record PodJudgement(PodOutcome Outcome, JudgedBy JudgedBy, string Detail)
{
    /// <summary>For DeniesBoth: the field whose absence the mechanism denies (an unguarded read that errors under failurePolicy Fail).</summary>
    public string? Lacking { get; init; }

    public static PodJudgement DoesNotRefuse(string detail, JudgedBy judgedBy = JudgedBy.Evaluated) => new(PodOutcome.DoesNotRefuse, judgedBy, detail);

    public static PodJudgement Unknown(string detail, JudgedBy judgedBy = JudgedBy.Text) => new(PodOutcome.Unknown, judgedBy, detail);
}

/// <summary>Whether something applies: yes, no, only to some pods (Depends), or cannot tell.</summary>
internal enum Applies
{
    No,
    Yes,
    Depends,
    Unknown,
}

/// <summary>A tri-state answer with the reason, combinable like Kleene logic.</summary>
internal readonly record struct Scope(Applies State, string Why)
{
    public static Scope Yes(string why = "") => new(Applies.Yes, why);

    public static Scope No(string why) => new(Applies.No, why);

    public static Scope Depends(string why) => new(Applies.Depends, why);

    public static Scope Unknown(string why) => new(Applies.Unknown, why);

    /// <summary>Both must apply.</summary>
    public Scope And(Scope other) => (State, other.State) switch
    {
        (Applies.No, _) => this,
        (_, Applies.No) => other,
        (Applies.Unknown, _) => this,
        (_, Applies.Unknown) => other,
        (Applies.Depends, _) => this,
        (_, Applies.Depends) => other,
        _ => Yes(Join(Why, other.Why)),
    };

    /// <summary>The complement (an exclusion that applies means the rule does not).</summary>
    public Scope Not(string whyNot) => State switch
    {
        Applies.Yes => No(whyNot.Length > 0 ? whyNot : Why),
        Applies.No => Yes(),
        _ => this,
    };

    private static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + "; " + b;
}

/// <summary>A namespace as the evaluators see it.</summary>
internal sealed class NamespaceInfo
{
    public NamespaceInfo(string name, IReadOnlyDictionary<string, string> labels, JsonElement obj, string? source)
    {
        Name = name;
        Labels = labels;
        Object = obj;
        Source = source;
    }

    public string Name { get; }

    /// <summary>The labels, with kubernetes.io/metadata.name added as the apiserver does.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; }

    public JsonElement Object { get; }

    public string? Source { get; }

    public static NamespaceInfo From(JsonElement obj, string? source)
    {
        var name = obj.Get("metadata", "name").AsString() ?? string.Empty;
        var labels = obj.Get("metadata", "labels").AsStringMap();
        labels.TryAdd("kubernetes.io/metadata.name", name);
        return new NamespaceInfo(name, labels, obj, source);
    }
}

/// <summary>A policy-side object (policy, constraint, binding, webhook configuration...), live or from a file.</summary>
internal sealed class PolicyObject
{
    public PolicyObject(JsonElement obj, string? source, string? sourceName = null)
    {
        Object = obj;
        Source = source;
        SourceName = sourceName ?? (source is null ? null : System.IO.Path.GetFileName(source));
        var apiVersion = obj.Get("apiVersion").AsString() ?? string.Empty;
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        Group = slash < 0 ? string.Empty : apiVersion[..slash];
        Version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        Kind = obj.Get("kind").AsString() ?? string.Empty;
        Name = obj.Get("metadata", "name").AsString() ?? string.Empty;
        Namespace = obj.Get("metadata", "namespace").AsString();
    }

    public JsonElement Object { get; }

    public string? Source { get; }

    /// <summary>The evidence file as sentences name it (relative to the -Path given); null for live objects.</summary>
    public string? SourceName { get; }

    public string Group { get; }

    public string Version { get; }

    public string Kind { get; }

    public string Name { get; }

    public string? Namespace { get; }

    public JsonElement Spec => Object.Get("spec");

    /// <summary>"namespace/name" for namespaced objects, else the name.</summary>
    public string QualifiedName => string.IsNullOrEmpty(Namespace) ? Name : Namespace + "/" + Name;
}

/// <summary>A policy kind the audit could not read (403 or another failure): the namespaces it may affect become Unknown.</summary>
internal sealed record UnreadableKind(PolicyEngine Engine, string Kind, string Resource, string Group, string Message);

/// <summary>Everything the evaluators read: namespaces, policy objects, pods, and what could not be read.</summary>
internal sealed class PolicyInputs
{
    private readonly Dictionary<string, List<PolicyObject>> byKind = new(StringComparer.Ordinal);

    /// <summary>Live (a cluster) or offline (files).</summary>
    public bool Live { get; init; }

    public string Context { get; init; } = string.Empty;

    public List<NamespaceInfo> Namespaces { get; } = new();

    public List<UnreadableKind> Unreadable { get; } = new();

    /// <summary>The server's minor version (31 for v1.31.4), when known.</summary>
    public int? ServerMinor { get; set; }

    /// <summary>Live only: the API groups the server serves (an engine whose group is absent is not installed).</summary>
    public HashSet<string>? ServedGroups { get; set; }

    /// <summary>True when ValidatingWebhookConfigurations were read (live lists, or offline files holding some).</summary>
    public bool WebhooksKnown { get; set; }

    /// <summary>The kyverno ConfigMap: Found, NotFound (live 404: Kyverno runs without filters) or Unknown.</summary>
    public PolicyObject? KyvernoConfigMap { get; set; }

    public ConfigMapState KyvernoConfigMapState { get; set; } = ConfigMapState.Unknown;

    /// <summary>hostNetwork pods per namespace, with the exemption that covers each (null when pods were not read).</summary>
    public Dictionary<string, List<PodRecord>>? HostNetworkPods { get; set; }

    /// <summary>The hostNetwork pods as listed (Invoke-HostNetworkAudit reports them without listing twice).</summary>
    public List<HostNetworkPod> HostNetworkPodObjects { get; } = new();

    /// <summary>The server's gitVersion (v1.31.4), when known.</summary>
    public string? ServerVersion { get; set; }

    /// <summary>The params of ValidatingAdmissionPolicies, per paramKind (<see cref="Vap.ParamKind.Key"/>).</summary>
    public Dictionary<string, Vap.ParamSet> Params { get; } = new(StringComparer.Ordinal);

    public void Add(PolicyObject obj)
    {
        var key = obj.Group + "/" + obj.Kind;
        if (!byKind.TryGetValue(key, out var list))
        {
            list = new List<PolicyObject>();
            byKind[key] = list;
        }

        list.Add(obj);
    }

    public IReadOnlyList<PolicyObject> Of(string group, string kind) =>
        byKind.TryGetValue(group + "/" + kind, out var list) ? list : Array.Empty<PolicyObject>();

    /// <summary>Every object of a group (constraint kinds are many).</summary>
    public IEnumerable<PolicyObject> OfGroup(string group) =>
        byKind.Where(p => p.Key.StartsWith(group + "/", StringComparison.Ordinal)).SelectMany(p => p.Value);
}

/// <summary>Whether a singleton configuration object was found.</summary>
internal enum ConfigMapState
{
    Unknown,
    Found,
    NotFound,
}

/// <summary>A hostNetwork pod, reduced to what the namespace verdict needs.</summary>
internal sealed record PodRecord(string Namespace, string Name, string? OwnerKind, string? OwnerName);

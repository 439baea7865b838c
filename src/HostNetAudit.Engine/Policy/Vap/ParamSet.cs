using System.Text.Json;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Vap;

/// <summary>A ValidatingAdmissionPolicy's spec.paramKind: the API group and kind of its params (the version is the reader's).</summary>
internal readonly record struct ParamKind(string Group, string Version, string Kind)
{
    /// <summary>The paramKind of a policy spec, or null when it has none (or an unusable one).</summary>
    public static ParamKind? Of(JsonElement policySpec)
    {
        var apiVersion = policySpec.Get("paramKind", "apiVersion").AsString();
        var kind = policySpec.Get("paramKind", "kind").AsString();
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            return null;
        }

        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? new ParamKind(string.Empty, apiVersion, kind) : new ParamKind(apiVersion[..slash], apiVersion[(slash + 1)..], kind);
    }

    /// <summary>"group/kind": objects of any served version of the kind are the same params.</summary>
    public string Key => Group + "/" + Kind;

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public override string ToString() => $"{Kind} ({ApiVersion})";
}

/// <summary>Whether the params of a paramKind could be read.</summary>
internal enum ParamKindState
{
    /// <summary>Listed (live) or taken from the evidence (offline).</summary>
    Read,

    /// <summary>The API server does not serve the kind: every binding of the policy is misconfigured.</summary>
    NotServed,

    /// <summary>The list failed (403 or another error): what the params say is unknown.</summary>
    Unreadable,
}

/// <summary>
/// The param objects of one paramKind, read with one cluster-wide list (live) or taken from the evidence, and the
/// apiserver's selection of them for a binding's paramRef in a namespace.
/// </summary>
internal sealed class ParamSet
{
    public ParamSet(ParamKind kind, ParamKindState state, bool namespaced, string? problem = null)
    {
        Kind = kind;
        State = state;
        Namespaced = namespaced;
        Problem = problem;
    }

    public ParamKind Kind { get; }

    public ParamKindState State { get; }

    /// <summary>Namespaced kinds are looked up in paramRef.namespace, else in the request's namespace.</summary>
    public bool Namespaced { get; }

    /// <summary>For Unreadable: why, naming the permission that is missing.</summary>
    public string? Problem { get; }

    public List<PolicyObject> Objects { get; } = new();

    /// <summary>
    /// The params a paramRef selects for a request in <paramref name="requestNamespace"/>: by name, or every object
    /// the label selector matches; in paramRef.namespace, or the request's own namespace when that is empty.
    /// </summary>
    public List<PolicyObject> Select(JsonElement paramRef, string requestNamespace)
    {
        var name = paramRef.Get("name").AsString();
        var selector = CompiledSelector.From(paramRef.Get("selector"));
        var ns = paramRef.Get("namespace").AsString();
        var inNamespace = string.IsNullOrEmpty(ns) ? requestNamespace : ns;
        return Objects
            .Where(o => !Namespaced || string.Equals(o.Namespace ?? "default", inNamespace, StringComparison.Ordinal))
            .Where(o => !string.IsNullOrEmpty(name)
                ? string.Equals(o.Name, name, StringComparison.Ordinal)
                : selector.Present && selector.Matches(o.Object.Get("metadata", "labels").AsStringMap()) == true)
            .ToList();
    }

    /// <summary>How a paramRef names its params, for details.</summary>
    public static string Describe(JsonElement paramRef)
    {
        var which = paramRef.Get("name").AsString() is { Length: > 0 } name ? "named " + name : "selected by " + LabelSelector.Describe(paramRef.Get("selector"));
        return paramRef.Get("namespace").AsString() is { Length: > 0 } ns ? $"{which} in namespace {ns}" : which;
    }
}

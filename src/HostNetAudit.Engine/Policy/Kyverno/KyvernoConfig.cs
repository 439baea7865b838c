using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Engine.Json;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>
/// The kyverno ConfigMap as Kyverno reads it: resourceFilters ([kind,namespace,name] entries; a matching
/// admission request is not processed at all) and the request exclusions (excludeGroups, excludeUsernames,
/// excludeRoles, excludeClusterRoles; a leading '!' makes an entry an inclusion). Without the ConfigMap in the
/// evidence, the chart's defaults are assumed (they filter kube-system, kube-public, kube-node-lease and Kyverno's
/// own namespace); a live 404 means Kyverno runs without filters.
/// </summary>
internal sealed partial class KyvernoConfig
{
    /// <summary>The Helm chart's default resourceFilters that concern pods.</summary>
    public const string ChartDefaultFilters = "[Event,*,*][*/*,kube-system,*][*/*,kube-public,*][*/*,kube-node-lease,*][Node,*,*][Node/*,*,*][APIService,*,*][APIService/*,*,*][TokenReview,*,*][SubjectAccessReview,*,*][SelfSubjectAccessReview,*,*][Binding,*,*][Pod/binding,*,*][ReplicaSet,*,*][ReplicaSet/*,*,*][EphemeralReport,*,*][ClusterEphemeralReport,*,*][*/*,kyverno,*]";

    private readonly List<Filter> filters;
    private readonly Exclusions exclusions;
    private Scope? exclusionScope;

    private KyvernoConfig(List<Filter> filters, Exclusions exclusions, string origin, bool assumed)
    {
        this.filters = filters;
        this.exclusions = exclusions;
        Origin = origin;
        Assumed = assumed;
    }

    /// <summary>Where the configuration came from, for details.</summary>
    public string Origin { get; }

    /// <summary>The namespaceSelector of the ConfigMap's "webhooks" entry (Kyverno puts it on its webhooks), if any.</summary>
    public JsonElement WebhookNamespaceSelector { get; private init; }

    /// <summary>The objectSelector of the ConfigMap's "webhooks" entry, if any.</summary>
    public JsonElement WebhookObjectSelector { get; private init; }

    public bool Assumed { get; }

    public static KyvernoConfig From(PolicyInputs inputs)
    {
        switch (inputs.KyvernoConfigMapState)
        {
            case ConfigMapState.Found:
                var data = inputs.KyvernoConfigMap!.Object.Get("data");
                var origin = $"ConfigMap {inputs.KyvernoConfigMap.QualifiedName}" + (inputs.KyvernoConfigMap.Source is { } s ? $" ({s})" : string.Empty);
                var webhook = FirstWebhook(data.Get("webhooks").AsString());
                return new KyvernoConfig(
                    ParseFilters(data.Get("resourceFilters").AsString() ?? string.Empty),
                    new Exclusions(
                        Split(data.Get("excludeGroups").AsString()),
                        Split(data.Get("excludeUsernames").AsString()),
                        Split(data.Get("excludeRoles").AsString()),
                        Split(data.Get("excludeClusterRoles").AsString())),
                    origin,
                    false)
                {
                    WebhookNamespaceSelector = webhook.Get("namespaceSelector"),
                    WebhookObjectSelector = webhook.Get("objectSelector"),
                };
            case ConfigMapState.NotFound:
                return new KyvernoConfig(new List<Filter>(), Exclusions.None, "no kyverno ConfigMap (Kyverno runs without resource filters)", false);
            default:
                return new KyvernoConfig(ParseFilters(ChartDefaultFilters), new Exclusions(new[] { "system:nodes" }, Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>()), "the Kyverno chart's default ConfigMap (assumed: the kyverno ConfigMap is not in the evidence)", true);
        }
    }

    /// <summary>Whether Kyverno processes the creation of the reference pod in the namespace at all.</summary>
    public Scope Processes(NamespaceInfo ns)
    {
        foreach (var filter in filters)
        {
            if (!filter.PodKind || !Wildcard.Match(filter.Namespace, ns.Name))
            {
                continue;
            }

            if (filter.Name == "*")
            {
                return Scope.No($"Kyverno's resourceFilters entry [{filter.Text}] in {Origin} skips every pod in {ns.Name}");
            }

            return Scope.Depends($"Kyverno's resourceFilters entry [{filter.Text}] skips pods named {filter.Name}");
        }

        return exclusionScope ??= ExclusionScope();
    }

    private Scope ExclusionScope()
    {
        var controller = exclusions.ExcludesController();
        if (controller is not null)
        {
            return Scope.No($"{Origin} excludes {controller}, which the controllers that create pods carry, so Kyverno never validates their pods");
        }

        var others = exclusions.Describe();
        return others is null ? Scope.Yes() : Scope.Depends($"{Origin} exempts requests by {others}");
    }

    /// <summary>The first entry of the ConfigMap's "webhooks" JSON (a list of {namespaceSelector, objectSelector}); Kyverno ignores text it cannot parse.</summary>
    private static JsonElement FirstWebhook(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return default;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return root.ValueKind switch
            {
                JsonValueKind.Array => root.GetArrayLength() > 0 ? root[0].Clone() : default,
                JsonValueKind.Object => root.Clone(),
                _ => default,
            };
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static List<Filter> ParseFilters(string text) =>
        FilterPattern().Matches(text).Select(m => Filter.Parse(m.Groups[1].Value)).Where(f => f is not null).Select(f => f!).ToList();

    private static string[] Split(string? text) =>
        (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"\[([^\[\]]*)\]")]
    private static partial Regex FilterPattern();

    private sealed record Filter(string Text, string Kind, string Namespace, string Name)
    {
        public bool PodKind { get; } = KyvernoKinds.MatchesPod(Kind);

        public static Filter? Parse(string text)
        {
            var parts = text.Split(',').Select(p => p.Trim()).ToArray();
            return parts.Length switch
            {
                1 => new Filter(text, parts[0], "*", "*"),
                2 => new Filter(text, parts[0], parts[1], "*"),
                3 => new Filter(text, parts[0], parts[1], parts[2]),
                _ => null,
            };
        }
    }

    private sealed record Exclusions(string[] Groups, string[] Usernames, string[] Roles, string[] ClusterRoles)
    {
        public static readonly Exclusions None = new(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>());

        /// <summary>The exclusion that covers the controller identity, if any (inclusions with '!' win).</summary>
        public string? ExcludesController()
        {
            var included = Usernames.Where(u => u.StartsWith('!')).Any(u => Wildcard.Match(u[1..], ReferencePod.ControllerUser)) ||
                Groups.Where(g => g.StartsWith('!')).Any(g => ReferencePod.ControllerGroups.Any(c => Wildcard.Match(g[1..], c)));
            if (included)
            {
                return null;
            }

            var group = Groups.Where(g => !g.StartsWith('!')).FirstOrDefault(g => ReferencePod.ControllerGroups.Any(c => Wildcard.Match(g, c)));
            if (group is not null)
            {
                return "group " + group + " (excludeGroups)";
            }

            var user = Usernames.Where(u => !u.StartsWith('!')).FirstOrDefault(u => Wildcard.Match(u, ReferencePod.ControllerUser));
            return user is null ? null : "user " + user + " (excludeUsernames)";
        }

        /// <summary>Exclusions other than system:nodes (which only creates static pods' mirrors).</summary>
        public string? Describe()
        {
            var parts = Groups.Where(g => !g.StartsWith('!') && g != "system:nodes").Select(g => "group " + g)
                .Concat(Usernames.Where(u => !u.StartsWith('!')).Select(u => "user " + u))
                .Concat(Roles.Where(r => !r.StartsWith('!')).Select(r => "role " + r))
                .Concat(ClusterRoles.Where(r => !r.StartsWith('!')).Select(r => "cluster role " + r))
                .ToList();
            return parts.Count == 0 ? null : string.Join(", ", parts);
        }
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using HostNetAudit.Engine.Json;
using HostNetAudit.Engine.Policy.Cel;

namespace HostNetAudit.Engine.Policy.Kyverno;

/// <summary>
/// The kyverno ConfigMap as Kyverno reads it: resourceFilters ([kind,namespace,name] entries; a matching
/// admission request is not processed at all), the request exclusions (excludeGroups, excludeUsernames,
/// excludeRoles, excludeClusterRoles: comma-separated, trimmed; a leading '!' makes an entry an inclusion, and an
/// inclusion that matches the request in any of the four lists wins over every exclusion), and what Kyverno puts
/// on its resource webhooks: the "webhooks" entry's selectors and the "matchConditions" entry (Kyverno 1.11+,
/// chart value config.matchConditions: requests that fail them never reach Kyverno). Without the ConfigMap in
/// the evidence, the chart's defaults are assumed (they filter kube-system, kube-public, kube-node-lease and
/// Kyverno's own namespace); a live 404 means Kyverno runs without filters.
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

    /// <summary>Where the configuration came from, for details ("the kyverno ConfigMap (file)").</summary>
    public string Origin { get; }

    /// <summary>The ConfigMap's "matchConditions" (JSON list of {name, expression}): Kyverno copies them onto its resource webhooks.</summary>
    public IReadOnlyList<CelNamedExpression> MatchConditions { get; private init; } = Array.Empty<CelNamedExpression>();

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
                var origin = $"the kyverno ConfigMap {inputs.KyvernoConfigMap.QualifiedName}" + (inputs.KyvernoConfigMap.SourceName is { } s ? $" ({s})" : string.Empty);
                var webhook = ParseJson(data.Get("webhooks").AsString());
                if (webhook.ValueKind == JsonValueKind.Array)
                {
                    webhook = webhook.GetArrayLength() > 0 ? webhook[0] : default;
                }

                var conditions = ParseJson(data.Get("matchConditions").AsString());
                return new KyvernoConfig(
                    ParseFilters(data.Get("resourceFilters").AsString() ?? string.Empty),
                    new Exclusions(
                        Entries.Parse(data.Get("excludeGroups").AsString()),
                        Entries.Parse(data.Get("excludeUsernames").AsString()),
                        Entries.Parse(data.Get("excludeRoles").AsString()),
                        Entries.Parse(data.Get("excludeClusterRoles").AsString())),
                    origin,
                    false)
                {
                    WebhookNamespaceSelector = webhook.Get("namespaceSelector"),
                    WebhookObjectSelector = webhook.Get("objectSelector"),
                    MatchConditions = conditions.ValueKind == JsonValueKind.Array ? CelVerdicts.Named(conditions) : Array.Empty<CelNamedExpression>(),
                };
            case ConfigMapState.NotFound:
                return new KyvernoConfig(new List<Filter>(), new Exclusions(Entries.None, Entries.None, Entries.None, Entries.None), "no kyverno ConfigMap (Kyverno runs without resource filters)", false);
            default:
                return new KyvernoConfig(ParseFilters(ChartDefaultFilters), new Exclusions(Entries.Parse("system:nodes"), Entries.None, Entries.None, Entries.None), "the Kyverno chart's default ConfigMap (assumed: the kyverno ConfigMap is not in the evidence)", true);
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
            return Scope.No($"{controller} is excluded from Kyverno by {Origin}: the controllers that create pods carry it, so Kyverno never validates their pods");
        }

        var others = exclusions.Describe();
        return others is null ? Scope.Yes() : Scope.Depends($"requests by {others} are excluded from Kyverno by {Origin}");
    }

    /// <summary>A JSON value held as text in the ConfigMap; Kyverno ignores text it cannot parse.</summary>
    private static JsonElement ParseJson(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return default;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static List<Filter> ParseFilters(string text) =>
        FilterPattern().Matches(text).Select(m => Filter.Parse(m.Groups[1].Value)).Where(f => f is not null).Select(f => f!).ToList();

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

    /// <summary>One exclusion list as Kyverno parses it: comma-separated, trimmed, "!name" an inclusion, "!" alone ignored.</summary>
    private sealed record Entries(string[] Excluded, string[] Included)
    {
        public static readonly Entries None = new(Array.Empty<string>(), Array.Empty<string>());

        public static Entries Parse(string? text)
        {
            var excluded = new List<string>();
            var included = new List<string>();
            foreach (var entry in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!entry.StartsWith('!'))
                {
                    excluded.Add(entry);
                }
                else if (entry[1..].Trim() is { Length: > 0 } name)
                {
                    included.Add(name);
                }
            }

            return new Entries(excluded.ToArray(), included.ToArray());
        }
    }

    private sealed record Exclusions(Entries Groups, Entries Usernames, Entries Roles, Entries ClusterRoles)
    {
        /// <summary>
        /// The exclusion that covers the reference pod's creator (the ReplicaSet controller: its user, its groups and
        /// the cluster roles bound to them), if any. An inclusion that matches it in any list wins, as in Kyverno.
        /// </summary>
        public string? ExcludesController()
        {
            bool AnyMatch(IEnumerable<string> patterns, IEnumerable<string> values) => patterns.Any(p => values.Any(v => Wildcard.Match(p, v)));
            var user = new[] { ReferencePod.ControllerUser };
            if (AnyMatch(Usernames.Included, user) || AnyMatch(Groups.Included, ReferencePod.ControllerGroups) || AnyMatch(ClusterRoles.Included, ReferencePod.ControllerClusterRoles))
            {
                return null;
            }

            var group = Groups.Excluded.FirstOrDefault(g => ReferencePod.ControllerGroups.Any(c => Wildcard.Match(g, c)));
            if (group is not null)
            {
                return $"group {group} (excludeGroups)";
            }

            var name = Usernames.Excluded.FirstOrDefault(u => Wildcard.Match(u, ReferencePod.ControllerUser));
            if (name is not null)
            {
                return $"user {name} (excludeUsernames)";
            }

            var role = ClusterRoles.Excluded.FirstOrDefault(r => ReferencePod.ControllerClusterRoles.Any(c => Wildcard.Match(r, c)));
            return role is null ? null : $"cluster role {role} (excludeClusterRoles)";
        }

        /// <summary>Exclusions other than system:nodes (which only creates static pods' mirrors).</summary>
        public string? Describe()
        {
            if (Groups.Included.Any(g => Wildcard.Match(g, "system:authenticated")))
            {
                return null; // every authenticated request is included again
            }

            var parts = Groups.Excluded.Where(g => g != "system:nodes").Select(g => "group " + g)
                .Concat(Usernames.Excluded.Select(u => "user " + u))
                .Concat(Roles.Excluded.Select(r => "role " + r))
                .Concat(ClusterRoles.Excluded.Select(r => "cluster role " + r))
                .ToList();
            return parts.Count == 0 ? null : string.Join(", ", parts);
        }
    }
}

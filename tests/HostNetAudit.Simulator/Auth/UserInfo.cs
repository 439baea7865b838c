using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace HostNetAudit.Simulator.Auth;

/// <summary>Who a request acts as, as the apiserver's authenticators and impersonation filter produce it.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null)
{
    public const string Authenticated = "system:authenticated";
    public const string Unauthenticated = "system:unauthenticated";
    public const string Masters = "system:masters";
    public const string Anonymous = "system:anonymous";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    public IReadOnlyDictionary<string, IReadOnlyList<string>> ExtraOrEmpty => Extra ?? new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>
    /// A user a token or client certificate authenticated: the given groups, plus system:authenticated, plus for a
    /// service account token (serviceAccount true) system:serviceaccounts and system:serviceaccounts:&lt;ns&gt;.
    /// </summary>
    public static UserInfo Authenticate(string name, IEnumerable<string>? groups, bool serviceAccount)
    {
        var all = new List<string>();
        if (serviceAccount && TrySplitServiceAccount(name, out var ns, out _))
        {
            all.AddRange(ServiceAccountGroups(ns));
        }

        foreach (var group in groups ?? Array.Empty<string>())
        {
            if (!all.Contains(group, StringComparer.Ordinal))
            {
                all.Add(group);
            }
        }

        if (!all.Contains(Authenticated, StringComparer.Ordinal))
        {
            all.Add(Authenticated);
        }

        return new UserInfo(name, all);
    }

    public static IReadOnlyList<string> ServiceAccountGroups(string ns) => new[] { "system:serviceaccounts", "system:serviceaccounts:" + ns };

    public static string ServiceAccountName(string ns, string name) => ServiceAccountPrefix + ns + ":" + name;

    /// <summary>system:serviceaccount:&lt;ns&gt;:&lt;name&gt; into its parts, as the apiserver splits it.</summary>
    public static bool TrySplitServiceAccount(string username, out string ns, out string name)
    {
        ns = name = string.Empty;
        if (!username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = username[ServiceAccountPrefix.Length..].Split(':');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return false;
        }

        ns = parts[0];
        name = parts[1];
        return true;
    }

    public bool InGroup(string group) => Groups.Contains(group, StringComparer.Ordinal);

    /// <summary>authentication.k8s.io UserInfo, as SelfSubjectReview and admission requests carry it.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["username"] = Name };
        if (Uid is not null)
        {
            json["uid"] = Uid;
        }

        json["groups"] = new JsonArray(Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray());
        if (Extra is { Count: > 0 })
        {
            var extra = new JsonObject();
            foreach (var (key, values) in Extra)
            {
                extra[key] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            }

            json["extra"] = extra;
        }

        return json;
    }

    /// <summary>The groups a client certificate names: its subject's O values, in order.</summary>
    public static IReadOnlyList<string> CertificateOrganizations(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var organizations = new List<string>();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value == "2.5.4.10" && rdn.GetSingleElementValue() is { } value)
            {
                organizations.Add(value);
            }
        }

        return organizations;
    }
}

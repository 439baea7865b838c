using System.Globalization;
using System.Text.Json;
using HostNetAudit.Engine.Offline;

namespace HostNetAudit.Engine.Policy.Exemptions;

/// <summary>
/// An identity the exemptions file declares as one of the "limited service accounts and users" the control allows
/// to get hostNetwork pods admitted: kind (User, Group or ServiceAccount), exact name, the namespace of a service
/// account, a justification, and optionally the contexts it applies to and when it expires.
/// </summary>
internal sealed record DeclaredIdentity(string Kind, string Name, string? Namespace, string Justification, string? Context, DateTimeOffset? Expires, string Source, int Index)
{
    private static readonly string[] Kinds = { "User", "Group", "ServiceAccount" };

    public string Describe() => Kind == "ServiceAccount" ? $"ServiceAccount {Namespace}/{Name}" : Kind + " " + Name;

    public bool InContext(string context) => Context is null || Wildcard.MatchIgnoreCase(Context, context);

    /// <summary>
    /// Reads an identities list strictly, as the exemptions are read: every field a non-empty string, known fields
    /// only, a known kind, an exact name (a wildcard would declare identities nobody named), a namespace exactly for
    /// service accounts. <paramref name="offset"/>: identities already read from the file's earlier documents.
    /// </summary>
    public static List<DeclaredIdentity> Read(JsonElement list, int offset, string path, Func<string, Exception> invalid)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            throw invalid($"'identities' is {ConfigurationObject.Describe(list)}, not a list");
        }

        var result = new List<DeclaredIdentity>();
        foreach (var item in list.EnumerateArray())
        {
            var index = offset + result.Count + 1;
            var entry = new ConfigurationObject(item, $"identity {index}", invalid);
            entry.RefuseUnknownFields("kind", "name", "namespace", "justification", "context", "expires");
            string? Field(string name)
            {
                var value = entry.String(name);
                return (value is null && entry.Has(name)) || (value is not null && value.Trim().Length == 0)
                    ? throw invalid($"{entry.Where}: '{name}' is empty; leave the field out or give it a value")
                    : value;
            }

            var kind = Field("kind");
            var name = Field("name");
            var ns = Field("namespace");
            var justification = Field("justification")?.Trim();
            var expiresText = Field("expires");
            if (kind is null || !Kinds.Contains(kind, StringComparer.Ordinal))
            {
                throw invalid($"{entry.Where} needs a kind: User, Group or ServiceAccount");
            }

            if (name is null || name.Contains('*', StringComparison.Ordinal) || name.Contains('?', StringComparison.Ordinal))
            {
                throw invalid($"{entry.Where} needs an exact name (no wildcards: an identity is declared by name)");
            }

            if ((kind == "ServiceAccount") != (ns is not null))
            {
                throw invalid(kind == "ServiceAccount" ? $"{entry.Where} is a ServiceAccount and needs its namespace" : $"{entry.Where} is a {kind}; only a ServiceAccount has a namespace");
            }

            if (string.IsNullOrEmpty(justification))
            {
                throw invalid($"{entry.Where} has no justification; every declared identity must say why");
            }

            DateTimeOffset? expires = null;
            if (expiresText is not null)
            {
                if (!DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    throw invalid($"{entry.Where} has an expiry '{expiresText}' that is not a date (use yyyy-MM-dd)");
                }

                expires = parsed;
            }

            result.Add(new DeclaredIdentity(kind, name, ns, justification, Field("context"), expires, path, index));
        }

        return result;
    }
}

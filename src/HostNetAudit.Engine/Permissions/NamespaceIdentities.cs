namespace HostNetAudit.Engine.Permissions;

/// <summary>
/// What the audit says per namespace that admits hostNetwork pods (for anyone or through exceptions): the identities,
/// other than the control plane's own, that can get one admitted there (Open, ViaException or Escalation paths, not
/// latent bindings), and those of them no identities section declares.
/// </summary>
internal sealed record NamespaceIdentities(IReadOnlyList<string> All, IReadOnlyList<string> Undeclared)
{
    public static IReadOnlyDictionary<string, NamespaceIdentities> Of(IReadOnlyList<HostNetworkPermission> records, IReadOnlyList<NamespaceAdmission> covered)
    {
        var byNamespace = records
            .Where(r => !r.Latent && r.PathType != PathTypes.UsesExistingPod && r.Category != PermissionCategories.ControlPlane)
            .GroupBy(r => r.Namespace, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var result = new Dictionary<string, NamespaceIdentities>(StringComparer.Ordinal);
        foreach (var ns in covered.Where(c => c.Mode != AdmissionMode.Closed))
        {
            var list = byNamespace.GetValueOrDefault(ns.Namespace) ?? new List<HostNetworkPermission>();
            result[ns.Namespace] = new NamespaceIdentities(
                list.Select(r => r.Subject).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                list.Where(r => !r.Declared).Select(r => r.Subject).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
        }

        return result;
    }
}

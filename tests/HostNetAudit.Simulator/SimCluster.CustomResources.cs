using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Store;

namespace HostNetAudit.Simulator;

/// <summary>CustomResourceDefinitions make their resources served (discovery, CRUD, apply) while they exist.</summary>
public sealed partial class SimCluster
{
    /// <summary>After a CRD changed: versions it no longer serves go (with their objects), the others get its new schema.</summary>
    private void ServeCustomResources(JsonObject? old, JsonObject? stored)
    {
        var after = stored is null ? new List<ResourceDefinition>() : CustomResources.Definitions(stored).ToList();
        foreach (var gone in (old is null ? Enumerable.Empty<ResourceDefinition>() : CustomResources.Definitions(old)).Where(b => after.All(a => a.Key != b.Key)))
        {
            Store.Unregister(gone);
        }

        foreach (var definition in after)
        {
            Store.Replace(definition);
        }
    }
}

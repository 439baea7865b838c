using System.Globalization;
using System.Text;

namespace HostNetAudit.Simulator;

/// <summary>
/// Several independent simulated clusters in one process, each with its own ports, CA, token, scenario, state,
/// faults, latency and request log: a fleet for parallel-audit tests and benchmarks without a process per cluster.
/// </summary>
public sealed class SimFleet : IAsyncDisposable
{
    private SimFleet(IReadOnlyList<SimServer> servers, IReadOnlyList<string> contexts)
    {
        Servers = servers;
        Contexts = contexts;
    }

    public IReadOnlyList<SimServer> Servers { get; }

    /// <summary>The context name of each cluster, in order.</summary>
    public IReadOnlyList<string> Contexts { get; }

    /// <summary>Starts the clusters; each is named &lt;prefix&gt;-01, -02 ... (two digits at least, so names sort).</summary>
    public static async Task<SimFleet> StartAsync(IReadOnlyList<SimCluster> clusters, string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        var servers = new List<SimServer>();
        try
        {
            foreach (var cluster in clusters)
            {
                servers.Add(await SimServer.StartAsync(cluster, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        var width = Math.Max(2, clusters.Count.ToString(CultureInfo.InvariantCulture).Length);
        var contexts = Enumerable.Range(1, clusters.Count).Select(i => prefix + "-" + i.ToString("D" + width.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)).ToList();
        return new SimFleet(servers, contexts);
    }

    /// <summary>One kubeconfig with a context per cluster (HTTPS, its CA and token); the first is current.</summary>
    public string KubeConfig()
    {
        var text = new StringBuilder();
        text.Append("apiVersion: v1\nkind: Config\n");
        text.Append("current-context: ").Append(Contexts[0]).Append('\n');
        text.Append("clusters:\n");
        for (var i = 0; i < Servers.Count; i++)
        {
            var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(Servers[i].Certificates.AuthorityPem));
            text.Append("- name: ").Append(Contexts[i]).Append("\n  cluster:\n    server: ").Append(Servers[i].HttpsUrl.AbsoluteUri.TrimEnd('/')).Append("\n    certificate-authority-data: ").Append(ca).Append('\n');
        }

        text.Append("users:\n");
        for (var i = 0; i < Servers.Count; i++)
        {
            text.Append("- name: ").Append(Contexts[i]).Append("-user\n  user:\n    token: ").Append(Servers[i].Token).Append('\n');
        }

        text.Append("contexts:\n");
        foreach (var context in Contexts)
        {
            text.Append("- name: ").Append(context).Append("\n  context:\n    cluster: ").Append(context).Append("\n    user: ").Append(context).Append("-user\n");
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in Servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}

using k8s.KubeConfigModels;

namespace HostNetAudit.Engine.Connection;

/// <summary>
/// Merges kubeconfig files as kubectl does for a KUBECONFIG list: the first file that sets
/// current-context wins, and for clusters, users and contexts the first definition of a name wins.
/// Relative certificate paths are resolved against the file that names them.
/// </summary>
internal static class KubeConfigMerger
{
    public static K8SConfiguration Load(IReadOnlyList<string> files)
    {
        var merged = new K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            FileName = files.Count > 0 ? files[0] : null,
        };
        var contexts = new List<Context>();
        var clusters = new List<Cluster>();
        var users = new List<User>();
        foreach (var file in files)
        {
            var config = KubeConfigReader.Read(file);
            if (config is null)
            {
                continue;
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
            if (string.IsNullOrEmpty(merged.CurrentContext) && !string.IsNullOrEmpty(config.CurrentContext))
            {
                merged.CurrentContext = config.CurrentContext;
            }

            foreach (var context in config.Contexts ?? Enumerable.Empty<Context>())
            {
                if (!string.IsNullOrEmpty(context.Name) && !contexts.Any(c => c.Name == context.Name))
                {
                    contexts.Add(context);
                }
            }

            foreach (var cluster in config.Clusters ?? Enumerable.Empty<Cluster>())
            {
                if (string.IsNullOrEmpty(cluster.Name) || clusters.Any(c => c.Name == cluster.Name))
                {
                    continue;
                }

                if (cluster.ClusterEndpoint is { } endpoint)
                {
                    endpoint.CertificateAuthority = Absolute(directory, endpoint.CertificateAuthority);
                }

                clusters.Add(cluster);
            }

            foreach (var user in config.Users ?? Enumerable.Empty<User>())
            {
                if (string.IsNullOrEmpty(user.Name) || users.Any(u => u.Name == user.Name))
                {
                    continue;
                }

                if (user.UserCredentials is { } credentials)
                {
                    credentials.ClientCertificate = Absolute(directory, credentials.ClientCertificate);
                    credentials.ClientKey = Absolute(directory, credentials.ClientKey);
                }

                users.Add(user);
            }
        }

        merged.Contexts = contexts;
        merged.Clusters = clusters;
        merged.Users = users;
        return merged;
    }

    private static string Absolute(string directory, string path) =>
        string.IsNullOrEmpty(path) || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(directory, path));
}

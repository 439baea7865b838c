using HostNetAudit.Abstractions;
using k8s.KubeConfigModels;

namespace HostNetAudit.Engine.Policy;

/// <summary>Who the probe runs as, when the server cannot say (no SelfSubjectReview): the credentials' label.</summary>
internal static class ProbeIdentity
{
    public static string Describe(ConnectionRequest request, KubeConfigInfo? kubeConfig, string? context)
    {
        switch (request.Mode)
        {
            case ConnectionMode.Token:
                return "the bearer token given with -Token (user not known to the client)";
            case ConnectionMode.InCluster:
                return "the pod's service account";
        }

        if (kubeConfig is null || kubeConfig.InCluster || kubeConfig.Handle is not K8SConfiguration config)
        {
            return "the pod's service account";
        }

        var name = context ?? kubeConfig.CurrentContext;
        var user = config.Contexts?.FirstOrDefault(c => c.Name == name)?.ContextDetails?.User;
        return user is null ? $"the user of context '{name}'" : $"kubeconfig user '{user}'";
    }
}

using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using HostNetAudit.Abstractions;
using k8s;
using k8s.Authentication;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace HostNetAudit.Engine.Connection;

/// <summary>Turns a connection request into a KubernetesClient configuration, for each mode.</summary>
internal static class ClusterConnector
{
    public const string DefaultServiceAccountRoot = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static KubeConfigInfo LoadKubeConfig(ConnectionRequest request, KubeConfigLocator? locator = null)
    {
        locator ??= new KubeConfigLocator();
        var location = locator.Locate(request.KubeConfigPath);
        if (location.Missing.Count > 0 && (request.KubeConfigPath is not null || location.Files.Count == 0))
        {
            if (request.KubeConfigPath is null && location.Files.Count == 0 && locator.IsInCluster())
            {
                return new KubeConfigInfo(Array.Empty<string>(), null, Array.Empty<string>(), null, inCluster: true);
            }

            // With files that exist (an explicit path list), the first missing one is the problem; with none
            // (every file of $env:KUBECONFIG missing), say so of each, not only the first.
            var missing = location.Files.Count == 0 && location.Missing.Count > 1
                ? string.Join(Path.PathSeparator, location.Missing)
                : location.Missing[0];
            throw new HostNetAuditException(
                "KubeConfigNotFound",
                FailureCategory.ObjectNotFound,
                missing,
                location.Files.Count == 0 && location.Missing.Count > 1
                    ? $"None of the kubeconfig files from {location.Source} exists: '{string.Join("', '", location.Missing)}'."
                    : $"The kubeconfig file '{missing}' (from {location.Source}) does not exist.")
            {
                RecommendedAction = "Pass -KubeConfig <path>, set $env:KUBECONFIG, or connect with -Server and -Token.",
            };
        }

        if (location.Files.Count == 0)
        {
            if (locator.IsInCluster())
            {
                return new KubeConfigInfo(Array.Empty<string>(), null, Array.Empty<string>(), null, inCluster: true);
            }

            throw new HostNetAuditException(
                "KubeConfigNotFound",
                FailureCategory.ObjectNotFound,
                location.Source,
                "No kubeconfig was found ($env:KUBECONFIG is not set and ~/.kube/config does not exist) and the session is not running in a pod.")
            {
                RecommendedAction = "Pass -KubeConfig <path>, set $env:KUBECONFIG, or connect with -Server and -Token.",
            };
        }

        foreach (var file in location.Files)
        {
            try
            {
                using var probe = File.OpenRead(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new HostNetAuditException("KubeConfigUnreadable", FailureCategory.ReadError, file, $"The kubeconfig file '{file}' cannot be read: {ex.Message}", ex);
            }
        }

        K8SConfiguration config;
        try
        {
            config = KubeConfigMerger.Load(location.Files);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var file = location.Files.Count == 1 ? location.Files[0] : string.Join(locator.ListSeparator, location.Files);
            throw new HostNetAuditException(
                "KubeConfigInvalid",
                FailureCategory.InvalidData,
                file,
                $"The kubeconfig '{file}' is not a valid kubeconfig: {Describe(ex)}",
                ex);
        }

        if (config is null)
        {
            throw new HostNetAuditException("KubeConfigInvalid", FailureCategory.InvalidData, location.Files[0], $"The kubeconfig '{location.Files[0]}' is empty.");
        }

        var contexts = (config.Contexts ?? Enumerable.Empty<Context>()).Select(c => c.Name).Where(n => !string.IsNullOrEmpty(n)).ToList();
        return new KubeConfigInfo(contexts, config.CurrentContext, location.Files, config);
    }

    public static KubernetesClientConfiguration Build(ConnectionRequest request, KubeConfigInfo? info, string? context, out string contextLabel)
    {
        switch (request.Mode)
        {
            case ConnectionMode.Token:
                return BuildToken(request, out contextLabel);
            case ConnectionMode.InCluster:
                contextLabel = "in-cluster";
                return BuildInCluster(request, Environment.GetEnvironmentVariable);
            default:
                if (info is null || info.InCluster)
                {
                    contextLabel = "in-cluster";
                    return BuildInCluster(request, Environment.GetEnvironmentVariable);
                }

                contextLabel = context ?? info.CurrentContext ?? string.Empty;
                return BuildFromKubeConfig(request, info, contextLabel);
        }
    }

    private static KubernetesClientConfiguration BuildFromKubeConfig(ConnectionRequest request, KubeConfigInfo info, string context)
    {
        CheckReferences((K8SConfiguration)info.Handle!, info, context);
        try
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigObject((K8SConfiguration)info.Handle!, context);
            if (request.SkipTlsVerify)
            {
                config.SkipTlsVerify = true;
            }

            return config;
        }
        catch (Exception ex) when (ex is KubeConfigException or CryptographicException or FormatException or ArgumentException or IOException)
        {
            throw new HostNetAuditException(
                "KubeConfigInvalid",
                FailureCategory.InvalidData,
                context,
                $"The context '{context}' of the kubeconfig '{string.Join(Path.PathSeparator, info.Files)}' cannot be used: {Describe(ex)}",
                ex);
        }
    }

    /// <summary>
    /// A context that names a cluster or user the kubeconfig does not define: say which, in kubectl's terms
    /// (KubernetesClient's own message names a .NET type instead of the missing entry).
    /// </summary>
    private static void CheckReferences(K8SConfiguration config, KubeConfigInfo info, string context)
    {
        var details = config.Contexts?.FirstOrDefault(c => string.Equals(c.Name, context, StringComparison.Ordinal))?.ContextDetails;
        if (details is null)
        {
            return;
        }

        var files = string.Join(Path.PathSeparator, info.Files);
        var clusters = (config.Clusters ?? Enumerable.Empty<Cluster>()).Select(c => c.Name).ToList();
        if (string.IsNullOrEmpty(details.Cluster) || !clusters.Contains(details.Cluster, StringComparer.Ordinal))
        {
            throw new HostNetAuditException(
                "KubeConfigInvalid",
                FailureCategory.InvalidData,
                context,
                string.IsNullOrEmpty(details.Cluster)
                    ? $"The context '{context}' of the kubeconfig '{files}' names no cluster."
                    : $"The context '{context}' of the kubeconfig '{files}' names the cluster '{details.Cluster}', which the kubeconfig does not define (clusters: {(clusters.Count == 0 ? "none" : string.Join(", ", clusters))}).");
        }

        var users = (config.Users ?? Enumerable.Empty<User>()).Select(u => u.Name).ToList();
        if (!string.IsNullOrEmpty(details.User) && !users.Contains(details.User, StringComparer.Ordinal))
        {
            throw new HostNetAuditException(
                "KubeConfigInvalid",
                FailureCategory.InvalidData,
                context,
                $"The context '{context}' of the kubeconfig '{files}' names the user '{details.User}', which the kubeconfig does not define (users: {(users.Count == 0 ? "none" : string.Join(", ", users))}).");
        }
    }

    private static KubernetesClientConfiguration BuildToken(ConnectionRequest request, out string contextLabel)
    {
        var server = request.Server ?? throw new HostNetAuditException("ServerRequired", FailureCategory.InvalidArgument, null, "-Server is required with -Token.");
        if (!server.IsAbsoluteUri || (server.Scheme != Uri.UriSchemeHttps && server.Scheme != Uri.UriSchemeHttp))
        {
            throw new HostNetAuditException("InvalidServerUrl", FailureCategory.InvalidArgument, server.OriginalString, $"The server URL '{server.OriginalString}' is not an absolute http or https URL.");
        }

        contextLabel = string.IsNullOrEmpty(request.ClusterName) ? server.Authority : request.ClusterName!;
        var config = new KubernetesClientConfiguration
        {
            Host = server.AbsoluteUri.TrimEnd('/'),
            AccessToken = request.Token is null ? null : Unprotect(request.Token),
            SkipTlsVerify = request.SkipTlsVerify,
        };

        if (!string.IsNullOrEmpty(request.CertificateAuthorityPath))
        {
            config.SslCaCerts = LoadCertificateAuthority(request.CertificateAuthorityPath!, fromFile: true);
        }
        else if (!string.IsNullOrEmpty(request.CertificateAuthorityData))
        {
            config.SslCaCerts = LoadCertificateAuthority(request.CertificateAuthorityData!, fromFile: false);
        }

        return config;
    }

    /// <summary>Test-only: where -InCluster reads the service account's token, ca.crt and namespace instead of
    /// <see cref="DefaultServiceAccountRoot"/> (a kubeconfig's automatic in-cluster fallback never reads it).</summary>
    public const string ServiceAccountDirectoryVariable = "HOSTNETAUDIT_SERVICEACCOUNT_DIR";

    /// <summary>The pod's service account: token file (re-read as it rotates), CA and service host.</summary>
    public static KubernetesClientConfiguration BuildInCluster(ConnectionRequest request, Func<string, string?> getEnvironment)
    {
        var fromTest = request.Mode == ConnectionMode.InCluster ? getEnvironment(ServiceAccountDirectoryVariable) : null;
        var root = string.IsNullOrEmpty(fromTest) ? DefaultServiceAccountRoot : fromTest;
        var host = getEnvironment("KUBERNETES_SERVICE_HOST");
        var port = getEnvironment("KUBERNETES_SERVICE_PORT");
        var tokenPath = Path.Combine(root, "token");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port) || !File.Exists(tokenPath))
        {
            throw new HostNetAuditException(
                "InClusterConfigNotFound",
                FailureCategory.ObjectNotFound,
                root,
                $"The in-cluster configuration is not available: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT must be set and '{tokenPath}' must exist.");
        }

        var hostPart = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? "[" + host + "]" : host;
        var config = new KubernetesClientConfiguration
        {
            Host = "https://" + hostPart + ":" + port,
            TokenProvider = new TokenFileAuth(tokenPath),
            SkipTlsVerify = request.SkipTlsVerify,
        };
        var caPath = Path.Combine(root, "ca.crt");
        if (File.Exists(caPath))
        {
            config.SslCaCerts = LoadCertificateAuthority(caPath, fromFile: true);
        }

        var nsPath = Path.Combine(root, "namespace");
        if (File.Exists(nsPath))
        {
            config.Namespace = File.ReadAllText(nsPath).Trim();
        }

        return config;
    }

    public static X509Certificate2Collection LoadCertificateAuthority(string value, bool fromFile)
    {
        var target = fromFile ? value : "CertificateAuthorityData";
        try
        {
            string pem;
            if (fromFile)
            {
                pem = File.ReadAllText(value);
            }
            else if (value.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                pem = value;
            }
            else
            {
                pem = Encoding.UTF8.GetString(Convert.FromBase64String(value.Trim()));
            }

            var collection = new X509Certificate2Collection();
            if (pem.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                collection.ImportFromPem(pem);
            }
            else
            {
                collection.Add(new X509Certificate2(fromFile ? File.ReadAllBytes(value) : Convert.FromBase64String(value.Trim())));
            }

            if (collection.Count == 0)
            {
                throw new CryptographicException("no certificate found");
            }

            return collection;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostNetAuditException("CertificateAuthorityUnreadable", FailureCategory.ReadError, target, $"The certificate authority file '{value}' cannot be read: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            throw new HostNetAuditException("CertificateAuthorityInvalid", FailureCategory.InvalidData, target, $"The certificate authority {(fromFile ? "file '" + value + "'" : "data")} holds no PEM or DER certificate: {ex.Message}", ex);
        }
    }

    private static string Unprotect(SecureString secure)
    {
        var pointer = IntPtr.Zero;
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
            return Marshal.PtrToStringUni(pointer) ?? string.Empty;
        }
        finally
        {
            if (pointer != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(pointer);
            }
        }
    }

    /// <summary>The first line of an exception message, without stack traces.</summary>
    public static string Describe(Exception ex)
    {
        var message = ex.Message;
        if (ex.InnerException is not null && !string.IsNullOrEmpty(ex.InnerException.Message) && !message.Contains(ex.InnerException.Message, StringComparison.Ordinal))
        {
            message += " " + ex.InnerException.Message;
        }

        var newline = message.IndexOfAny(new[] { '\r', '\n' });
        return newline >= 0 ? message[..newline] : message;
    }
}

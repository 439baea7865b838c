using System.Text;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace HostNetAudit.Engine.Connection;

/// <summary>
/// Reads a kubeconfig file into KubernetesClient's model with the module's own YAML reader. KubernetesClient's
/// reader first builds its YAML deserializers, reflecting over every Kubernetes model type, which costs a
/// fresh process about a quarter of a second (a fifth of a whole Get-HostNetworkPod run); this reader costs
/// a few milliseconds and fills the same model, so KubernetesClient builds its configuration from it as
/// before. Unknown keys are ignored, as KubernetesClient ignores them; a value of the wrong shape is an error.
/// </summary>
internal static class KubeConfigReader
{
    /// <summary>The configuration in <paramref name="file"/>, or null when the file holds no document.</summary>
    /// <exception cref="KubeConfigException">The file is not YAML, or not shaped as a kubeconfig.</exception>
    public static K8SConfiguration? Read(string file) => Parse(File.ReadAllText(file, Encoding.UTF8));

    public static K8SConfiguration? Parse(string text)
    {
        JsonNode? root = null;
        foreach (var document in YamlDocuments.Read(text, scalarsAsText: true))
        {
            if (document.Error is not null)
            {
                throw new KubeConfigException($"document {document.Index} does not parse as YAML ({document.Error})");
            }

            if (document.Index > 1)
            {
                break; // kubectl reads the first document only
            }

            root = document.Node;
        }

        if (root is null)
        {
            return null;
        }

        var config = Map(root, "the kubeconfig");
        return new K8SConfiguration
        {
            ApiVersion = Text(config, "apiVersion"),
            Kind = Text(config, "kind"),
            CurrentContext = Text(config, "current-context"),
            Preferences = config["preferences"] is JsonObject preferences ? preferences.ToDictionary(p => p.Key, p => (object)(p.Value?.ToJsonString() ?? string.Empty)) : null,
            Clusters = List(config, "clusters").Select(c => new Cluster
            {
                Name = Text(c, "name"),
                ClusterEndpoint = Optional(c, "cluster") is { } endpoint ? new ClusterEndpoint
                {
                    Server = Text(endpoint, "server"),
                    CertificateAuthority = Text(endpoint, "certificate-authority"),
                    CertificateAuthorityData = Text(endpoint, "certificate-authority-data"),
                    TlsServerName = Text(endpoint, "tls-server-name"),
                    SkipTlsVerify = Flag(endpoint, "insecure-skip-tls-verify"),
                    Extensions = Extensions(endpoint),
                }
                : null,
            }).ToList(),
            Users = List(config, "users").Select(u => new User
            {
                Name = Text(u, "name"),
                UserCredentials = Optional(u, "user") is { } user ? Credentials(user) : null,
            }).ToList(),
            Contexts = List(config, "contexts").Select(c => new Context
            {
                Name = Text(c, "name"),
                ContextDetails = Optional(c, "context") is { } details ? new ContextDetails
                {
                    Cluster = Text(details, "cluster"),
                    User = Text(details, "user"),
                    Namespace = Text(details, "namespace"),
                    Extensions = Extensions(details),
                }
                : null,
            }).ToList(),
            Extensions = Extensions(config),
        };
    }

    private static UserCredentials Credentials(JsonObject user)
    {
        var credentials = new UserCredentials
        {
            ClientCertificateData = Text(user, "client-certificate-data"),
            ClientCertificate = Text(user, "client-certificate"),
            ClientKeyData = Text(user, "client-key-data"),
            ClientKey = Text(user, "client-key"),
            Token = Text(user, "token"),
            Impersonate = Text(user, "as"),
            UserName = Text(user, "username"),
            Password = Text(user, "password"),
            AuthProvider = Optional(user, "auth-provider") is { } provider ? new AuthProvider
            {
                Name = Text(provider, "name"),
                Config = Optional(provider, "config") is { } settings ? settings.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? string.Empty) : null,
            }
            : null,
            ExternalExecution = Optional(user, "exec") is { } exec ? Execution(exec) : null,
        };

        // Lists the model initialises keep their default when the file does not set them.
        if (user["as-groups"] is not null)
        {
            credentials.ImpersonateGroups = Texts(user, "as-groups");
        }

        if (Optional(user, "as-user-extra") is { } extra)
        {
            credentials.ImpersonateUserExtra = extra.ToDictionary(p => p.Key, p => p.Value is JsonArray values ? string.Join(",", values.Select(v => v?.ToString())) : p.Value?.ToString() ?? string.Empty);
        }

        if (Extensions(user) is { } extensions)
        {
            credentials.Extensions = extensions;
        }

        return credentials;
    }

    private static ExternalExecution Execution(JsonObject exec)
    {
        var execution = new ExternalExecution
        {
            ApiVersion = Text(exec, "apiVersion"),
            Command = Text(exec, "command"),
            InstallHint = Text(exec, "installHint"),
            ProvideClusterInfo = Flag(exec, "provideClusterInfo"),
        };
        if (exec["args"] is not null)
        {
            execution.Arguments = Texts(exec, "args");
        }

        if (exec["env"] is not null)
        {
            execution.EnvironmentVariables = List(exec, "env").Select(e => e.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? string.Empty)).ToList();
        }

        return execution;
    }

    private static List<NamedExtension>? Extensions(JsonObject owner) =>
        owner["extensions"] is null ? null : List(owner, "extensions").Select(e => new NamedExtension { Name = Text(e, "name"), Extension = e["extension"]?.ToJsonString() }).ToList();

    private static JsonObject Map(JsonNode? node, string what) =>
        node as JsonObject ?? throw new KubeConfigException($"{what} is not a mapping");

    private static JsonObject? Optional(JsonObject owner, string key) =>
        owner[key] is null ? null : Map(owner[key], $"'{key}'");

    private static List<JsonObject> List(JsonObject owner, string key) => owner[key] switch
    {
        null => new List<JsonObject>(),
        JsonArray items => items.Select(item => Map(item, $"an item of '{key}'")).ToList(),
        _ => throw new KubeConfigException($"'{key}' is not a list"),
    };

    private static List<string> Texts(JsonObject owner, string key) => owner[key] switch
    {
        null => new List<string>(),
        JsonArray items => items.Select(item => item is JsonValue value ? value.ToString() : throw new KubeConfigException($"an item of '{key}' is not a string")).ToList(),
        _ => throw new KubeConfigException($"'{key}' is not a list"),
    };

    private static string? Text(JsonObject owner, string key) => owner[key] switch
    {
        null => null,
        JsonValue value => value.ToString(),
        _ => throw new KubeConfigException($"'{key}' is not a string"),
    };

    /// <summary>A boolean as kubectl's YAML reads it (YAML 1.1: true/yes/on, false/no/off, any case).</summary>
    private static bool Flag(JsonObject owner, string key) => Text(owner, key)?.ToUpperInvariant() switch
    {
        null => false,
        "TRUE" or "YES" or "ON" or "Y" => true,
        "FALSE" or "NO" or "OFF" or "N" => false,
        _ => throw new KubeConfigException($"'{key}' is '{Text(owner, key)}', not true or false"),
    };
}

using System.Text;
using System.Text.Json;
using HostNetAudit.Engine.Connection;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public class KubeConfigReaderTests
{
    public static TheoryData<string, string> Kubeconfigs => new()
    {
        {
            "token and CA data",
            """
            apiVersion: v1
            kind: Config
            current-context: prod
            preferences: {}
            clusters:
            - name: prod
              cluster:
                server: https://10.0.0.1:6443
                certificate-authority-data: LS0tLS1CRUdJTg==
                tls-server-name: kubernetes.default
                proxy-url: http://proxy:3128   # unknown to the model: ignored
            users:
            - name: admin
              user:
                token: "0123"
            contexts:
            - name: prod
              context: {cluster: prod, user: admin, namespace: "1.20"}
            """
        },
        {
            "exec plugin, auth provider, impersonation, files, flags",
            """
            apiVersion: v1
            kind: Config
            current-context: aks
            clusters:
            - name: aks
              cluster:
                server: https://aks.example.com:443
                insecure-skip-tls-verify: true
            - name: plain
              cluster: {server: http://127.0.0.1:8080, certificate-authority: ca.crt}
            users:
            - name: kubelogin
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: kubelogin
                  args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]
                  env:
                  - name: AAD_LOGIN_METHOD
                    value: azurecli
                  installHint: |
                    kubelogin is not installed.
                    See https://aka.ms/aks/kubelogin.
                  provideClusterInfo: false
                  interactiveMode: IfAvailable
            - name: oidc
              user:
                auth-provider:
                  name: oidc
                  config: {client-id: kubernetes, idp-issuer-url: "https://issuer.example.com"}
            - name: certs
              user:
                client-certificate: certs/client.crt
                client-key: certs/client.key
                as: alice
                as-groups: [admins, ops]
            - name: basic
              user: {username: bob, password: "secret: yes"}
            - name: empty
              user: {}
            contexts:
            - name: aks
              context: {cluster: aks, user: kubelogin}
            - name: oidc
              context: {cluster: aks, user: oidc}
            - name: certs
              context: {cluster: plain, user: certs, namespace: kube-system}
            - name: aks-basic
              context: {cluster: aks, user: basic}
            """
        },
        {
            "anchors, comments and quoting",
            """
            # written by hand
            apiVersion: v1
            kind: Config
            clusters:
            - name: &c "dev"
              cluster: {server: 'https://dev.example:6443'}
            users:
            - name: dev
              user: {token: abc.def}
            contexts:
            - name: dev
              context: {cluster: *c, user: dev}
            current-context: dev
            """
        },
    };

    // The fields the connection code reads, as JSON, for comparing two readers.
    private static string Essence(K8SConfiguration config) => JsonSerializer.Serialize(new
    {
        config.ApiVersion,
        config.Kind,
        config.CurrentContext,
        Clusters = config.Clusters?.Select(c => new { c.Name, c.ClusterEndpoint?.Server, c.ClusterEndpoint?.CertificateAuthority, c.ClusterEndpoint?.CertificateAuthorityData, c.ClusterEndpoint?.TlsServerName, c.ClusterEndpoint?.SkipTlsVerify }),
        Users = config.Users?.Select(u => new
        {
            u.Name,
            u.UserCredentials?.Token,
            u.UserCredentials?.ClientCertificate,
            u.UserCredentials?.ClientCertificateData,
            u.UserCredentials?.ClientKey,
            u.UserCredentials?.ClientKeyData,
            u.UserCredentials?.UserName,
            u.UserCredentials?.Password,
            u.UserCredentials?.Impersonate,
            u.UserCredentials?.ImpersonateGroups,
            AuthProvider = u.UserCredentials?.AuthProvider is { } p ? new { p.Name, p.Config } : null,
            Exec = u.UserCredentials?.ExternalExecution is { } e ? new { e.ApiVersion, e.Command, e.Arguments, e.EnvironmentVariables, e.InstallHint, e.ProvideClusterInfo } : null,
        }),
        Contexts = config.Contexts?.Select(c => new { c.Name, c.ContextDetails?.Cluster, c.ContextDetails?.User, c.ContextDetails?.Namespace }),
    });

    [Theory]
    [MemberData(nameof(Kubeconfigs))]
    public void Reads_what_KubernetesClient_reads(string name, string text)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var theirs = KubernetesClientConfiguration.LoadKubeConfig(stream);
        var ours = KubeConfigReader.Parse(text);
        Assert.NotNull(ours);
        Assert.True(Essence(theirs) == Essence(ours!), $"{name}:\n theirs {Essence(theirs)}\n ours   {Essence(ours!)}");
    }

    [Fact]
    public void A_configuration_built_from_it_connects_as_before()
    {
        var text = (string)Kubeconfigs.First(row => (string)row[0] == "exec plugin, auth provider, impersonation, files, flags")[1];
        var config = KubernetesClientConfiguration.BuildConfigFromConfigObject(KubeConfigReader.Parse(text)!, "certs");
        Assert.Equal("http://127.0.0.1:8080", config.Host.TrimEnd('/'));
        Assert.Equal("kube-system", config.Namespace);
        Assert.Equal("certs/client.crt", config.ClientCertificateFilePath);
        var aks = KubernetesClientConfiguration.BuildConfigFromConfigObject(KubeConfigReader.Parse(text)!, "aks-basic");
        Assert.True(aks.SkipTlsVerify);
        Assert.Equal(("bob", "secret: yes"), (aks.Username, aks.Password));
    }

    [Theory]
    [InlineData("clusters: [ { name: x")]
    [InlineData("clusters: just-a-string")]
    [InlineData("- a\n- b")]
    [InlineData("clusters:\n- name: x\n  cluster:\n    insecure-skip-tls-verify: maybe")]
    [InlineData("users:\n- name: x\n  user:\n    token: {{ .Values.token }}")]
    public void Refuses_what_is_not_a_kubeconfig(string text) =>
        Assert.Throws<KubeConfigException>(() => KubeConfigReader.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("# nothing here\n")]
    public void An_empty_file_is_no_configuration(string text) => Assert.Null(KubeConfigReader.Parse(text));
}

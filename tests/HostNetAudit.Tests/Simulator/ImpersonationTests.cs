using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Simulator;

/// <summary>Who a request acts as: tokens, client certificates, and Impersonate-* headers checked by RBAC.</summary>
public sealed class ImpersonationTests : IAsyncLifetime
{
    private const string Review = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    private const string ReviewBody = """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""";
    private SimHost host = null!;

    public async Task InitializeAsync() => host = await SimHost.StartAsync(RbacScenario.Create());

    public async Task DisposeAsync() => await host.DisposeAsync();

    private static async Task<JsonObject> Who(SimApi api)
    {
        var reply = await api.Post(Review, ReviewBody);
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        return reply.Object["status"]!["userInfo"]!.AsObject();
    }

    private static string[] Groups(JsonObject userInfo) => userInfo["groups"]!.AsArray().Select(g => g!.ToString()).ToArray();

    [Fact]
    public async Task A_service_account_token_carries_the_service_account_groups()
    {
        using var module = new SimApi(host);
        var me = await Who(module);
        Assert.Equal("system:serviceaccount:hostnetaudit:auditor", me["username"]!.ToString());
        Assert.Equal(new[] { "system:serviceaccounts", "system:serviceaccounts:hostnetaudit", "system:authenticated" }, Groups(me));

        host.Cluster.Access.AddToken("alice-token", "alice", new[] { "developers" });
        using var alice = new SimApi(host, "alice-token");
        Assert.Equal(new[] { "developers", "system:authenticated" }, Groups(await Who(alice)));
    }

    [Fact]
    public async Task System_masters_may_act_as_a_controller_whose_service_account_groups_come_with_it()
    {
        using var admin = SimApi.Admin(host);
        admin.ImpersonateUser = "system:serviceaccount:kube-system:daemon-set-controller";
        var me = await Who(admin);
        Assert.Equal("system:serviceaccount:kube-system:daemon-set-controller", me["username"]!.ToString());
        Assert.Equal(new[] { "system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated" }, Groups(me));

        var record = host.Cluster.Requests.All.Last(r => r.Path == Review);
        Assert.Equal("system:serviceaccount:kube-system:daemon-set-controller", record.User);
        Assert.Equal("kubernetes-admin", record.ImpersonatedBy);
    }

    [Fact]
    public async Task A_node_is_impersonated_with_its_group_and_system_authenticated()
    {
        using var admin = SimApi.Admin(host);
        admin.ImpersonateUser = "system:node:worker-1";
        admin.ImpersonateGroups.Add("system:nodes");
        var me = await Who(admin);
        Assert.Equal("system:node:worker-1", me["username"]!.ToString());
        Assert.Equal(new[] { "system:nodes", "system:authenticated" }, Groups(me));
    }

    [Fact]
    public async Task Impersonation_without_the_impersonate_verb_is_refused_with_the_apiservers_message()
    {
        using var module = new SimApi(host);
        module.ImpersonateUser = "system:node:worker-1";
        var user = await module.Post(Review, ReviewBody);
        Assert.Equal(HttpStatusCode.Forbidden, user.Status);
        Assert.Equal("users \"system:node:worker-1\" is forbidden: User \"system:serviceaccount:hostnetaudit:auditor\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", user.Message);

        module.ImpersonateUser = "system:serviceaccount:kube-system:daemon-set-controller";
        var serviceAccount = await module.Post(Review, ReviewBody);
        Assert.Equal("serviceaccounts \"daemon-set-controller\" is forbidden: User \"system:serviceaccount:hostnetaudit:auditor\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"kube-system\"", serviceAccount.Message);
    }

    [Fact]
    public async Task RBAC_grants_impersonation_of_named_users_and_groups_only()
    {
        host.Cluster.Access.AddToken("eve-token", "eve");
        using var eve = new SimApi(host, "eve-token") { ImpersonateUser = "system:node:worker-1" };
        eve.ImpersonateGroups.Add("system:nodes");
        Assert.Equal("system:node:worker-1", (await Who(eve))["username"]!.ToString());

        eve.ImpersonateUser = "system:node:worker-2";
        Assert.Equal(HttpStatusCode.Forbidden, (await eve.Post(Review, ReviewBody)).Status);

        eve.ImpersonateUser = "system:node:worker-1";
        eve.ImpersonateGroups.Add("system:masters");
        var masters = await eve.Post(Review, ReviewBody);
        Assert.Equal(HttpStatusCode.Forbidden, masters.Status);
        Assert.StartsWith("groups \"system:masters\" is forbidden: User \"eve\" cannot impersonate resource \"groups\"", masters.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uid_and_extra_are_impersonated_and_authorized_as_uids_and_userextras()
    {
        using var http = host.Http();
        async Task<HttpResponseMessage> Send(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Review) { Content = new StringContent(ReviewBody, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Impersonate-User", "carol");
            request.Headers.Add("Impersonate-Uid", "1234");
            request.Headers.Add("Impersonate-Extra-Scopes", new[] { "view", "edit" });
            return await http.SendAsync(request);
        }

        using var allowed = await Send(host.Cluster.Options.AdminToken);
        var me = JsonNode.Parse(await allowed.Content.ReadAsStringAsync())!["status"]!["userInfo"]!;
        Assert.Equal("1234", me["uid"]!.ToString());
        Assert.Equal(new[] { "view", "edit" }, me["extra"]!["scopes"]!.AsArray().Select(v => v!.ToString()));

        host.Cluster.Access.AddToken("eve-token", "eve");
        using var refused = await Send("eve-token");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Impersonating_groups_without_a_user_is_an_error()
    {
        using var admin = SimApi.Admin(host);
        admin.ImpersonateGroups.Add("system:nodes");
        Assert.Equal(HttpStatusCode.InternalServerError, (await admin.Post(Review, ReviewBody)).Status);
    }

    [Fact]
    public async Task A_client_certificate_names_the_user_by_CN_and_its_groups_by_O()
    {
        var (certificatePem, keyPem) = host.Cluster.IssueClientCertificate!("cert-user", new[] { "auditors", "team-a-admins" });
        using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        using var exportable = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        using var handler = new HttpClientHandler { ClientCertificateOptions = ClientCertificateOption.Manual };
        handler.ClientCertificates.Add(exportable);
        var authority = X509CertificateLoader.LoadCertificate(host.Server.Certificates.Authority.RawData);
        handler.ServerCertificateCustomValidationCallback = (_, server, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return server is not null && chain.Build(server);
        };
        using var http = new HttpClient(handler) { BaseAddress = host.Server.HttpsUrl };
        using var response = await http.PostAsync(Review, new StringContent(ReviewBody, Encoding.UTF8, "application/json"));
        var me = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!["userInfo"]!.AsObject();
        Assert.Equal("cert-user", me["username"]!.ToString());
        Assert.Equal(new[] { "auditors", "team-a-admins", "system:authenticated" }, Groups(me));
    }
}

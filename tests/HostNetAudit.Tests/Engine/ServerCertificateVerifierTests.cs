using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HostNetAudit.Engine.Connection;
using Xunit;

namespace HostNetAudit.Tests.Engine;

/// <summary>The server certificate checks kubectl makes (Go's crypto/tls), on certificates made here.</summary>
public sealed class ServerCertificateVerifierTests : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private readonly X509Certificate2 authority = Authority("cluster-ca");
    private readonly X509Certificate2 otherAuthority = Authority("other-ca");

    public void Dispose()
    {
        authority.Dispose();
        otherAuthority.Dispose();
    }

    private static X509Certificate2 Authority(string name, string? usage = null, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (usage is not null)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(usage) }, false));
        }

        var now = DateTimeOffset.UtcNow;
        if (issuer is null)
        {
            return request.CreateSelfSigned(now.AddDays(-2), now.AddDays(2));
        }

        using var signed = request.Create(issuer, now.AddDays(-1), now.AddDays(1), Serial());
        return signed.CopyWithPrivateKey(key);
    }

    private static byte[] Serial()
    {
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        return serial;
    }

    /// <summary>A leaf signed by <paramref name="issuer"/>: DNS names, IP addresses, extended key usages (none: no extension).</summary>
    private static X509Certificate2 Leaf(X509Certificate2 issuer, string[]? dns = null, string[]? ips = null, string[]? usages = null, string subject = "CN=apiserver", DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dns is not null || ips is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in dns ?? Array.Empty<string>())
            {
                names.AddDnsName(name);
            }

            foreach (var ip in ips ?? Array.Empty<string>())
            {
                names.AddIpAddress(IPAddress.Parse(ip));
            }

            request.CertificateExtensions.Add(names.Build());
        }

        if (usages is not null)
        {
            var oids = new OidCollection();
            foreach (var usage in usages)
            {
                oids.Add(new Oid(usage));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }

        var now = DateTimeOffset.UtcNow;
        var end = notAfter ?? now.AddHours(1);
        return request.Create(issuer, end.AddHours(-2), end, Serial());
    }

    private CertificateVerificationException? Check(X509Certificate2 leaf, string host, X509Certificate2? trusted = null, params X509Certificate2[] intermediates) =>
        new ServerCertificateVerifier(new X509Certificate2Collection(trusted ?? authority), host).Check(leaf, new X509Certificate2Collection(intermediates));

    [Fact]
    public void An_IP_host_matches_an_IP_SAN()
    {
        using var leaf = Leaf(authority, ips: new[] { "127.0.0.1", "::1" }, usages: new[] { ServerAuth });
        Assert.Null(Check(leaf, "127.0.0.1"));
        Assert.Null(Check(leaf, "[::1]"));
        Assert.Null(Check(leaf, "::1"));
        Assert.Equal(CertificateProblem.Name, Check(leaf, "127.0.0.2")!.Problem);
    }

    [Fact]
    public void An_IP_host_is_never_matched_against_DNS_SANs_nor_the_common_name()
    {
        using var dnsOnly = Leaf(authority, dns: new[] { "127.0.0.1" }, subject: "CN=127.0.0.1");
        var refused = Check(dnsOnly, "127.0.0.1");
        Assert.NotNull(refused);
        Assert.Equal(CertificateProblem.Name, refused.Problem);
        Assert.Equal("it is not valid for 127.0.0.1: it names DNS:127.0.0.1 (an IP address is matched only against the certificate's IP addresses, and it has none)", refused.Message);
    }

    [Fact]
    public void A_host_name_is_never_matched_against_IP_SANs()
    {
        using var ipOnly = Leaf(authority, ips: new[] { "10.0.0.1" });
        var refused = Check(ipOnly, "kubernetes.default.svc");
        Assert.Equal(CertificateProblem.Name, refused!.Problem);
        Assert.Contains("IP:10.0.0.1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_with_only_a_common_name_names_nothing()
    {
        using var cnOnly = Leaf(authority, subject: "CN=localhost");
        var refused = Check(cnOnly, "localhost");
        Assert.Equal(CertificateProblem.Name, refused!.Problem);
        Assert.Contains("no DNS name or IP address (only the common name 'localhost', which is never used as the server's name)", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*.example.com", "api.example.com", true)]
    [InlineData("*.example.com", "API.Example.COM", true)]
    [InlineData("*.example.com", "api.example.com.", true)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("api.example.com", "api.example.com", true)]
    [InlineData("API.example.com", "api.EXAMPLE.com", true)]
    [InlineData("api.example.com", "other.example.com", false)]
    [InlineData("a*.example.com", "ab.example.com", false)]
    [InlineData("a*.example.com", "a*.example.com", true)]
    [InlineData("api.*.com", "api.example.com", false)]
    [InlineData("*", "localhost", false)]
    [InlineData("*.local", "host.local", true)]
    [InlineData("host_with_underscore.svc", "host_with_underscore.svc", true)]
    public void DNS_names_match_as_Go_matches_them(string san, string host, bool matches)
    {
        using var leaf = Leaf(authority, dns: new[] { san });
        Assert.Equal(matches, ServerCertificateVerifier.MatchesName(leaf, host));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("[::1]", true)]
    [InlineData("fd00::10", true)]
    [InlineData("127.1", false)]
    [InlineData("01.2.3.4", false)]
    [InlineData("256.1.1.1", false)]
    [InlineData("fe80::1%eth0", false)]
    [InlineData("localhost", false)]
    public void IP_addresses_are_recognised_as_Go_parses_them(string host, bool isIp) =>
        Assert.Equal(isIp, ServerCertificateVerifier.ParseIp(host) is not null);

    [Fact]
    public void An_IPv4_mapped_IPv6_SAN_equals_its_IPv4_address()
    {
        using var leaf = Leaf(authority, ips: new[] { "::ffff:10.0.0.1" });
        Assert.True(ServerCertificateVerifier.MatchesName(leaf, "10.0.0.1"));
    }

    [Fact]
    public void Server_authentication_must_be_an_allowed_extended_key_usage()
    {
        using var clientOnly = Leaf(authority, dns: new[] { "api.example.com" }, usages: new[] { ClientAuth });
        var refused = Check(clientOnly, "api.example.com");
        Assert.Equal(CertificateProblem.Usage, refused!.Problem);
        Assert.Equal("it is not for server authentication (extended key usage: clientAuth)", refused.Message);

        using var unrestricted = Leaf(authority, dns: new[] { "api.example.com" });
        Assert.Null(Check(unrestricted, "api.example.com"));
        using var any = Leaf(authority, dns: new[] { "api.example.com" }, usages: new[] { "2.5.29.37.0" });
        Assert.Null(Check(any, "api.example.com"));
        using var both = Leaf(authority, dns: new[] { "api.example.com" }, usages: new[] { ClientAuth, ServerAuth });
        Assert.Null(Check(both, "api.example.com"));
    }

    [Fact]
    public void An_intermediate_restricted_to_client_authentication_restricts_its_leaves()
    {
        using var intermediate = Authority("client-issuer", ClientAuth, authority);
        using var leaf = Leaf(intermediate, dns: new[] { "api.example.com" }, usages: new[] { ServerAuth });
        var refused = Check(leaf, "api.example.com", null, intermediate);
        Assert.Equal(CertificateProblem.Usage, refused!.Problem);
        Assert.Contains("the issuer 'CN=client-issuer'", refused.Message, StringComparison.Ordinal);

        using var open = Authority("serving-issuer", null, authority);
        using var served = Leaf(open, dns: new[] { "api.example.com" }, usages: new[] { ServerAuth });
        Assert.Null(Check(served, "api.example.com", null, open));
    }

    [Fact]
    public void The_chain_must_end_at_the_given_authority()
    {
        using var foreign = Leaf(otherAuthority, dns: new[] { "api.example.com" }, usages: new[] { ServerAuth });
        var refused = Check(foreign, "api.example.com");
        Assert.Equal(CertificateProblem.Chain, refused!.Problem);
        Assert.StartsWith("it does not chain to the certificate authority given for the cluster", refused.Message, StringComparison.Ordinal);
        Assert.Null(Check(foreign, "api.example.com", otherAuthority));
    }

    [Fact]
    public void An_expired_certificate_is_refused()
    {
        using var expired = Leaf(authority, dns: new[] { "api.example.com" }, notAfter: DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(CertificateProblem.Chain, Check(expired, "api.example.com")!.Problem);
    }

    [Fact]
    public void Without_an_authority_only_the_systems_roots_are_trusted()
    {
        using var leaf = Leaf(authority, dns: new[] { "api.example.com" });
        var refused = new ServerCertificateVerifier(null, "api.example.com").Check(leaf, new X509Certificate2Collection(authority));
        Assert.Equal(CertificateProblem.Chain, refused!.Problem);
        Assert.StartsWith("it does not chain to a root this system trusts", refused.Message, StringComparison.Ordinal);
    }
}

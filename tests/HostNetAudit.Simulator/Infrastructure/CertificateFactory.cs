using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HostNetAudit.Simulator.Infrastructure;

/// <summary>
/// Which certificate the HTTPS listener presents: the normal one, or one a client must refuse (a test of the
/// client's name, usage and chain checks).
/// </summary>
public enum ServingCertificate
{
    /// <summary>Signed by the cluster CA, SAN IP 127.0.0.1 and DNS localhost, serverAuth.</summary>
    Standard,

    /// <summary>Signed by the cluster CA for another name only (SAN DNS <see cref="CertificateFactory.OtherHostName"/>).</summary>
    OtherHost,

    /// <summary>Signed by the cluster CA, CN=127.0.0.1 and no subject alternative name at all.</summary>
    CommonNameOnly,

    /// <summary>Signed by the cluster CA, "127.0.0.1" as a DNS name and no IP address.</summary>
    IpAsDnsName,

    /// <summary>Signed by the cluster CA with the right names, but for clientAuth only (as a kubelet's client certificate).</summary>
    ClientAuthOnly,

    /// <summary>The right names and usage, signed by another CA.</summary>
    OtherAuthority,
}

/// <summary>Makes a throwaway CA and the server certificates for 127.0.0.1 at every start.</summary>
public sealed class CertificateFactory : IDisposable
{
    /// <summary>The only name the <see cref="ServingCertificate.OtherHost"/> certificate holds.</summary>
    public const string OtherHostName = "apiserver.hostnetaudit.invalid";

    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private readonly X509Certificate2 authorityWithKey;
    private readonly Dictionary<ServingCertificate, X509Certificate2> serving;

    private CertificateFactory(X509Certificate2 authority, Dictionary<ServingCertificate, X509Certificate2> serving, X509Certificate2 authorityWithKey)
    {
        Authority = authority;
        this.serving = serving;
        this.authorityWithKey = authorityWithKey;
    }

    /// <summary>The CA (public part), as a kubeconfig's certificate-authority-data names it.</summary>
    public X509Certificate2 Authority { get; }

    public string AuthorityPem => Authority.ExportCertificatePem();

    /// <summary>The certificate (with its key) the listener presents for <paramref name="kind"/>.</summary>
    public X509Certificate2 Serving(ServingCertificate kind) => serving[kind];

    public static CertificateFactory Create(string commonName = "hostnetaudit-simulator")
    {
        var ca = CreateAuthority(commonName + "-ca");
        using var otherCa = CreateAuthority(commonName + "-other-ca");
        var serving = new Dictionary<ServingCertificate, X509Certificate2>
        {
            [ServingCertificate.Standard] = CreateServer(ca, "CN=" + commonName, names => { names.AddIpAddress(IPAddress.Loopback); names.AddDnsName("localhost"); }, ServerAuth),
            [ServingCertificate.OtherHost] = CreateServer(ca, "CN=" + OtherHostName, names => names.AddDnsName(OtherHostName), ServerAuth),
            [ServingCertificate.CommonNameOnly] = CreateServer(ca, "CN=127.0.0.1", null, ServerAuth),
            [ServingCertificate.IpAsDnsName] = CreateServer(ca, "CN=" + commonName, names => names.AddDnsName("127.0.0.1"), ServerAuth),
            [ServingCertificate.ClientAuthOnly] = CreateServer(ca, "CN=system:node:sim-node", names => { names.AddIpAddress(IPAddress.Loopback); names.AddDnsName("localhost"); }, ClientAuth),
            [ServingCertificate.OtherAuthority] = CreateServer(otherCa, "CN=" + commonName, names => { names.AddIpAddress(IPAddress.Loopback); names.AddDnsName("localhost"); }, ServerAuth),
        };
        var authority = X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert));
        return new CertificateFactory(authority, serving, ca);
    }

    private static X509Certificate2 CreateAuthority(string name)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={name}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2));
    }

    private static X509Certificate2 CreateServer(X509Certificate2 issuer, string subject, Action<SubjectAlternativeNameBuilder>? names, string usage)
    {
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest(subject, serverKey, HashAlgorithmName.SHA256);
        if (names is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            names(san);
            serverRequest.CertificateExtensions.Add(san.Build());
        }

        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(usage) }, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        var now = DateTimeOffset.UtcNow;
        using var signed = serverRequest.Create(issuer, now.AddMinutes(-5), now.AddDays(1), serial);
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        // Round-trip through PFX so Kestrel on every platform can use the key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    /// <summary>
    /// A client certificate signed by the CA, as the apiserver reads one: CN is the user, each O a group.
    /// Returns PEM texts for a kubeconfig's client-certificate-data and client-key-data.
    /// </summary>
    public (string CertificatePem, string KeyPem) CreateClientCertificate(string user, params string[] groups)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = "CN=" + user + string.Concat(groups.Select(g => ", O=" + g));
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        var now = DateTimeOffset.UtcNow;
        using var signed = request.Create(authorityWithKey, now.AddMinutes(-5), now.AddDays(1), serial);
        return (signed.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The user a client certificate names, when the CA signed it and it is valid now; else null.</summary>
    public string? UserOf(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return null;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate))
        {
            return null;
        }

        return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    }

    /// <summary>Disposes the CA and every server certificate.</summary>
    public void Dispose()
    {
        foreach (var certificate in serving.Values)
        {
            certificate.Dispose();
        }

        Authority.Dispose();
        authorityWithKey.Dispose();
    }
}

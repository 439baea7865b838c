using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace HostNetAudit.Engine.Connection;

/// <summary>
/// Verifies an API server's certificate as kubectl (Go's crypto/tls) does: the chain ends at the cluster's
/// certificate authority (or, without one, at a root the system trusts); every certificate of the chain that
/// restricts its extended key usage allows serverAuth; and the leaf names the server. An IP address matches only
/// the certificate's IP addresses and a host name only its DNS names (a leftmost <c>*</c> label matching exactly
/// one label); the subject's common name is never used. The server name is the server URL's host, or the
/// kubeconfig's <c>tls-server-name</c>.
/// </summary>
internal sealed class ServerCertificateVerifier
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";
    private readonly X509Certificate2Collection? authorities;

    public ServerCertificateVerifier(X509Certificate2Collection? authorities, string serverName)
    {
        this.authorities = authorities is { Count: > 0 } ? authorities : null;
        ServerName = serverName;
    }

    /// <summary>The name the certificate must hold.</summary>
    public string ServerName { get; }

    /// <summary>
    /// The TLS handshake's callback. A refusal throws <see cref="CertificateVerificationException"/>, which
    /// the handshake passes on as the inner exception, so the error can say what is wrong with the certificate.
    /// </summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            throw new CertificateVerificationException(ServerName, "the server sent no certificate", CertificateProblem.Chain);
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var presented = new X509Certificate2Collection();
        if (chain is not null)
        {
            // What the server sent, as intermediates: trust comes only from the authorities (or the system's roots).
            presented.AddRange(chain.ChainPolicy.ExtraStore);
            presented.AddRange(chain.ChainElements.Select(e => e.Certificate).ToArray());
        }

        var failure = Check(leaf, presented);
        return failure is null ? true : throw failure;
    }

    /// <summary>Null when <paramref name="leaf"/> may serve <see cref="ServerName"/>; else what is wrong.</summary>
    public CertificateVerificationException? Check(X509Certificate2 leaf, X509Certificate2Collection presented)
    {
        // Go's order: the name first, then the chain, then the key usage.
        if (!MatchesName(leaf, ServerName))
        {
            return new CertificateVerificationException(ServerName, DescribeMismatch(leaf, ServerName), CertificateProblem.Name);
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ExtraStore.AddRange(presented);
        if (authorities is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        }

        if (!chain.Build(leaf))
        {
            var status = chain.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
            return new CertificateVerificationException(
                ServerName,
                (authorities is null
                    ? "it does not chain to a root this system trusts (no certificate authority is given for the cluster)"
                    : "it does not chain to the certificate authority given for the cluster") + $" ({string.Join("; ", status)})",
                CertificateProblem.Chain);
        }

        foreach (var element in chain.ChainElements)
        {
            var usages = ExtendedKeyUsages(element.Certificate);
            if (usages is not null && !usages.Contains(ServerAuthOid) && !usages.Contains(AnyExtendedKeyUsageOid))
            {
                var who = element.Certificate.RawData.AsSpan().SequenceEqual(leaf.RawData) ? "it" : $"the issuer '{element.Certificate.Subject}' in its chain";
                return new CertificateVerificationException(
                    ServerName,
                    $"{who} is not for server authentication (extended key usage: {string.Join(", ", usages.Select(DescribeUsage))})",
                    CertificateProblem.Usage);
            }
        }

        return null;
    }

    /// <summary>Whether the certificate's subject alternative names hold <paramref name="host"/> (Go's VerifyHostname).</summary>
    public static bool MatchesName(X509Certificate2 certificate, string host)
    {
        var (dnsNames, addresses) = Names(certificate);
        if (ParseIp(host) is { } ip)
        {
            return addresses.Any(a => Normalize(a).Equals(Normalize(ip)));
        }

        var candidate = LowerAscii(host);
        var validCandidate = IsValidHostname(candidate, pattern: false);
        foreach (var name in dnsNames)
        {
            // Wildcards and a trailing dot only count between well-formed names; anything else must match exactly.
            if (validCandidate && IsValidHostname(name, pattern: true) ? MatchPattern(name, candidate) : MatchExactly(name, candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The DNS names and IP addresses a certificate holds (its subject alternative names).</summary>
    public static (IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> Addresses) Names(X509Certificate2 certificate)
    {
        var dnsNames = new List<string>();
        var addresses = new List<IPAddress>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17")
            {
                continue;
            }

            try
            {
                var names = extension as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
                dnsNames.AddRange(names.EnumerateDnsNames());
                addresses.AddRange(names.EnumerateIPAddresses());
            }
            catch (CryptographicException)
            {
                // A malformed extension names nothing.
            }
        }

        return (dnsNames, addresses);
    }

    /// <summary>"DNS:a.example, IP:10.0.0.1", or that it holds none (the common name is not a name here).</summary>
    public static string DescribeNames(X509Certificate2 certificate)
    {
        var (dnsNames, addresses) = Names(certificate);
        var all = dnsNames.Select(d => "DNS:" + d).Concat(addresses.Select(a => "IP:" + a)).ToList();
        if (all.Count > 0)
        {
            return string.Join(", ", all);
        }

        var commonName = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrEmpty(commonName)
            ? "no DNS name or IP address"
            : $"no DNS name or IP address (only the common name '{commonName}', which is never used as the server's name)";
    }

    /// <summary>An IP address as Go's net.ParseIP reads one (dotted quad without leading zeros, or IPv6), in [] or not.</summary>
    internal static IPAddress? ParseIp(string host)
    {
        var text = host.Length >= 3 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return !text.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 ? v6 : null;
        }

        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || (p.Length > 1 && p[0] == '0') || !p.All(char.IsAsciiDigit) || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            return null;
        }

        return IPAddress.Parse(text);
    }

    private string DescribeMismatch(X509Certificate2 leaf, string host)
    {
        var names = DescribeNames(leaf);
        var (dnsNames, addresses) = Names(leaf);
        var rule = ParseIp(host) is not null
            ? addresses.Count == 0 ? " (an IP address is matched only against the certificate's IP addresses, and it has none)" : string.Empty
            : dnsNames.Count == 0 ? " (a host name is matched only against the certificate's DNS names, and it has none)" : string.Empty;
        return $"it is not valid for {host}: it names {names}{rule}";
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static HashSet<string>? ExtendedKeyUsages(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (extension is null)
        {
            return null; // unrestricted
        }

        return extension.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value ?? string.Empty).ToHashSet(StringComparer.Ordinal);
    }

    private static string DescribeUsage(string oid) => oid switch
    {
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        _ => oid,
    };

    private static bool MatchExactly(string name, string host) =>
        name.Length > 0 && name != "." && host.Length > 0 && host != "." && LowerAscii(name) == host;

    private static bool MatchPattern(string pattern, string host)
    {
        pattern = LowerAscii(pattern);
        host = host.EndsWith('.') ? host[..^1] : host;
        if (pattern.Length == 0 || host.Length == 0)
        {
            return false;
        }

        var patternLabels = pattern.Split('.');
        var hostLabels = host.Split('.');
        if (patternLabels.Length != hostLabels.Length)
        {
            return false;
        }

        for (var i = 0; i < patternLabels.Length; i++)
        {
            if (!(i == 0 && patternLabels[i] == "*") && patternLabels[i] != hostLabels[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A host name as RFC 6125 allows it, with the leniency Go keeps (underscores); a pattern may start with a
    /// whole <c>*</c> label, a candidate may end with a dot.
    /// </summary>
    private static bool IsValidHostname(string host, bool pattern)
    {
        if (!pattern && host.EndsWith('.'))
        {
            host = host[..^1];
        }

        if (host.Length == 0 || host == "*")
        {
            return false;
        }

        var labels = host.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (label.Length == 0)
            {
                return false;
            }

            if (pattern && i == 0 && label == "*")
            {
                continue;
            }

            for (var j = 0; j < label.Length; j++)
            {
                var c = label[j];
                if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || (c == '-' && j != 0)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static string LowerAscii(string text)
    {
        if (!text.Any(char.IsAsciiLetterUpper))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterUpper(c) ? (char)(c + ('a' - 'A')) : c);
        }

        return builder.ToString();
    }
}

/// <summary>What a refused server certificate lacks.</summary>
internal enum CertificateProblem
{
    /// <summary>It does not name the server.</summary>
    Name,

    /// <summary>It does not chain to a trusted authority (or is not valid now).</summary>
    Chain,

    /// <summary>Its extended key usage excludes server authentication.</summary>
    Usage,
}

/// <summary>A server certificate the module refused, and why: thrown from the TLS handshake's callback.</summary>
internal sealed class CertificateVerificationException : AuthenticationException
{
    public CertificateVerificationException(string serverName, string reason, CertificateProblem problem)
        : base(reason)
    {
        ServerName = serverName;
        Problem = problem;
    }

    /// <summary>The name the certificate was checked against.</summary>
    public string ServerName { get; }

    public CertificateProblem Problem { get; }
}

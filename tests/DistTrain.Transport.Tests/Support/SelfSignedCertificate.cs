using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DistTrain.Transport.Tests.Support;

/// <summary>A fresh self-signed server certificate for localhost / 127.0.0.1, written as PEM and PFX files.</summary>
public sealed class SelfSignedCertificate : IDisposable
{
    public SelfSignedCertificate()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("disttrain-transport-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        CertificatePath = Path.Combine(Directory, "server.pem");
        KeyPath = Path.Combine(Directory, "server.key");
        PfxPath = Path.Combine(Directory, "server.pfx");
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllBytes(PfxPath, certificate.Export(X509ContentType.Pfx));
    }

    public string Directory { get; }

    public string CertificatePath { get; }

    public string KeyPath { get; }

    public string PfxPath { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

using System.Security.Cryptography.X509Certificates;

namespace DistTrain.Transport.Hosting;

/// <summary>Loads the TLS certificate: a PEM certificate and key, or a .pfx/.p12 bundle.</summary>
public static class ServerCertificate
{
    public static X509Certificate2 Load(GrpcServerOptions options)
    {
        if (string.IsNullOrEmpty(options.CertificatePath))
        {
            throw new ArgumentException("An https:// listen URL needs a certificate (--tls-cert: PEM with --tls-key, or .pfx).", nameof(options));
        }
        var path = options.CertificatePath;
        if (path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
        }
        return X509Certificate2.CreateFromPemFile(path, options.CertificateKeyPath);
    }
}

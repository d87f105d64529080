using System.Security.Cryptography;
using System.Text;

namespace DistTrain.Transport.Hosting;

/// <summary>
/// Checks "authorization: Bearer &lt;token&gt;" for every method but the health service's. Both
/// sides are hashed first so the comparison takes the same time whatever the header's length or
/// content. Both transports run it before the method is looked up, so callers without the token
/// cannot probe which methods exist.
/// </summary>
public sealed class BearerTokenCheck(string token)
{
    public const string HeaderName = "authorization";
    public const string Prefix = "Bearer ";
    public const string HealthServicePrefix = "/grpc.health.v1.Health/";
    public const string Refusal = "Missing or invalid bearer token.";

    private readonly byte[] _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(Prefix + token));

    /// <summary>Null when no token is configured: every call is let through.</summary>
    public static BearerTokenCheck? For(string? token) => string.IsNullOrEmpty(token) ? null : new BearerTokenCheck(token);

    /// <summary>True when the call to <paramref name="path"/> ("/package.Service/Method") may proceed.</summary>
    public bool Admits(string path, string? authorization) =>
        path.StartsWith(HealthServicePrefix, StringComparison.Ordinal) || Accepts(authorization);

    public bool Accepts(string? authorization)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(authorization ?? string.Empty), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _expectedHash) & authorization is not null;
    }
}

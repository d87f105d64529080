using System.Security.Cryptography;
using System.Text;
using DistTrain.Rpc.Wire;

namespace DistTrain.Rpc;

/// <summary>
/// Checks "authorization: Bearer &lt;token&gt;". Both sides are hashed first so the comparison
/// takes the same time whatever the header's length or content.
/// </summary>
internal sealed class BearerTokenCheck(string token)
{
    private readonly byte[] _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(GrpcHeaders.BearerPrefix + token));

    public bool Accepts(string? authorization)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(authorization ?? string.Empty), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _expectedHash) & authorization is not null;
    }
}

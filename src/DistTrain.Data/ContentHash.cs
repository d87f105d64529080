// SHA-256 of a file's IDX content: the file itself, or what it gunzips to.
using System.Security.Cryptography;

namespace DistTrain.Data;

internal static class ContentHash
{
    /// <summary>Lower-case hex SHA-256 of the (decompressed) content of <paramref name="path"/>.</summary>
    public static string Sha256(string path)
    {
        try
        {
            using var stream = IdxFile.OpenDecompressed(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: gzip stream is corrupt ({e.Message}). Fetch the file again.", e);
        }
    }

    /// <summary>Throws a DataException naming the file, the expected and the actual hash when they differ.</summary>
    public static void Check(string path, string expected, string fixHint)
    {
        var actual = Sha256(path);
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
        {
            throw new DataException(
                $"{path}: SHA-256 mismatch: expected {expected}, actual {actual}. The file is corrupt or not the published one: {fixHint}");
        }
    }
}

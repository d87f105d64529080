namespace DistTrain.Transport.Http2.Framing;

/// <summary>One HTTP/2 header field; HTTP/2 names are lowercase.</summary>
internal readonly record struct HeaderField(string Name, string Value);

internal static class HeaderFields
{
    /// <summary>The first value under <paramref name="name"/> (names are lower-case on HTTP/2), or null.</summary>
    public static string? Find(List<HeaderField> fields, string name)
    {
        foreach (var field in fields)
        {
            if (field.Name == name)
            {
                return field.Value;
            }
        }
        return null;
    }
}

namespace DistTrain.Transport.Http2.Framing;

/// <summary>The HPACK static table (RFC 7541 Appendix A); HPACK index i is <c>Entries[i - 1]</c>.</summary>
internal static class HpackStaticTable
{
    public static readonly HeaderField[] Entries =
    [
        new(":authority", ""),
        new(":method", "GET"),
        new(":method", "POST"),
        new(":path", "/"),
        new(":path", "/index.html"),
        new(":scheme", "http"),
        new(":scheme", "https"),
        new(":status", "200"),
        new(":status", "204"),
        new(":status", "206"),
        new(":status", "304"),
        new(":status", "400"),
        new(":status", "404"),
        new(":status", "500"),
        new("accept-charset", ""),
        new("accept-encoding", "gzip, deflate"),
        new("accept-language", ""),
        new("accept-ranges", ""),
        new("accept", ""),
        new("access-control-allow-origin", ""),
        new("age", ""),
        new("allow", ""),
        new("authorization", ""),
        new("cache-control", ""),
        new("content-disposition", ""),
        new("content-encoding", ""),
        new("content-language", ""),
        new("content-length", ""),
        new("content-location", ""),
        new("content-range", ""),
        new("content-type", ""),
        new("cookie", ""),
        new("date", ""),
        new("etag", ""),
        new("expect", ""),
        new("expires", ""),
        new("from", ""),
        new("host", ""),
        new("if-match", ""),
        new("if-modified-since", ""),
        new("if-none-match", ""),
        new("if-range", ""),
        new("if-unmodified-since", ""),
        new("last-modified", ""),
        new("link", ""),
        new("location", ""),
        new("max-forwards", ""),
        new("proxy-authenticate", ""),
        new("proxy-authorization", ""),
        new("range", ""),
        new("referer", ""),
        new("refresh", ""),
        new("retry-after", ""),
        new("server", ""),
        new("set-cookie", ""),
        new("strict-transport-security", ""),
        new("transfer-encoding", ""),
        new("user-agent", ""),
        new("vary", ""),
        new("via", ""),
        new("www-authenticate", ""),
    ];

    // The first (lowest) index per name and per exact field; a name like :status has several entries.
    private static readonly Dictionary<string, int> NameIndex = BuildIndex(f => f.Name);
    private static readonly Dictionary<HeaderField, int> FieldIndex = BuildIndex(f => f);

    /// <summary>
    /// The HPACK index of the exact field (<paramref name="valueMatches"/> true), else of an entry with
    /// that name, else 0.
    /// </summary>
    public static int Find(string name, string value, out bool valueMatches)
    {
        if (FieldIndex.TryGetValue(new HeaderField(name, value), out var index))
        {
            valueMatches = true;
            return index;
        }
        valueMatches = false;
        return NameIndex.GetValueOrDefault(name);
    }

    private static Dictionary<TKey, int> BuildIndex<TKey>(Func<HeaderField, TKey> key)
        where TKey : notnull
    {
        var index = new Dictionary<TKey, int>();
        for (var i = 0; i < Entries.Length; i++)
        {
            index.TryAdd(key(Entries[i]), i + 1);
        }
        return index;
    }
}

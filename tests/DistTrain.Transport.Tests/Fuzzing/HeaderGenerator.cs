using DistTrain.Transport.Http2.Framing;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>Random header lists: static-table fields, a small vocabulary (so the dynamic table gets hits) and random Latin-1 strings.</summary>
internal static class HeaderGenerator
{
    private static readonly string[] Names = ["content-type", "grpc-timeout", "te", "x-trace", "x-data-bin", "authorization", "user-agent", "a"];
    private static readonly string[] Values = ["", "application/grpc", "trailers", "1S", "x", "Bearer t0ken", "grpc-dotnet/2.0"];

    public static List<HeaderField> List(Random random, int maxFields = 12)
    {
        var fields = new List<HeaderField>();
        for (var count = random.Next(maxFields + 1); count > 0; count--)
        {
            fields.Add(Field(random));
        }
        return fields;
    }

    public static HeaderField Field(Random random) => random.Next(4) switch
    {
        0 => HpackStaticTable.Entries[random.Next(HpackStaticTable.Entries.Length)],
        1 => new(HpackStaticTable.Entries[random.Next(HpackStaticTable.Entries.Length)].Name, Text(random, lowercase: false)),
        2 => new(Names[random.Next(Names.Length)], Values[random.Next(Values.Length)]),
        _ => new(Text(random, lowercase: true), Text(random, lowercase: false)),
    };

    /// <summary>Latin-1 text (HPACK strings are octets); names are lower-case, as HTTP/2 wants them.</summary>
    public static string Text(Random random, bool lowercase)
    {
        var length = random.Next(10) == 0 ? random.Next(400) : random.Next(24);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = random.Next(3) == 0 ? (char)random.Next(256) : (char)random.Next('a', 'z' + 1);
            if (lowercase)
            {
                chars[i] = char.ToLowerInvariant(chars[i]) is var c && c <= 0xFF ? c : 'x';
            }
        }
        return new string(chars);
    }
}

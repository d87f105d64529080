using System.Buffers;
using DistTrain.Transport.Http2.Framing;

namespace DistTrain.Transport.Tests;

/// <summary>HPACK (RFC 7541): the Appendix C examples, encoder round trips, and malformed input.</summary>
public sealed class HpackTests
{
    private const string Date21 = "Mon, 21 Oct 2013 20:13:21 GMT";
    private const string Date22 = "Mon, 21 Oct 2013 20:13:22 GMT";
    private const string Location = "https://www.example.com";
    private const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

    // C.2: one literal or indexed field each, each on a fresh decoder.

    [Fact]
    public void C2_1_literal_with_indexing()
    {
        var decoder = new HpackDecoder();
        AssertDecodes(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", ("custom-key", "custom-header"));
        AssertTable(decoder, ("custom-key", "custom-header"));
    }

    [Fact]
    public void C2_2_literal_without_indexing()
    {
        var decoder = new HpackDecoder();
        AssertDecodes(decoder, "040c 2f73 616d 706c 652f 7061 7468", (":path", "/sample/path"));
        AssertTable(decoder);
    }

    [Fact]
    public void C2_3_literal_never_indexed()
    {
        var decoder = new HpackDecoder();
        AssertDecodes(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74", ("password", "secret"));
        AssertTable(decoder);
    }

    [Fact]
    public void C2_4_indexed()
    {
        var decoder = new HpackDecoder();
        AssertDecodes(decoder, "82", (":method", "GET"));
        AssertTable(decoder);
    }

    // C.3 and C.4: three requests on one decoder, raw and Huffman-coded.

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void C3_C4_requests(bool huffman)
    {
        string[] blocks = huffman
            ? [
                "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                "8286 84be 5886 a8eb 1064 9cbf",
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            ]
            : [
                "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "8286 84be 5808 6e6f 2d63 6163 6865",
                "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
            ];
        var decoder = new HpackDecoder();

        AssertDecodes(decoder, blocks[0], (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"));
        AssertTable(decoder, (":authority", "www.example.com"));

        AssertDecodes(decoder, blocks[1],
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache"));
        AssertTable(decoder, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        AssertDecodes(decoder, blocks[2],
            (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value"));
        AssertTable(decoder, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    // C.5 and C.6: three responses on one decoder with a 256-byte table, so entries get evicted.

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void C5_C6_responses_with_eviction(bool huffman)
    {
        string[] blocks = huffman
            ? [
                "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
                "4883 640e ffc1 c0bf",
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
            ]
            : [
                "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "4803 3330 37c1 c0bf",
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
            ];
        var decoder = new HpackDecoder(maxDynamicTableSize: 256);

        AssertDecodes(decoder, blocks[0], (":status", "302"), ("cache-control", "private"), ("date", Date21), ("location", Location));
        AssertTable(decoder, ("location", Location), ("date", Date21), ("cache-control", "private"), (":status", "302"));

        // Adding ":status: 307" (42 bytes) to 222 bytes evicts ":status: 302".
        AssertDecodes(decoder, blocks[1], (":status", "307"), ("cache-control", "private"), ("date", Date21), ("location", Location));
        AssertTable(decoder, (":status", "307"), ("location", Location), ("date", Date21), ("cache-control", "private"));

        AssertDecodes(decoder, blocks[2],
            (":status", "200"), ("cache-control", "private"), ("date", Date22), ("location", Location),
            ("content-encoding", "gzip"), ("set-cookie", Cookie));
        AssertTable(decoder, ("set-cookie", Cookie), ("content-encoding", "gzip"), ("date", Date22));
    }

    [Fact]
    public void Entry_larger_than_the_table_empties_it()
    {
        var decoder = new HpackDecoder(maxDynamicTableSize: 64);
        // "a: b" (34 bytes) fits; then a 40-byte value (73 bytes) cannot, so the table ends empty.
        Decode(decoder, "4001 6101 62");
        AssertTable(decoder, ("a", "b"));
        Decode(decoder, "4001 6128" + Convert.ToHexString(new byte[40]));
        AssertTable(decoder);
    }

    [Fact]
    public void Size_update_evicts_and_is_allowed_only_at_the_block_start()
    {
        var decoder = new HpackDecoder();
        Decode(decoder, "4001 6101 62");
        // Two updates at the start (to 0, then back to 4096) leave the table empty.
        AssertDecodes(decoder, "20 3fe11f 82", (":method", "GET"));
        AssertTable(decoder);
        AssertThrows(decoder, "82 20");
    }

    [Fact]
    public void Huffman_codes_match_RFC_7541_Appendix_B()
    {
        Assert.Equal((0x0u, 5), HpackHuffman.Code('0'));
        Assert.Equal((0x3u, 5), HpackHuffman.Code('a'));
        Assert.Equal((0x14u, 6), HpackHuffman.Code(' '));
        Assert.Equal((0x1ff8u, 13), HpackHuffman.Code(0));
        Assert.Equal((0x3ffffffcu, 30), HpackHuffman.Code('\n'));
        Assert.Equal((0x3ffffeeu, 26), HpackHuffman.Code(255));
        Assert.Equal((0x3fffffffu, 30), HpackHuffman.Code(256));
    }

    [Fact]
    public void Every_octet_decodes_from_its_Huffman_code()
    {
        var value = string.Concat(Enumerable.Range(0, 256).Select(i => (char)i));
        var block = new List<byte> { 0x00, 0x01, (byte)'x' };
        var huffman = HuffmanEncode(value);
        block.AddRange(Integer(0x80, 7, huffman.Length));
        block.AddRange(huffman);
        var fields = new List<HeaderField>();
        new HpackDecoder().Decode(block.ToArray(), fields);
        Assert.Equal([new HeaderField("x", value)], fields);
    }

    // Encoder.

    [Theory]
    [InlineData(":method", "POST", "83")]
    [InlineData(":status", "200", "88")]
    [InlineData("accept-charset", "", "8f")]
    [InlineData(":path", "/a", "0402 2f61")]
    [InlineData("content-type", "application/grpc", "0f10 1061 7070 6c69 6361 7469 6f6e 2f67 7270 63")]
    [InlineData("te", "trailers", "0002 7465 0874 7261 696c 6572 73")]
    [InlineData("grpc-timeout", "", "000c 6772 7063 2d74 696d 656f 7574 00")]
    public void Encoder_writes_the_expected_bytes(string name, string value, string hex)
    {
        var output = new ArrayBufferWriter<byte>();
        HpackEncoder.Write(output, name, value);
        Assert.Equal(Hex(hex), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Encoder_round_trips_through_the_decoder()
    {
        HeaderField[] fields =
        [
            new(":method", "POST"),
            new(":scheme", "https"),
            new(":path", "/disttrain.v1.Trainer/Join"),
            new(":authority", "localhost:5000"),
            new(":status", "200"),
            new(":status", "418"),
            new("content-type", "application/grpc"),
            new("te", "trailers"),
            new("grpc-timeout", ""),
            new("accept-charset", ""),
            new("grpc-message", new string('x', 300)),
            new(new string('k', 200), new string('v', 20_000)),
            new("x-latin1", "caf\u00e9 \u00ff\u0001"),
        ];
        var output = new ArrayBufferWriter<byte>();
        foreach (var field in fields)
        {
            HpackEncoder.Write(output, field.Name, field.Value);
        }
        var decoded = new List<HeaderField>();
        new HpackDecoder().Decode(output.WrittenSpan, decoded);
        Assert.Equal(fields, decoded);
    }

    // Malformed input.

    [Theory]
    [InlineData("ff")] // integer continuation missing
    [InlineData("ff 80")]
    [InlineData("40")] // name string missing
    [InlineData("4001")] // name shorter than its length
    [InlineData("4001 61")] // value missing
    [InlineData("0401 2f61 62")] // a whole field, then a byte that starts another
    [InlineData("0403 2f61")] // value shorter than its length
    [InlineData("3f")] // size update cut short
    public void Truncated_block_throws(string hex) => AssertThrows(new HpackDecoder(), hex);

    [Theory]
    [InlineData("80")] // indexed field 0
    [InlineData("be")] // 62 with an empty dynamic table
    [InlineData("ff00")] // 127
    [InlineData("0f30 00")] // literal whose name index is 63
    [InlineData("7f01 00")] // literal with indexing whose name index is 64
    public void Bad_index_throws(string hex) => AssertThrows(new HpackDecoder(), hex);

    [Theory]
    [InlineData("0001 7881 18")] // "a" padded with zeros
    [InlineData("0001 7882 1fff")] // "a" padded with 11 bits
    [InlineData("0001 7884 ffff ffff")] // EOS
    public void Bad_Huffman_throws(string hex) => AssertThrows(new HpackDecoder(), hex);

    [Fact]
    public void Good_Huffman_padding_decodes() => AssertDecodes(new HpackDecoder(), "0001 7881 1f", ("x", "a"));

    [Fact]
    public void Size_update_above_the_limit_throws()
    {
        AssertDecodes(new HpackDecoder(), "3fe11f 82", (":method", "GET")); // 4096
        AssertThrows(new HpackDecoder(), "3fe21f 82"); // 4097
        AssertThrows(new HpackDecoder(maxDynamicTableSize: 0), "21");
    }

    [Fact]
    public void Header_list_over_the_limit_throws()
    {
        // ":method: GET" counts 7 + 3 + 32 = 42.
        AssertDecodes(new HpackDecoder(maxHeaderListSize: 84), "8282", (":method", "GET"), (":method", "GET"));
        AssertThrows(new HpackDecoder(maxHeaderListSize: 84), "828282");
    }

    [Theory]
    [InlineData("ff ffffffff0f")] // 127 + 0xffffffff... > int.MaxValue
    [InlineData("ff 8080808080 00")] // a sixth continuation byte, even of zeros
    [InlineData("0001 787f ffffffff07")] // string length > int.MaxValue
    public void Integer_overflow_throws(string hex) => AssertThrows(new HpackDecoder(), hex);

    [Fact]
    public void Largest_int_is_read()
    {
        // 127 + (2^31 - 128) = int.MaxValue as an index: read fine, then out of range.
        var exception = AssertThrows(new HpackDecoder(), "ff 80ffffff07");
        Assert.Contains("beyond", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_input_decodes_or_throws_HpackException()
    {
        var random = new Random(20240607);
        var decoder = new HpackDecoder(maxDynamicTableSize: 256, maxHeaderListSize: 1024);
        var fields = new List<HeaderField>();
        var valid = new[] { "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "4803 3330 37c1 c0bf", "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572" }
            .Select(Hex).ToArray();
        for (var i = 0; i < 2000; i++)
        {
            // Half pure noise, half a valid block with a few bytes changed (reaching deeper paths).
            byte[] block;
            if (i % 2 == 0)
            {
                block = new byte[random.Next(0, 64)];
                random.NextBytes(block);
            }
            else
            {
                block = (byte[])valid[random.Next(valid.Length)].Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    block[random.Next(block.Length)] = (byte)random.Next(256);
                }
            }
            fields.Clear();
            try
            {
                decoder.Decode(block, fields);
            }
            catch (HpackException)
            {
                // Expected for most; anything else fails the test.
            }
        }
    }

    private static void Decode(HpackDecoder decoder, string hex) => decoder.Decode(Hex(hex), []);

    private static void AssertDecodes(HpackDecoder decoder, string hex, params (string Name, string Value)[] expected)
    {
        var fields = new List<HeaderField>();
        decoder.Decode(Hex(hex), fields);
        Assert.Equal(expected.Select(f => new HeaderField(f.Name, f.Value)), fields);
    }

    private static HpackException AssertThrows(HpackDecoder decoder, string hex) =>
        Assert.Throws<HpackException>(() => decoder.Decode(Hex(hex), []));

    /// <summary>
    /// Checks the dynamic table, newest first, through indexed fields (which never change the table):
    /// each entry at 62, 63, ... and nothing after the last.
    /// </summary>
    private static void AssertTable(HpackDecoder decoder, params (string Name, string Value)[] newestFirst)
    {
        for (var i = 0; i <= newestFirst.Length; i++)
        {
            var block = Integer(0x80, 7, 62 + i);
            if (i < newestFirst.Length)
            {
                var fields = new List<HeaderField>();
                decoder.Decode(block, fields);
                Assert.Equal([new HeaderField(newestFirst[i].Name, newestFirst[i].Value)], fields);
            }
            else
            {
                Assert.Throws<HpackException>(() => decoder.Decode(block, []));
            }
        }
    }

    private static byte[] Integer(byte pattern, int prefixBits, int value)
    {
        var output = new List<byte>();
        var prefixMax = (1 << prefixBits) - 1;
        if (value < prefixMax)
        {
            return [(byte)(pattern | value)];
        }
        output.Add((byte)(pattern | prefixMax));
        for (value -= prefixMax; value >= 0x80; value >>= 7)
        {
            output.Add((byte)(0x80 | (value & 0x7f)));
        }
        output.Add((byte)value);
        return [.. output];
    }

    private static byte[] HuffmanEncode(string text)
    {
        var output = new List<byte>();
        ulong bits = 0;
        var count = 0;
        foreach (var c in text)
        {
            var (code, length) = HpackHuffman.Code(c);
            bits = (bits << length) | code;
            for (count += length; count >= 8; count -= 8)
            {
                output.Add((byte)(bits >> (count - 8)));
            }
        }
        if (count > 0)
        {
            // Pad with the most significant bits of EOS, i.e. ones.
            output.Add((byte)((bits << (8 - count)) | (0xffu >> count)));
        }
        return [.. output];
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}

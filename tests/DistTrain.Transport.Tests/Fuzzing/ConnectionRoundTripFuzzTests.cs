using System.Buffers.Binary;
using DistTrain.Fuzzing;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Http2.Wire;
using DistTrain.Transport.Testing;
using DistTrain.Transport.Tests.Support;
using Google.Protobuf;
using Xunit.Abstractions;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// Valid frames round-trip through the server connection however a client may legally cut and
/// mix them: unary Echo calls with header blocks over CONTINUATION frames, padding, priority,
/// messages over several DATA frames of interleaved streams, PING, PRIORITY, WINDOW_UPDATE and
/// unknown frames between them, in TCP reads of any size. Every call gets its reversed reply and
/// grpc-status 0, every PING its ACK, and no GOAWAY.
/// </summary>
[Collection(nameof(FuzzIsolation))]
public sealed class ConnectionRoundTripFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Fuzz_connection_answers_valid_calls_however_their_frames_are_cut() =>
        FuzzRunner.Run(new FuzzTarget("http2-valid-calls", 600, r => BitConverter.GetBytes(r.Next()), Check), output.WriteLine);

    private static string Check(byte[] seed)
    {
        var random = new Random(BitConverter.ToInt32(seed));
        var calls = Enumerable.Range(0, random.Next(1, 5)).Select(i => (Id: 1 + (2 * i), Request: Request(random))).ToList();
        var (input, pings) = Frames(random, calls);
        var peer = new ScriptedPeer([.. ConnectionHarness.Handshake, .. input], () => random.Next(1, 3000)) { HoldEnd = true };
        var connection = new Http2Connection(new FrameTransport(peer), isServer: true, ConnectionHarness.Limits, "fuzz", logger: null,
            stream => ConnectionHarness.Dispatcher.HandleAsync(stream, "fuzz"));
        var run = connection.RunAsync();
        Dictionary<int, Reply> replies = [];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int pingAcks;
        while (true)
        {
            (replies, pingAcks) = Parse(peer.Written());
            if ((replies.Count == calls.Count && replies.Values.All(r => r.Trailers is not null)) || clock.Elapsed > Patience)
            {
                break;
            }
            Thread.Sleep(1);
        }
        peer.ReleaseEnd();
        Require.True("read loop ends", run.Wait(Patience), "the read loop did not end at the end of the input");
        Require.True("pings answered", pingAcks == pings, $"{pings} PINGs, {pingAcks} ACKs");
        foreach (var (id, request) in calls)
        {
            Require.True("call answered", replies.TryGetValue(id, out var reply) && reply.Trailers is not null, $"stream {id} got no complete answer");
            Require.True("status", HeaderFields.Find(reply!.Headers, ":status") == "200" && HeaderFields.Find(reply.Trailers!, "grpc-status") == "0",
                $"stream {id}: headers [{string.Join(", ", reply.Headers)}], trailers [{string.Join(", ", reply.Trailers!)}]");
            var body = reply.Data.ToArray();
            Require.True("reply", body.Length >= MessageFrame.HeaderSize && EchoReply.Parser.ParseFrom(body.AsSpan(MessageFrame.HeaderSize)).Equals(EchoService.Reversed(request, 0)),
                $"stream {id}: reply {Convert.ToHexString(body)} is not the reversed request");
        }
        return $"{calls.Count} calls answered";
    }

    private static EchoRequest Request(Random random)
    {
        var payload = new byte[random.Next(4) == 0 ? random.Next(40_000) : random.Next(100)];
        random.NextBytes(payload);
        return new EchoRequest { Text = HeaderGenerator.Text(random, lowercase: true), Payload = ByteString.CopyFrom(payload) };
    }

    /// <summary>Each call's header block, then all their DATA frames interleaved, control frames anywhere between.</summary>
    private static (byte[] Frames, int Pings) Frames(Random random, List<(int Id, EchoRequest Request)> calls)
    {
        // Windows for the replies: 2^30 for each stream and the connection, as a client that reads everything.
        var output = new List<byte>(FrameScript.Encode(FrameType.Settings, 0, 0, [0, (byte)SettingId.InitialWindowSize, 0x40, 0, 0, 0]));
        output.AddRange(FrameScript.Encode(FrameType.WindowUpdate, 0, 0, [0x40, 0, 0, 0]));
        var pings = 0;
        var encoder = new HpackModelEncoder(4096);
        void Control()
        {
            switch (random.Next(8))
            {
                case 0:
                    output.AddRange(FrameScript.Encode(FrameType.Ping, 0, 0, new byte[8]));
                    pings++;
                    break;
                case 1: output.AddRange(FrameScript.Encode(FrameType.Priority, 0, calls[random.Next(calls.Count)].Id, [0, 0, 0, 0, 7])); break;
                case 2: output.AddRange(FrameScript.Encode((FrameType)random.Next(10, 256), (byte)random.Next(256), random.Next(2), new byte[random.Next(30)])); break;
                case 3: output.AddRange(FrameScript.Encode(FrameType.WindowUpdate, 0, 0, [0, 0, 1, 0])); break;
            }
        }
        foreach (var (id, _) in calls)
        {
            Control();
            List<HeaderField> fields =
            [
                new(":method", "POST"), new(":scheme", "http"), new(":path", EchoService.UnaryPath), new(":authority", "localhost"),
                new("content-type", "application/grpc"), new("te", "trailers"), new("x-meta", HeaderGenerator.Text(random, lowercase: true)),
            ];
            var block = encoder.Encode(fields, random);
            var first = random.Next(3) == 0 ? random.Next(block.Length + 1) : block.Length;
            var padding = random.Next(4) == 0 ? random.Next(1, 40) : -1;
            var priority = random.Next(4) == 0;
            byte flags = (byte)((first == block.Length ? FrameFlags.EndHeaders : 0) | (padding < 0 ? 0 : FrameFlags.Padded) | (priority ? FrameFlags.Priority : 0));
            byte[] payload = [.. padding < 0 ? [] : new[] { (byte)padding }, .. priority ? new byte[] { 0, 0, 0, 0, 9 } : [], .. block.AsSpan(0, first), .. new byte[Math.Max(0, padding)]];
            output.AddRange(FrameScript.Encode(FrameType.Headers, flags, id, payload));
            // Within the server's documented bound of frames a block (ServerLimits.MaxHeaderFrames, the CONTINUATION flood bound).
            for (int at = first, framesLeft = ConnectionHarness.Limits.MaxHeaderFrames - 1; at < block.Length; framesLeft--)
            {
                var size = Math.Min(block.Length - at, Math.Max(random.Next(1, 40), (block.Length - at + framesLeft - 1) / framesLeft));
                output.AddRange(FrameScript.Encode(FrameType.Continuation, at + size == block.Length ? FrameFlags.EndHeaders : (byte)0, id, block.AsSpan(at, size).ToArray()));
                at += size;
            }
        }
        var pending = calls.Select(c => (c.Id, Frames: DataFrames(random, c.Id, c.Request))).ToList();
        while (pending.Count > 0)
        {
            Control();
            var next = random.Next(pending.Count);
            output.AddRange(pending[next].Frames.Dequeue());
            if (pending[next].Frames.Count == 0)
            {
                pending.RemoveAt(next);
            }
        }
        return ([.. output], pings);
    }

    /// <summary>The request as one gRPC message over DATA frames of at most the default frame size, some padded; END_STREAM on the last.</summary>
    private static Queue<byte[]> DataFrames(Random random, int id, EchoRequest request)
    {
        var message = request.ToByteArray();
        byte[] body = [0, .. BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(message.Length)), .. message];
        var frames = new Queue<byte[]>();
        for (var at = 0; at < body.Length;)
        {
            var size = Math.Min(body.Length - at, random.Next(2) == 0 ? random.Next(1, 200) : random.Next(1, FrameHeader.DefaultMaxFrameSize - 300));
            var padding = random.Next(5) == 0 ? random.Next(0, 256) : -1;
            byte[] payload = padding < 0 ? body[at..(at + size)] : [(byte)padding, .. body.AsSpan(at, size), .. new byte[padding]];
            var last = at + size == body.Length;
            frames.Enqueue(FrameScript.Encode(FrameType.Data, (byte)((last ? FrameFlags.EndStream : 0) | (padding < 0 ? 0 : FrameFlags.Padded)), id, payload));
            at += size;
        }
        return frames;
    }

    private sealed record Reply(List<HeaderField> Headers)
    {
        public List<byte> Data { get; } = [];

        public List<HeaderField>? Trailers { get; set; }
    }

    /// <summary>The server's answers so far, by stream, and its PING ACKs (the server's encoder keeps no table, so each block decodes alone).</summary>
    private static (Dictionary<int, Reply> Replies, int PingAcks) Parse(byte[] written)
    {
        var replies = new Dictionary<int, Reply>();
        var acks = 0;
        var rest = written.AsSpan();
        while (rest.Length >= FrameHeader.Size && FrameHeader.Read(rest) is var header && rest.Length >= FrameHeader.Size + header.Length)
        {
            var payload = rest.Slice(FrameHeader.Size, header.Length);
            Require.True("no goaway", header.Type != FrameType.GoAway, $"GOAWAY: {System.Text.Encoding.UTF8.GetString(payload[Math.Min(8, payload.Length)..])}");
            if (header.Type == FrameType.Ping && header.Has(FrameFlags.Ack))
            {
                acks++;
            }
            else if (header.Type == FrameType.Headers)
            {
                var fields = new List<HeaderField>();
                new HpackDecoder().Decode(payload, fields);
                if (replies.TryGetValue(header.StreamId, out var reply))
                {
                    reply.Trailers = fields;
                }
                else
                {
                    replies[header.StreamId] = new Reply(fields) { Trailers = header.Has(FrameFlags.EndStream) ? fields : null };
                }
            }
            else if (header.Type == FrameType.Data)
            {
                replies[header.StreamId].Data.AddRange(payload);
            }
            rest = rest[(FrameHeader.Size + header.Length)..];
        }
        return (replies, acks);
    }
}

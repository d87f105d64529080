using System.Buffers.Binary;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Testing;
using Google.Protobuf;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// What a client may send after its preface and first SETTINGS: gRPC calls to real methods
/// (HEADERS split over CONTINUATION frames, padded or with priority, messages split over DATA
/// frames) mixed with every control frame, and now and then a frame whose length field lies.
/// The mutator then damages these; valid ones check that the server still answers correctly.
/// </summary>
internal sealed class FrameScript(Random random)
{
    public static readonly string[] Paths =
    [
        "/disttrain.testing.Echo/Unary", "/disttrain.testing.Echo/Chat", "/disttrain.testing.Echo/Sleep",
        "/disttrain.v1.Trainer/Join", "/grpc.health.v1.Health/Check", "/no.such.Service/Method",
    ];

    private readonly List<byte> _output = [];
    private readonly HpackModelEncoder _encoder = new(4096);
    private readonly List<int> _open = [];
    private int _nextStream = 1;

    /// <summary>Frames as a client sends them, some of them odd.</summary>
    public static byte[] Generate(Random random)
    {
        var script = new FrameScript(random);
        for (var count = random.Next(1, 12); count > 0; count--)
        {
            script.Step();
        }
        return [.. script._output];
    }

    private void Step()
    {
        switch (random.Next(16))
        {
            case < 5:
                Request();
                break;
            case < 9 when _open.Count > 0:
                Messages(_open[random.Next(_open.Count)]);
                break;
            case 9:
                var settings = new byte[6 * random.Next(4)];
                for (var i = 0; i < settings.Length; i += 6)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(settings.AsSpan(i), (ushort)random.Next(1, 8));
                    BinaryPrimitives.WriteUInt32BigEndian(settings.AsSpan(i + 2), Value());
                }
                Frame(FrameType.Settings, random.Next(4) == 0 ? FrameFlags.Ack : (byte)0, 0, random.Next(4) == 0 ? [] : settings);
                break;
            case 10:
                Frame(FrameType.Ping, random.Next(3) == 0 ? FrameFlags.Ack : (byte)0, 0, new byte[8]);
                break;
            case 11:
                Frame(FrameType.WindowUpdate, 0, random.Next(2) == 0 ? 0 : AnyStream(), UInt32(random.Next(4) == 0 ? Value() : (uint)random.Next(1, 1 << 20)));
                break;
            case 12 when _open.Count > 0:
                Frame(FrameType.RstStream, 0, _open[random.Next(_open.Count)], UInt32((uint)random.Next(14)));
                break;
            case 13:
                Frame(FrameType.Priority, 0, AnyStream(), [0, 0, 0, (byte)random.Next(8), 16]);
                break;
            case 14 when _open.Count > 0:
                // Trailers from a client: a second header block on an open stream.
                Headers(_open[random.Next(_open.Count)], [new("x-trailer", "1")], endStream: true);
                break;
            default:
                // GOAWAY and PUSH_PROMISE end the connection, so they are rare; unknown types are ignored.
                var type = random.Next(20) switch { 0 => FrameType.GoAway, 1 => FrameType.PushPromise, _ => (FrameType)random.Next(10, 256) };
                var payload = new byte[random.Next(8, 30)];
                random.NextBytes(payload);
                Frame(type, type == FrameType.GoAway ? (byte)0 : (byte)random.Next(256), random.Next(2) == 0 ? 0 : AnyStream(), payload);
                break;
        }
    }

    private void Request()
    {
        var path = Paths[random.Next(Paths.Length)];
        List<HeaderField> fields =
        [
            new(":method", random.Next(20) == 0 ? "GET" : "POST"),
            new(":scheme", "http"),
            new(":path", path),
            new(":authority", "localhost"),
            new("content-type", random.Next(20) == 0 ? "text/plain" : "application/grpc"),
            new("te", "trailers"),
        ];
        if (random.Next(4) == 0)
        {
            fields.Add(new("grpc-timeout", random.Next(3) == 0 ? HeaderGenerator.Text(random, lowercase: false) : $"{random.Next(1, 500)}m"));
        }
        if (random.Next(10) == 0)
        {
            fields.Add(new("grpc-encoding", random.Next(2) == 0 ? "identity" : "gzip"));
        }
        for (var extra = random.Next(3); extra > 0; extra--)
        {
            var field = HeaderGenerator.Field(random);
            fields.Insert(random.Next(fields.Count + 1), field with { Name = field.Name.ToLowerInvariant() });
        }
        var id = random.Next(10) == 0 ? random.Next(0, _nextStream + 4) : _nextStream;
        _nextStream = Math.Max(_nextStream, id + 2) | 1;
        _open.Add(id);
        var endStream = random.Next(10) == 0;
        Headers(id, fields, endStream);
        if (!endStream && random.Next(3) != 0)
        {
            Messages(id);
        }
    }

    private void Headers(int id, List<HeaderField> fields, bool endStream)
    {
        var block = _encoder.Encode(fields, random);
        var first = random.Next(4) == 0 ? random.Next(block.Length + 1) : block.Length;
        var flags = (byte)((endStream ? FrameFlags.EndStream : 0) | (first == block.Length ? FrameFlags.EndHeaders : 0));
        var payload = new List<byte>();
        var padding = 0;
        if (random.Next(6) == 0)
        {
            flags |= FrameFlags.Padded;
            padding = random.Next(20);
            payload.Add((byte)padding);
        }
        if (random.Next(6) == 0)
        {
            flags |= FrameFlags.Priority;
            payload.AddRange([0, 0, 0, 0, 16]);
        }
        payload.AddRange(block.AsSpan(0, first));
        payload.AddRange(new byte[padding]);
        Frame(FrameType.Headers, flags, id, [.. payload]);
        for (var at = first; at < block.Length;)
        {
            var size = Math.Min(block.Length - at, random.Next(1, 64));
            Frame(FrameType.Continuation, at + size == block.Length ? FrameFlags.EndHeaders : (byte)0, id, block.AsSpan(at, size).ToArray());
            at += size;
        }
    }

    /// <summary>One or more gRPC messages for the stream's method, over one or more DATA frames.</summary>
    private void Messages(int id)
    {
        var body = new List<byte>();
        for (var count = random.Next(1, 3); count > 0; count--)
        {
            var message = Message();
            body.Add(0);
            body.AddRange(UInt32((uint)message.Length));
            body.AddRange(message);
        }
        var endStream = random.Next(4) != 0;
        for (var at = 0; at < body.Count;)
        {
            var size = random.Next(3) == 0 ? Math.Min(body.Count - at, random.Next(1, 100)) : body.Count - at;
            var last = at + size == body.Count;
            var padding = random.Next(8) == 0 ? random.Next(1, 30) : -1;
            byte[] payload = padding < 0 ? [.. body.GetRange(at, size)] : [(byte)padding, .. body.GetRange(at, size), .. new byte[padding]];
            Frame(FrameType.Data, (byte)((last && endStream ? FrameFlags.EndStream : 0) | (padding < 0 ? 0 : FrameFlags.Padded)), id, payload);
            at += size;
        }
        if (endStream)
        {
            _open.Remove(id);
        }
    }

    private byte[] Message()
    {
        var bytes = new byte[random.Next(10) == 0 ? random.Next(70_000) : random.Next(40)];
        random.NextBytes(bytes);
        return random.Next(6) switch
        {
            0 => new EchoRequest { Text = random.Next(8) == 0 ? "crash" : "hello", Payload = ByteString.CopyFrom(bytes) }.ToByteArray(),
            1 => new SleepRequest { Millis = (uint)random.Next(30) }.ToByteArray(),
            2 => new WorkerMessage { Result = new ShardResult { Version = 1, Gradient = ByteString.CopyFrom(bytes), LossSum = 0.5 } }.ToByteArray(),
            3 => new WorkerMessage { Heartbeat = new Heartbeat { SentUnixMs = 7 } }.ToByteArray(),
            _ => bytes,
        };
    }

    /// <summary>A frame; one in fifty gets a lying length field (the payload stays as it is).</summary>
    private void Frame(FrameType type, byte flags, int streamId, byte[] payload) =>
        _output.AddRange(Encode(type, flags, streamId, payload, random.Next(50) == 0 ? (int)(Value() & 0xFF_FFFF) : payload.Length));

    /// <summary>The 9-byte header (with <paramref name="length"/>, true or not) and the payload.</summary>
    public static byte[] Encode(FrameType type, byte flags, int streamId, byte[] payload, int? length = null)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(length ?? payload.Length, type, flags, streamId).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    private int AnyStream() => _open.Count > 0 && random.Next(3) != 0 ? _open[random.Next(_open.Count)] : random.Next(1, 64);

    private uint Value() => random.Next(6) switch
    {
        0 => 0,
        1 => uint.MaxValue,
        2 => int.MaxValue,
        3 => (uint)random.Next(1 << 14, 1 << 24),
        4 => (uint)random.Next(1 << 16),
        _ => (uint)random.Next(),
    };

    private static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}

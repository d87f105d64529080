using System.Buffers.Binary;
using System.Collections.Concurrent;
using DistTrain.Fuzzing;
using DistTrain.Training.Protocol;
using DistTrain.Transport.Hosting;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Http2.Server;
using DistTrain.Transport.Tests.Support;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// A server connection of the engine, as a listener sets one up (real limits, call dispatcher,
/// Echo, Trainer and Health services), run in process over a <see cref="ScriptedPeer"/> that plays
/// the client's bytes. Checks what must hold whatever the bytes: the read loop ends on its own,
/// never with an exception; handlers end too; every GOAWAY carries an RFC 9113 code; what the
/// server wrote is a well-formed frame sequence; and allocation stays within what the input and
/// the announced frame size allow.
/// </summary>
internal static class ConnectionHarness
{
    public static readonly Http2Limits Limits = Http2Limits.ForServer(MessageSizing.Default, new ServerLimits());
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly IReadOnlyDictionary<string, ServerMethod> Methods = MethodTable.From(
    [
        new EchoService().Definition,
        new ServerHealth().Definition,
        TrainerMethods.Service(async (requests, responses, context) =>
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                ReceivedTensor.Release(requests.Current.Result?.Gradient ?? Google.Protobuf.ByteString.Empty);
                await responses.WriteAsync(new Training.Protocol.V1.CoordinatorMessage { Heartbeat = new() { SentUnixMs = 1 } });
            }
        }),
    ]);

    public static readonly CallDispatcher Dispatcher = new(Methods, new GrpcServerOptions(), NullLogger.Instance);

    /// <summary>The client preface and an empty SETTINGS frame: what every input follows.</summary>
    public static readonly byte[] Handshake = [.. Http2Connection.Preface, 0, 0, 0, (byte)FrameType.Settings, 0, 0, 0, 0, 0];

    /// <summary>Runs the connection on the handshake plus <paramref name="frames"/> and returns how it ended ("GOAWAY PROTOCOL_ERROR", "eof").</summary>
    public static string Run(byte[] frames)
    {
        byte[] input = [.. Handshake, .. frames];
        var chunks = new Random(BinaryPrimitives.ReadInt32LittleEndian(System.Security.Cryptography.SHA256.HashData(input)));
        var peer = new ScriptedPeer(input, () => chunks.Next(3) == 0 ? chunks.Next(1, 16) : chunks.Next(1, 8192));
        var handlers = new ConcurrentQueue<Task>();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var connection = new Http2Connection(new FrameTransport(peer), isServer: true, Limits, "fuzz", logger: null, stream =>
        {
            var handler = Dispatcher.HandleAsync(stream, "fuzz");
            handlers.Enqueue(handler);
            return handler;
        }, new ReceiveBudget(128L << 20));
        var run = connection.RunAsync();
        Require.True("read loop ends", run.Wait(Patience), $"the read loop still ran {Patience.TotalSeconds} s after the input ended");
        // RunAsync is documented never to throw; Wait would have thrown its exception (a crash) above.
        WaitForHandlers(handlers);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // Input bytes are copied a few times (buffers, strings, messages); a frame's announced
        // length may be taken once before its bytes arrive; a fixed amount for the machinery.
        var bound = (64L * input.Length) + (2L * Limits.MaxFrameSize) + (4 << 20);
        Require.True("allocation bound", allocated <= bound, $"{input.Length} input bytes made the server allocate {allocated} bytes (bound {bound})");
        var goAway = CheckOutput(peer);
        Require.True("ends cleanly", goAway is not null || peer.ReachedEnd, "the connection ended without GOAWAY before the input did (an exception was swallowed)");
        var calls = handlers.Count switch { 0 => "no call", 1 => "1 call", _ => "calls" };
        return goAway is { } code ? $"GOAWAY {code} after {calls}" : $"eof after {calls}";
    }

    /// <summary>
    /// Handlers start on the thread pool (Task.Run) as their streams open, so some may not have
    /// started when the read loop ends: wait until the pool has nothing queued, then for them.
    /// </summary>
    private static void WaitForHandlers(ConcurrentQueue<Task> handlers)
    {
        int seen;
        do
        {
            seen = handlers.Count;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (ThreadPool.PendingWorkItemCount > 0 && waited.Elapsed < Patience)
            {
                Thread.Yield();
            }
            Require.True("handlers end", Task.WhenAll(handlers).Wait(Patience), "a call handler still ran after the connection ended");
        }
        while (handlers.Count != seen);
    }

    /// <summary>Parses what the server wrote; returns the first GOAWAY's code.</summary>
    private static Http2ErrorCode? CheckOutput(ScriptedPeer peer)
    {
        var written = peer.Written();
        if (written.Length != peer.WrittenCount)
        {
            return null; // Too much to keep: not parsed.
        }
        Http2ErrorCode? goAway = null;
        var rest = written.AsSpan();
        while (!rest.IsEmpty)
        {
            Require.True("output frames", rest.Length >= FrameHeader.Size, $"the server wrote {rest.Length} bytes that are not a frame header");
            var header = FrameHeader.Read(rest);
            Require.True("output frames", rest.Length - FrameHeader.Size >= header.Length, $"the server wrote a {header.Type} frame cut short");
            if (header.Type == FrameType.GoAway && goAway is null)
            {
                Require.True("output frames", header.Length >= 8, "GOAWAY shorter than 8 bytes");
                var code = BinaryPrimitives.ReadUInt32BigEndian(rest[(FrameHeader.Size + 4)..]);
                Require.True("goaway code", code <= (uint)Http2ErrorCode.Http11Required, $"GOAWAY with code {code}, which RFC 9113 does not define");
                goAway = (Http2ErrorCode)code;
            }
            rest = rest[(FrameHeader.Size + header.Length)..];
        }
        return goAway;
    }
}

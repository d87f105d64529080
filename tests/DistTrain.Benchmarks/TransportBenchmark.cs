// Round trips per second and payload throughput of ~1 MB messages going each way on loopback:
// a raw TCP socket ping-pong (the ceiling), a unary gRPC call, and a bidirectional gRPC stream
// doing the same ping-pong. The three are measured in turn, round after round, so each ratio
// compares measurements taken seconds apart on a machine whose speed drifts; the medians of
// the per-round ratios are the result.
// `dotnet run -c Release --project tests/DistTrain.Benchmarks -- transport [--size BYTES] [--seconds S] [--rounds N]`
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DistTrain.Rpc;
using DistTrain.Rpc.Tensors;
using DistTrain.Rpc.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.Benchmarks;

public static class TransportBenchmark
{
    private const string UnaryMethod = "/disttrain.bench.Transport/Unary";
    private const string PingPongMethod = "/disttrain.bench.Transport/PingPong";
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    public static int Run(string[] args)
    {
        var size = 1 << 20;
        var seconds = 2.0;
        var rounds = 5;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--size" && i + 1 < args.Length && int.TryParse(args[++i], CultureInfo.InvariantCulture, out var s) && s > 0)
            {
                size = s;
            }
            else if (args[i] == "--seconds" && i + 1 < args.Length && double.TryParse(args[++i], CultureInfo.InvariantCulture, out var t) && t > 0)
            {
                seconds = t;
            }
            else if (args[i] == "--rounds" && i + 1 < args.Length && int.TryParse(args[++i], CultureInfo.InvariantCulture, out var r) && r > 0)
            {
                rounds = r;
            }
            else
            {
                Console.Error.WriteLine("usage: DistTrain.Benchmarks transport [--size BYTES] [--seconds S] [--rounds N]");
                return 2;
            }
        }
        return RunAsync(size, TimeSpan.FromSeconds(seconds), rounds).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int size, TimeSpan duration, int rounds)
    {
        Console.WriteLine("Loopback ping-pong, {0:N0}-byte payload each way, {1} rounds of {2:F1} s per transport after {3:F0} s warm-up each, {4} processors",
            size, rounds, duration.TotalSeconds, WarmUp.TotalSeconds, Environment.ProcessorCount);
        Console.WriteLine("MB/s counts payload bytes in both directions (2 x size per round trip).");
        Console.WriteLine();

        await using var rawTcp = await RawTcpEcho.StartAsync(size);

        var maxMessage = MessageSizing.ForParameters(size / sizeof(float) + 1);
        var registry = new ServiceRegistry();
        // The server reads each message as a coordinator reads a result (tensor bytes in a pooled
        // buffer), takes the bytes into its own buffer, as decoding does, and sends them back.
        // Calls come one at a time, so one buffer serves them all.
        var serverBuffer = new byte[size];
        registry.AddUnary<WeightsBroadcast, WeightsBroadcast>(UnaryMethod, TensorMessageReaders.Weights, (request, _) => Task.FromResult(Echo(request, serverBuffer)));
        registry.AddDuplexStreaming<WeightsBroadcast, WeightsBroadcast>(PingPongMethod, TensorMessageReaders.Weights, async (requests, responses, _) =>
        {
            while (await requests.MoveNext())
            {
                await responses.WriteAsync(Echo(requests.Current, serverBuffer));
            }
        });
        var serverOptions = new GrpcServerOptions { MaxReceiveMessageSize = maxMessage, MaxSendMessageSize = maxMessage };
        await using var server = await GrpcServer.StartAsync(serverOptions, registry, NullLoggerFactory.Instance);
        using var channel = GrpcChannel.ForAddress(server.Address.ToString(), new GrpcChannelOptions { MaxReceiveMessageSize = maxMessage, MaxSendMessageSize = maxMessage });

        var payload = new byte[size];
        new Random(42).NextBytes(payload);
        var message = new WeightsBroadcast { Version = 1, Precision = WirePrecision.Fp32, Parameters = ByteString.CopyFrom(payload) };

        Func<Task> unary = async () =>
        {
            var reply = await channel.UnaryAsync(UnaryMethod, message, TensorMessageReaders.Weights);
            Check(reply.Parameters.Length == size);
            TensorBuffers.Return(reply.Parameters);
        };
        using var call = channel.DuplexStreaming<WeightsBroadcast, WeightsBroadcast>(PingPongMethod, TensorMessageReaders.Weights);
        Func<Task> stream = async () =>
        {
            await call.RequestStream.WriteAsync(message);
            Check(await call.ResponseStream.MoveNext() && call.ResponseStream.Current.Parameters.Length == size);
            TensorBuffers.Return(call.ResponseStream.Current.Parameters);
        };

        // Long warm-ups: tiered JIT compilation keeps recompiling the hot paths for the first seconds.
        foreach (var roundTrip in new[] { rawTcp.RoundTripAsync, unary, stream })
        {
            await RepeatAsync(WarmUp, roundTrip);
        }
        Console.WriteLine("{0,-6} {1,-28} {2,14} {3,10} {4,12} {5,16}", "round", "transport", "round trips/s", "MB/s", "vs raw TCP", "CPU ms/round trip");
        var unaryRatios = new List<double>();
        var streamRatios = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await MeasureAsync(duration, rawTcp.RoundTripAsync);
            var u = await MeasureAsync(duration, unary);
            var st = await MeasureAsync(duration, stream);
            Print(round, "raw TCP socket", raw, raw, size);
            Print(round, "gRPC unary", u, raw, size);
            Print(round, "gRPC bidirectional stream", st, raw, size);
            unaryRatios.Add(u.RoundTripsPerSecond / raw.RoundTripsPerSecond);
            streamRatios.Add(st.RoundTripsPerSecond / raw.RoundTripsPerSecond);
        }
        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext());
        Console.WriteLine();
        Console.WriteLine("median share of raw TCP round trips: gRPC unary {0:P0}, gRPC bidirectional stream {1:P0}", Median(unaryRatios), Median(streamRatios));
        return 0;
    }

    private static WeightsBroadcast Echo(WeightsBroadcast request, byte[] buffer)
    {
        request.Parameters.Span.CopyTo(buffer);
        TensorBuffers.Return(request.Parameters);
        return new WeightsBroadcast { Version = request.Version, Precision = request.Precision, Parameters = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, request.Parameters.Length)) };
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static void Print(int round, string name, Measurement measured, Measurement rawTcp, int size) =>
        Console.WriteLine("{0,-6} {1,-28} {2,14:F1} {3,10:F0} {4,11:P0} {5,16:F2}",
            round,
            name,
            measured.RoundTripsPerSecond,
            2.0 * size * measured.RoundTripsPerSecond / 1e6,
            measured.RoundTripsPerSecond / rawTcp.RoundTripsPerSecond,
            measured.CpuMillisecondsPerRoundTrip);

    private static async Task RepeatAsync(TimeSpan duration, Func<Task> roundTrip)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await roundTrip();
        }
    }

    /// <summary>
    /// Round trips per second over <paramref name="duration"/>, and process CPU milliseconds per
    /// round trip (both ends run in this process).
    /// </summary>
    private static async Task<Measurement> MeasureAsync(TimeSpan duration, Func<Task> roundTrip)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await roundTrip();
            count++;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return new Measurement(count / seconds, (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / count);
    }

    private readonly record struct Measurement(double RoundTripsPerSecond, double CpuMillisecondsPerRoundTrip);

    /// <summary>The same ping-pong over a bare socket: length prefix and payload, echoed whole.</summary>
    private sealed class RawTcpEcho : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly Socket _client;
        private readonly NetworkStream _stream;
        private readonly Task _echo;
        private readonly byte[] _request;
        private readonly byte[] _reply;

        private RawTcpEcho(Socket listener, Socket client, Task echo, int size)
        {
            _listener = listener;
            _client = client;
            _stream = new NetworkStream(client);
            _echo = echo;
            _request = new byte[4 + size];
            BinaryPrimitives.WriteInt32BigEndian(_request, size);
            new Random(42).NextBytes(_request.AsSpan(4));
            _reply = new byte[4 + size];
        }

        public static async Task<RawTcpEcho> StartAsync(int size)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var echo = Task.Run(async () =>
            {
                using var socket = await listener.AcceptAsync();
                socket.NoDelay = true;
                using var peer = new NetworkStream(socket);
                var buffer = new byte[4 + size];
                while (true)
                {
                    if (await peer.ReadAtLeastAsync(buffer.AsMemory(0, 4), 4, throwOnEndOfStream: false) < 4)
                    {
                        return;
                    }
                    var length = BinaryPrimitives.ReadInt32BigEndian(buffer);
                    await peer.ReadExactlyAsync(buffer.AsMemory(4, length));
                    await peer.WriteAsync(buffer.AsMemory(0, 4 + length));
                }
            });
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
            return new RawTcpEcho(listener, client, echo, size);
        }

        public async Task RoundTripAsync()
        {
            await _stream.WriteAsync(_request);
            await _stream.ReadExactlyAsync(_reply);
        }

        public async ValueTask DisposeAsync()
        {
            _client.Shutdown(SocketShutdown.Send);
            await _echo;
            await _stream.DisposeAsync();
            _client.Dispose();
            _listener.Dispose();
        }
    }

    private static void Check(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("The benchmark's reply was not the message sent.");
        }
    }
}

// Round trips per second and payload throughput of ~1 MB messages going each way on loopback:
// a raw TCP socket ping-pong (the ceiling), a unary gRPC call, and a bidirectional gRPC stream
// doing the same ping-pong, all measured in one run so the ratios compare like with like.
// `dotnet run -c Release --project tests/DistTrain.Benchmarks -- transport [--size BYTES] [--seconds S]`
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DistTrain.Rpc;
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
        var seconds = 3.0;
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
            else
            {
                Console.Error.WriteLine("usage: DistTrain.Benchmarks transport [--size BYTES] [--seconds S]");
                return 2;
            }
        }
        return RunAsync(size, TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int size, TimeSpan duration)
    {
        Console.WriteLine("Loopback ping-pong, {0:N0}-byte payload each way, {1:F1} s per measurement after {2:F0} s warm-up, {3} processors",
            size, duration.TotalSeconds, WarmUp.TotalSeconds, Environment.ProcessorCount);
        Console.WriteLine("MB/s counts payload bytes in both directions (2 x size per round trip).");
        Console.WriteLine();

        var rawTcp = await RawTcpAsync(size, duration);

        var maxMessage = MessageSizing.ForParameters(size / sizeof(float) + 1);
        var registry = new ServiceRegistry();
        // Echo the message itself back: the server parses and re-serializes, as a coordinator would.
        registry.AddUnary<WeightsBroadcast, WeightsBroadcast>(UnaryMethod, WeightsBroadcast.Parser, (request, _) => Task.FromResult(request));
        registry.AddDuplexStreaming<WeightsBroadcast, WeightsBroadcast>(PingPongMethod, WeightsBroadcast.Parser, async (requests, responses, _) =>
        {
            while (await requests.MoveNext())
            {
                await responses.WriteAsync(requests.Current);
            }
        });
        var serverOptions = new GrpcServerOptions { MaxReceiveMessageSize = maxMessage, MaxSendMessageSize = maxMessage };
        await using var server = await GrpcServer.StartAsync(serverOptions, registry, NullLoggerFactory.Instance);
        using var channel = GrpcChannel.ForAddress(server.Address.ToString(), new GrpcChannelOptions { MaxReceiveMessageSize = maxMessage, MaxSendMessageSize = maxMessage });

        var payload = new byte[size];
        new Random(42).NextBytes(payload);
        var message = new WeightsBroadcast { Version = 1, Precision = WirePrecision.Fp32, Parameters = ByteString.CopyFrom(payload) };

        var unary = await MeasureAsync(duration, async () =>
        {
            var reply = await channel.UnaryAsync(UnaryMethod, message, WeightsBroadcast.Parser);
            Check(reply.Parameters.Length == size);
        });

        using var call = channel.DuplexStreaming<WeightsBroadcast, WeightsBroadcast>(PingPongMethod, WeightsBroadcast.Parser);
        var stream = await MeasureAsync(duration, async () =>
        {
            await call.RequestStream.WriteAsync(message);
            Check(await call.ResponseStream.MoveNext() && call.ResponseStream.Current.Parameters.Length == size);
        });
        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext());

        Console.WriteLine("{0,-28} {1,14} {2,10} {3,12} {4,16}", "transport", "round trips/s", "MB/s", "vs raw TCP", "CPU ms/round trip");
        Print("raw TCP socket", rawTcp, rawTcp, size);
        Print("gRPC unary", unary, rawTcp, size);
        Print("gRPC bidirectional stream", stream, rawTcp, size);
        return 0;
    }

    private static void Print(string name, Measurement measured, Measurement rawTcp, int size) =>
        Console.WriteLine("{0,-28} {1,14:F1} {2,10:F0} {3,11:P0} {4,16:F2}",
            name,
            measured.RoundTripsPerSecond,
            2.0 * size * measured.RoundTripsPerSecond / 1e6,
            measured.RoundTripsPerSecond / rawTcp.RoundTripsPerSecond,
            measured.CpuMillisecondsPerRoundTrip);

    /// <summary>
    /// Round trips per second over <paramref name="duration"/>, and process CPU milliseconds per
    /// round trip (both ends run in this process). The warm-up is long because tiered JIT
    /// compilation keeps recompiling the hot paths for the first few seconds.
    /// </summary>
    private static async Task<Measurement> MeasureAsync(TimeSpan duration, Func<Task> roundTrip)
    {
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed < WarmUp)
        {
            await roundTrip();
        }
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
    private static async Task<Measurement> RawTcpAsync(int size, TimeSpan duration)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
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

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        Measurement result;
        using (var stream = new NetworkStream(client))
        {
            var request = new byte[4 + size];
            BinaryPrimitives.WriteInt32BigEndian(request, size);
            new Random(42).NextBytes(request.AsSpan(4));
            var reply = new byte[4 + size];
            result = await MeasureAsync(duration, async () =>
            {
                await stream.WriteAsync(request);
                await stream.ReadExactlyAsync(reply);
            });
            client.Shutdown(SocketShutdown.Send);
        }
        await echo;
        return result;
    }

    private static void Check(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("The benchmark's reply was not the message sent.");
        }
    }
}

// Round trips per second and payload throughput of ~1 MB messages going each way on loopback:
// a raw TCP socket ping-pong (the ceiling), then for each transport a unary gRPC call and a
// bidirectional gRPC stream doing the same ping-pong, through the training protocol's tensor
// marshallers. All are measured in turn, round after round, so each ratio compares
// measurements taken seconds apart on a machine whose speed drifts; the medians of the
// per-round ratios are the result.
// `dotnet run -c Release --project tests/DistTrain.Benchmarks -- transport [--size BYTES] [--seconds S] [--rounds N] [--transports LIST]`
// LIST: comma-separated of fast, aspnetcore, aspnetcore-untuned, aspnetcore-server-tuned, aspnetcore-client-tuned
// (the last three measure what each window setting of the reference transport buys).
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport;
using DistTrain.Transport.AspNetCore;
using DistTrain.Transport.Http2;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.Benchmarks;

public static class TransportBenchmark
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    private static readonly Method<CoordinatorMessage, CoordinatorMessage> UnaryMethod = new(
        MethodType.Unary, "disttrain.bench.Transport", "Unary", TrainerMethods.CoordinatorMessages, TrainerMethods.CoordinatorMessages);

    private static readonly Method<CoordinatorMessage, CoordinatorMessage> PingPongMethod = new(
        MethodType.DuplexStreaming, "disttrain.bench.Transport", "PingPong", TrainerMethods.CoordinatorMessages, TrainerMethods.CoordinatorMessages);

    private static readonly Dictionary<string, Func<IGrpcTransport>> Known = new(StringComparer.Ordinal)
    {
        ["fast"] = () => new EngineTransport(),
        ["aspnetcore"] = () => new AspNetCoreTransport(),
        ["aspnetcore-untuned"] = () => new AspNetCoreTransport(WindowTuning.None),
        ["aspnetcore-server-tuned"] = () => new AspNetCoreTransport(WindowTuning.Server),
        ["aspnetcore-client-tuned"] = () => new AspNetCoreTransport(WindowTuning.Client),
    };

    public static int Run(string[] args)
    {
        var size = 1 << 20;
        var seconds = 2.0;
        var rounds = 5;
        string[] transports = ["aspnetcore", "fast"];
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
            else if (args[i] == "--transports" && i + 1 < args.Length && args[++i].Split(',') is var names && names.All(Known.ContainsKey))
            {
                transports = names;
            }
            else
            {
                Console.Error.WriteLine($"usage: DistTrain.Benchmarks transport [--size BYTES] [--seconds S] [--rounds N] [--transports {string.Join(',', Known.Keys)}]");
                return 2;
            }
        }
        return RunAsync(size, TimeSpan.FromSeconds(seconds), rounds, transports).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int size, TimeSpan duration, int rounds, string[] transports)
    {
        Console.WriteLine("Loopback ping-pong, {0:N0}-byte payload each way, {1} rounds of {2:F1} s per measurement after {3:F0} s warm-up each, {4} processors",
            size, rounds, duration.TotalSeconds, WarmUp.TotalSeconds, Environment.ProcessorCount);
        Console.WriteLine("MB/s counts payload bytes in both directions (2 x size per round trip).");
        Console.WriteLine();

        await using var rawTcp = await RawTcpEcho.StartAsync(size);
        var measured = new List<(string Name, Func<Task> RoundTrip)> { ("raw TCP socket", rawTcp.RoundTripAsync) };
        var cleanup = new List<Func<Task>>();
        foreach (var name in transports)
        {
            var (unary, stream, dispose) = await StartAsync(Known[name](), size);
            measured.Add(($"{name} unary", unary));
            measured.Add(($"{name} stream", stream));
            cleanup.Add(dispose);
        }

        // Long warm-ups: tiered JIT compilation keeps recompiling the hot paths for the first seconds.
        foreach (var (_, roundTrip) in measured)
        {
            await RepeatAsync(WarmUp, roundTrip);
        }
        Console.WriteLine("{0,-6} {1,-36} {2,14} {3,10} {4,12} {5,16}", "round", "transport", "round trips/s", "MB/s", "vs raw TCP", "CPU ms/round trip");
        var ratios = measured.Skip(1).ToDictionary(m => m.Name, _ => new List<double>());
        var cpu = measured.ToDictionary(m => m.Name, _ => new List<double>());
        for (var round = 1; round <= rounds; round++)
        {
            Measurement? raw = null;
            foreach (var (name, roundTrip) in measured)
            {
                var result = await MeasureAsync(duration, roundTrip);
                raw ??= result;
                Print(round, name, result, raw.Value, size);
                cpu[name].Add(result.CpuMillisecondsPerRoundTrip);
                if (ratios.TryGetValue(name, out var list))
                {
                    list.Add(result.RoundTripsPerSecond / raw.Value.RoundTripsPerSecond);
                }
            }
        }
        foreach (var dispose in cleanup)
        {
            await dispose();
        }
        Console.WriteLine();
        Console.WriteLine("medians over {0} rounds:", rounds);
        foreach (var (name, list) in ratios)
        {
            Console.WriteLine("  {0,-36} {1,5:P0} of raw TCP round trips, {2,6:F2} ms CPU per round trip", name, Median(list), Median(cpu[name]));
        }
        return 0;
    }

    /// <summary>A server and a client of one transport, the server echoing as a coordinator decodes (the tensor taken into a buffer of its own).</summary>
    private static async Task<(Func<Task> Unary, Func<Task> Stream, Func<Task> Dispose)> StartAsync(IGrpcTransport transport, int size)
    {
        var maxMessage = MessageSizing.ForParameters(size / sizeof(float) + 1);
        // Calls come one at a time, so one buffer serves them all.
        var serverBuffer = new byte[size];
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(UnaryMethod, (request, _) => Task.FromResult(Echo(request, serverBuffer)))
            .AddMethod(PingPongMethod, async (requests, responses, context) =>
            {
                while (await requests.MoveNext(context.CancellationToken))
                {
                    await responses.WriteAsync(Echo(requests.Current, serverBuffer));
                }
            })
            .Build();
        var server = await transport.StartServerAsync(new GrpcServerOptions { MaxReceiveMessageSize = maxMessage, MaxSendMessageSize = maxMessage }, [service], NullLoggerFactory.Instance);
        var channel = transport.CreateChannel(server.Address.ToString(), new GrpcClientOptions { MaxReceiveMessageSize = maxMessage, MaxSendMessageSize = maxMessage });

        var payload = new byte[size];
        new Random(42).NextBytes(payload);
        var message = new CoordinatorMessage { Weights = new WeightsBroadcast { Version = 1, Precision = WirePrecision.Fp32, Parameters = ByteString.CopyFrom(payload) } };

        Func<Task> unary = async () =>
        {
            var reply = await channel.CallInvoker.AsyncUnaryCall(UnaryMethod, null, default, message);
            Check(reply.Weights.Parameters.Length == size);
            ReceivedTensor.Release(reply.Weights.Parameters);
        };
        var call = channel.CallInvoker.AsyncDuplexStreamingCall(PingPongMethod, null, default);
        Func<Task> stream = async () =>
        {
            await call.RequestStream.WriteAsync(message);
            Check(await call.ResponseStream.MoveNext(CancellationToken.None) && call.ResponseStream.Current.Weights.Parameters.Length == size);
            ReceivedTensor.Release(call.ResponseStream.Current.Weights.Parameters);
        };
        async Task Dispose()
        {
            await call.RequestStream.CompleteAsync();
            Check(!await call.ResponseStream.MoveNext(CancellationToken.None));
            call.Dispose();
            channel.Dispose();
            await server.DisposeAsync();
        }
        return (unary, stream, Dispose);
    }

    private static CoordinatorMessage Echo(CoordinatorMessage request, byte[] buffer)
    {
        var weights = request.Weights;
        weights.Parameters.Span.CopyTo(buffer);
        ReceivedTensor.Release(weights.Parameters);
        return new CoordinatorMessage { Weights = new WeightsBroadcast { Version = weights.Version, Precision = weights.Precision, Parameters = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, weights.Parameters.Length)) } };
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static void Print(int round, string name, Measurement measured, Measurement rawTcp, int size) =>
        Console.WriteLine("{0,-6} {1,-36} {2,14:F1} {3,10:F0} {4,11:P0} {5,16:F2}",
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

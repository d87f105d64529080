using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace DistTrain.Abuse.Tests;

/// <summary>
/// One grpc.health.v1 Check on a fresh HTTP/2 connection, made with .NET's own HTTP/2 client
/// (SocketsHttpHandler), so its latency is the server's alone, without a process start.
/// </summary>
internal static class GrpcHealthCall
{
    // HealthCheckRequest for the whole server is the empty message; SERVING is field 1 = 1.
    private static readonly byte[] EmptyRequest = [0, 0, 0, 0, 0];
    private static readonly byte[] ServingReply = [0, 0, 0, 0, 2, 0x08, 0x01];

    /// <summary>Whether the server answered SERVING within <paramref name="limit"/>, and how long it took.</summary>
    public static async Task<(bool Serving, TimeSpan Took, string Detail)> CheckAsync(string address, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        using var handler = new SocketsHttpHandler { ConnectTimeout = limit, PooledConnectionLifetime = TimeSpan.Zero };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var cts = new CancellationTokenSource(limit);
        using var request = new HttpRequestMessage(HttpMethod.Post, address + "/grpc.health.v1.Health/Check")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(EmptyRequest),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token);
            var body = await response.Content.ReadAsByteArrayAsync(cts.Token);
            var status = response.TrailingHeaders.TryGetValues("grpc-status", out var s) ? s.First()
                : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : "none";
            var serving = response.StatusCode == HttpStatusCode.OK && status == "0" && body.AsSpan().SequenceEqual(ServingReply);
            return (serving, clock.Elapsed, serving ? "SERVING" : $"HTTP {(int)response.StatusCode}, grpc-status {status}, {body.Length} bytes");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return (false, clock.Elapsed, cts.IsCancellationRequested ? $"no answer within {limit.TotalSeconds:0.#} s" : e.Message);
        }
    }
}

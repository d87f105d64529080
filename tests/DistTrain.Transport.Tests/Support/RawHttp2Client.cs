using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;

namespace DistTrain.Transport.Tests.Support;

/// <summary>
/// Sends hand-built gRPC request bodies over HTTP/2, to feed the server what a correct client never would.
/// </summary>
public sealed class RawHttp2Client(string address) : IDisposable
{
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler(), disposeHandler: true);

    public async Task<RawResponse> SendAsync(string path, HttpContent body, string contentType = "application/grpc", IDictionary<string, string>? headers = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, address + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = body,
        };
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await _invoker.SendAsync(request, CancellationToken.None);
        var content = await response.Content.ReadAsByteArrayAsync();
        string? Header(HttpHeaders h, string name) => h.TryGetValues(name, out var values) ? values.First() : null;
        var status = Header(response.Headers, "grpc-status") ?? Header(response.TrailingHeaders, "grpc-status");
        var message = Header(response.Headers, "grpc-message") ?? Header(response.TrailingHeaders, "grpc-message");
        return new RawResponse(
            response.StatusCode,
            status is null ? null : (StatusCode)int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            message,
            Header(response.Headers, "grpc-accept-encoding"),
            content);
    }

    public Task<RawResponse> SendAsync(string path, byte[] body, string contentType = "application/grpc", IDictionary<string, string>? headers = null) =>
        SendAsync(path, new ByteArrayContent(body), contentType, headers);

    public void Dispose() => _invoker.Dispose();

    public sealed record RawResponse(HttpStatusCode HttpStatus, StatusCode? Status, string? Message, string? AcceptEncoding, byte[] Body);
}

/// <summary>A request body that sends some bytes, then stays open until cancelled (or fails, resetting the stream).</summary>
public sealed class StallingContent(byte[] prefix, bool failAfterPrefix = false) : HttpContent
{
    private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Sent => _sent.Task;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(prefix, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        _sent.TrySetResult();
        if (failAfterPrefix)
        {
            // Give the server time to start reading, then fail: the handler resets the stream.
            await Task.Delay(200, cancellationToken);
            throw new IOException("client gave up mid-message");
        }
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

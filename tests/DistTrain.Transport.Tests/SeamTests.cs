using System.Net;
using DistTrain.Rpc.Testing;

namespace DistTrain.Rpc.Tests;

/// <summary>The small public types: sizing, metadata, listen URLs, registry and token checks.</summary>
public sealed class SeamTests
{
    [Fact]
    public void Message_size_fits_the_weights_with_headroom()
    {
        Assert.Equal(MessageSizing.Default, MessageSizing.ForParameters(0));
        Assert.Equal(MessageSizing.Default, MessageSizing.ForParameters(100_000));
        // A 784-1024-1024-10 network: 1.86 M parameters, 7.4 MB of float32.
        const int parameters = (784 * 1024) + 1024 + (1024 * 1024) + 1024 + (1024 * 10) + 10;
        var size = MessageSizing.ForParameters(parameters);
        Assert.True(size >= (parameters * 4L) + MessageSizing.Headroom);
        Assert.True(size <= parameters * 4L * 2);
        Assert.Equal(int.MaxValue, MessageSizing.ForParameters(int.MaxValue));
        Assert.True(MessageSizing.ForShard(60_000, 784) > 60_000 * 785);
        Assert.Throws<ArgumentOutOfRangeException>(() => MessageSizing.ForParameters(-1));
    }

    [Fact]
    public void A_weights_broadcast_of_the_sized_model_fits_its_own_limit()
    {
        const int parameters = 3_000_000;
        var broadcast = new V1.WeightsBroadcast { Version = ulong.MaxValue, Precision = V1.WirePrecision.Fp32, Parameters = Google.Protobuf.ByteString.CopyFrom(new byte[parameters * 4]) };
        Assert.True(broadcast.CalculateSize() <= MessageSizing.ForParameters(parameters));
    }

    [Fact]
    public void Metadata_lowercases_keys_and_refuses_what_http2_cannot_carry()
    {
        var metadata = new Metadata { { "X-Run-Id", "7" }, { "x-run-id", "8" } };
        Assert.Equal("7", metadata.Get("x-run-id"));
        Assert.Equal("7", metadata.Get("X-RUN-ID"));
        Assert.Equal(2, metadata.Count);
        Assert.All(metadata, entry => Assert.Equal("x-run-id", entry.Key));
        Assert.Null(metadata.Get("missing"));
        Assert.Throws<ArgumentException>(() => metadata.Add("bad key", "v"));
        Assert.Throws<ArgumentException>(() => metadata.Add("trace-bin", "v"));
    }

    [Theory]
    [InlineData("http://127.0.0.1:0", false, "127.0.0.1", false, 0)]
    [InlineData("https://0.0.0.0:5001", true, "0.0.0.0", false, 5001)]
    [InlineData("http://*:5000", false, "0.0.0.0", false, 5000)]
    [InlineData("http://[::1]:7000", false, "::1", false, 7000)]
    [InlineData("http://localhost:6000", false, null, true, 6000)]
    public void Listen_urls(string url, bool tls, string? address, bool localhost, int port)
    {
        var endpoint = ListenEndpoint.Parse(url);
        Assert.Equal(tls, endpoint.IsTls);
        Assert.Equal(address is null ? null : IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(localhost, endpoint.IsLocalhost);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:1")]
    [InlineData("http://example.com:80")]
    [InlineData("http://127.0.0.1:80/path")]
    [InlineData("not a url")]
    public void Bad_listen_urls_are_refused(string url) =>
        Assert.Throws<ArgumentException>(() => ListenEndpoint.Parse(url));

    [Fact]
    public void Registry_refuses_malformed_and_duplicate_names()
    {
        var registry = new ServiceRegistry();
        Task<EchoReply> Handler(EchoRequest request, ServerCallContext context) => Task.FromResult(new EchoReply());
        registry.AddUnary<EchoRequest, EchoReply>("/a.B/C", EchoRequest.Parser, Handler);
        Assert.Throws<ArgumentException>(() => registry.AddUnary<EchoRequest, EchoReply>("/a.B/C", EchoRequest.Parser, Handler));
        Assert.Throws<ArgumentException>(() => registry.AddUnary<EchoRequest, EchoReply>("a.B/C", EchoRequest.Parser, Handler));
        Assert.Throws<ArgumentException>(() => registry.AddUnary<EchoRequest, EchoReply>("/a.B/", EchoRequest.Parser, Handler));
        Assert.Throws<ArgumentException>(() => registry.AddUnary<EchoRequest, EchoReply>("/C", EchoRequest.Parser, Handler));
        Assert.Single(registry.Methods);
    }

    [Fact]
    public void Bearer_token_check_accepts_only_the_exact_header()
    {
        var check = new BearerTokenCheck("abc");
        Assert.True(check.Accepts("Bearer abc"));
        Assert.False(check.Accepts("Bearer abd"));
        Assert.False(check.Accepts("Bearer abc "));
        Assert.False(check.Accepts("bearer abc"));
        Assert.False(check.Accepts("abc"));
        Assert.False(check.Accepts(string.Empty));
        Assert.False(check.Accepts(null));
    }

    [Fact]
    public void Rpc_exception_carries_status_and_detail()
    {
        var error = new RpcException(StatusCode.NotFound, "no such worker");
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("no such worker", error.Detail);
        Assert.Contains("NotFound", error.Message, StringComparison.Ordinal);
        Assert.Equal(16, (int)StatusCode.Unauthenticated);
        Assert.Equal("/disttrain.v1.Trainer/Join", TrainerMethods.Join);
    }
}

using System.Net;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport.Hosting;

namespace DistTrain.Transport.Tests;

/// <summary>The small shared pieces both transports use: sizing, listen URLs, the token check, transport names.</summary>
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
        var broadcast = new CoordinatorMessage { Weights = new WeightsBroadcast { Version = ulong.MaxValue, Precision = WirePrecision.Fp32, Parameters = Google.Protobuf.ByteString.CopyFrom(new byte[parameters * 4]) } };
        Assert.True(broadcast.CalculateSize() <= MessageSizing.ForParameters(parameters));
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
    public void Bearer_token_check_accepts_only_the_exact_header_and_always_admits_health()
    {
        var check = new BearerTokenCheck("abc");
        Assert.True(check.Accepts("Bearer abc"));
        Assert.False(check.Accepts("Bearer abd"));
        Assert.False(check.Accepts("Bearer abc "));
        Assert.False(check.Accepts("bearer abc"));
        Assert.False(check.Accepts("abc"));
        Assert.False(check.Accepts(string.Empty));
        Assert.False(check.Accepts(null));
        Assert.True(check.Admits("/grpc.health.v1.Health/Check", null));
        Assert.False(check.Admits("/disttrain.v1.Trainer/Join", null));
        Assert.False(check.Admits("/grpc.health.v1.HealthX/Check", "Bearer abd"));
        Assert.Null(BearerTokenCheck.For(""));
    }

    [Fact]
    public void Transport_names_parse_and_print()
    {
        Assert.True(TransportKinds.TryParse("aspnetcore", out var aspnetcore));
        Assert.Equal(TransportKind.AspNetCore, aspnetcore);
        Assert.True(TransportKinds.TryParse(" FAST ", out var fast));
        Assert.Equal(TransportKind.Fast, fast);
        Assert.False(TransportKinds.TryParse("grpc", out _));
        Assert.False(TransportKinds.TryParse(null, out _));
        Assert.Equal("aspnetcore", TransportKinds.Name(TransportKind.AspNetCore));
        Assert.Equal("fast", TransportKinds.Name(TransportKind.Fast));
    }
}

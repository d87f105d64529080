using DistTrain.Rpc.Testing;
using DistTrain.Rpc.Tests.Support;

namespace DistTrain.Rpc.Tests;

/// <summary>https:// endpoints with a certificate made for the test.</summary>
public sealed class TlsTests(PythonInterop python) : IClassFixture<PythonInterop>, IDisposable
{
    private readonly SelfSignedCertificate _certificate = new();

    [Fact]
    public async Task Our_client_trusting_the_certificate_calls_our_server()
    {
        await using var server = await TestServer.StartAsync(TlsOptions());
        Assert.Equal("https", server.Server.Address.Scheme);
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { TrustedCaCertificatePath = _certificate.CertificatePath });
        var reply = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "tls" }, EchoReply.Parser);
        Assert.Equal("slt", reply.Text);

        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "ab" });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("ba", call.ResponseStream.Current.Text);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());

        var output = new StringWriter();
        Assert.Equal(0, await HealthProbe.CheckAsync(server.Address, TimeSpan.FromSeconds(5), output, string.Empty,
            new GrpcChannelOptions { TrustedCaCertificatePath = _certificate.CertificatePath }));
    }

    [Fact]
    public async Task Tensor_messages_cross_tls()
    {
        await using var server = await TestServer.StartAsync(TlsOptions(), TensorTransportTests.RegisterJoinEcho);
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { TrustedCaCertificatePath = _certificate.CertificatePath });
        await TensorTransportTests.AssertJoinEchoesEverySize(channel);
    }

    [Fact]
    public async Task Pfx_certificate_works_too()
    {
        await using var server = await TestServer.StartAsync(new GrpcServerOptions { ListenUrl = "https://127.0.0.1:0", CertificatePath = _certificate.PfxPath });
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { TrustedCaCertificatePath = _certificate.CertificatePath });
        Assert.Equal("xfp", (await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "pfx" }, EchoReply.Parser)).Text);
    }

    [Fact]
    public async Task Untrusted_certificate_is_unavailable_and_cleartext_cannot_talk_to_tls()
    {
        await using var server = await TestServer.StartAsync(TlsOptions());
        using var untrusting = GrpcChannel.ForAddress(server.Address);
        var error = await Assert.ThrowsAsync<RpcException>(() => untrusting.UnaryAsync(EchoService.Unary, new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);

        using var cleartext = GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}");
        var plain = await Assert.ThrowsAsync<RpcException>(() => cleartext.UnaryAsync(EchoService.Unary, new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unavailable, plain.StatusCode);
        Assert.Null(server.Echo.LastContext);
    }

    [Fact]
    public async Task Python_client_with_the_certificate_as_root_calls_our_server()
    {
        await using var server = await TestServer.StartAsync(TlsOptions());
        var result = await python.RunClientAsync("--target", $"127.0.0.1:{server.Port}", "--ca", _certificate.CertificatePath, "--scenario", "unary", "--text", "secure");
        Assert.Equal("OK", result.GetProperty("code").GetString());
        Assert.Equal("eruces", result.GetProperty("text").GetString());
        var chat = await python.RunClientAsync("--target", $"127.0.0.1:{server.Port}", "--ca", _certificate.CertificatePath, "--scenario", "chat", "--count", "2");
        Assert.Equal(2, chat.GetProperty("replies").GetArrayLength());
        // Without the root the handshake fails on the Python side.
        var untrusted = await python.RunClientAsync("--target", $"127.0.0.1:{server.Port}", "--scenario", "unary");
        Assert.Equal("UNAVAILABLE", untrusted.GetProperty("code").GetString());
    }

    public void Dispose() => _certificate.Dispose();

    private GrpcServerOptions TlsOptions() => new()
    {
        ListenUrl = "https://127.0.0.1:0",
        CertificatePath = _certificate.CertificatePath,
        CertificateKeyPath = _certificate.KeyPath,
    };
}

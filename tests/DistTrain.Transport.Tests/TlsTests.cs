using DistTrain.Transport.Testing;
using DistTrain.Transport.Tests.Support;
using Grpc.Core;

namespace DistTrain.Transport.Tests;

/// <summary>https:// endpoints with a certificate made for the test, on every transport pair.</summary>
public sealed class TlsTests(PythonInterop python) : IClassFixture<PythonInterop>, IDisposable
{
    private readonly SelfSignedCertificate _certificate = new();

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task A_client_trusting_the_certificate_calls_the_server(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server, TlsOptions());
        Assert.Equal("https", host.Server.Address.Scheme);
        using var channel = host.Channel(Trusting(), client);
        await EchoesUnaryAndChat(channel.CallInvoker);

        var output = new StringWriter();
        Assert.Equal(HealthProbe.Serving, await HealthProbe.CheckAsync(TransportNames.Create(client), host.Address, TimeSpan.FromSeconds(10), output, string.Empty, Trusting()));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Tensor_messages_cross_tls(string client, string server)
    {
        var options = TlsOptions();
        options.MaxReceiveMessageSize = options.MaxSendMessageSize = 4 << 20;
        await using var host = await TestServer.StartAsync(server, options, TensorTransportTests.JoinEcho());
        var trusting = Trusting();
        trusting.MaxReceiveMessageSize = trusting.MaxSendMessageSize = 4 << 20;
        using var channel = host.Channel(trusting, client);
        await TensorTransportTests.AssertJoinEchoesEverySize(channel.CallInvoker);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Pfx_certificate_works_too(string transport)
    {
        await using var host = await TestServer.StartAsync(transport, new GrpcServerOptions { ListenUrl = "https://127.0.0.1:0", CertificatePath = _certificate.PfxPath });
        using var channel = host.Channel(Trusting());
        Assert.Equal("xfp", (await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Text = "pfx" })).Text);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Untrusted_certificate_is_unavailable_and_cleartext_cannot_talk_to_tls(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server, TlsOptions());
        using var untrusting = host.Channel(transport: client);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Echo.EchoClient(untrusting.CallInvoker).UnaryAsync(new EchoRequest()));
        // Grpc.Net.Client reports a failed handshake as INTERNAL, the engine as UNAVAILABLE.
        Assert.Equal(client == TransportNames.Fast ? StatusCode.Unavailable : StatusCode.Internal, error.StatusCode);
        Assert.Contains("certificate", error.Status.Detail + error.Status.DebugException, StringComparison.OrdinalIgnoreCase);

        using var cleartext = TransportNames.Create(client).CreateChannel($"http://127.0.0.1:{host.Port}", new GrpcClientOptions());
        var plain = await Assert.ThrowsAsync<RpcException>(async () => await new Echo.EchoClient(cleartext.CallInvoker).UnaryAsync(new EchoRequest()));
        Assert.NotEqual(StatusCode.OK, plain.StatusCode);
        Assert.Null(host.Echo.LastCall);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Python_client_with_the_certificate_as_root_calls_the_server(string server)
    {
        await using var host = await TestServer.StartAsync(server, TlsOptions());
        var result = await python.RunClientAsync("--target", $"127.0.0.1:{host.Port}", "--ca", _certificate.CertificatePath, "--scenario", "unary", "--text", "secure");
        Assert.Equal("OK", result.GetProperty("code").GetString());
        Assert.Equal("eruces", result.GetProperty("text").GetString());
        var chat = await python.RunClientAsync("--target", $"127.0.0.1:{host.Port}", "--ca", _certificate.CertificatePath, "--scenario", "chat", "--count", "2");
        Assert.Equal(2, chat.GetProperty("replies").GetArrayLength());
        // Without the root the handshake fails on the Python side.
        var untrusted = await python.RunClientAsync("--target", $"127.0.0.1:{host.Port}", "--scenario", "unary");
        Assert.Equal("UNAVAILABLE", untrusted.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Each_client_calls_a_python_server_over_tls_when_it_trusts_the_certificate(string client)
    {
        using var server = await python.StartServerAsync("--cert", _certificate.CertificatePath, "--key", _certificate.KeyPath);
        var address = $"https://127.0.0.1:{server.Port}";
        using (var channel = TransportNames.Create(client).CreateChannel(address, Trusting()))
        {
            await EchoesUnaryAndChat(channel.CallInvoker);
        }
        // Without the root the handshake fails on our side.
        using var untrusting = TransportNames.Create(client).CreateChannel(address, new GrpcClientOptions());
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Echo.EchoClient(untrusting.CallInvoker).UnaryAsync(new EchoRequest()));
        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.Contains("certificate", error.Status.Detail + error.Status.DebugException, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose() => _certificate.Dispose();

    /// <summary>A unary call and a two-way stream through <paramref name="invoker"/> each come back reversed.</summary>
    private static async Task EchoesUnaryAndChat(CallInvoker invoker)
    {
        var echo = new Echo.EchoClient(invoker);
        Assert.Equal("slt", (await echo.UnaryAsync(new EchoRequest { Text = "tls" })).Text);
        using var call = echo.Chat();
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "ab" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("ba", call.ResponseStream.Current.Text);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    private GrpcClientOptions Trusting() => new() { TrustedCaCertificatePath = _certificate.CertificatePath };

    private GrpcServerOptions TlsOptions() => new()
    {
        ListenUrl = "https://127.0.0.1:0",
        CertificatePath = _certificate.CertificatePath,
        CertificateKeyPath = _certificate.KeyPath,
    };
}

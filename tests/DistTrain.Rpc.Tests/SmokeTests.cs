using DistTrain.Rpc.Testing;
using DistTrain.Rpc.Tests.Support;
using Google.Protobuf;

namespace DistTrain.Rpc.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task Unary_round_trip()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var reply = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "abc", Payload = ByteString.CopyFrom(1, 2, 3) }, EchoReply.Parser);
        Assert.Equal("cba", reply.Text);
        Assert.Equal(new byte[] { 3, 2, 1 }, reply.Payload.ToByteArray());
    }
}

using DistTrain.Training.Configuration;
using DistTrain.Training.ParameterShards;
using DistTrain.Training.Protocol.V1;
using Grpc.Core;

namespace DistTrain.Training.Tests.ParameterShards;

public class ExchangeStreamTests
{
    [Fact]
    public async Task A_receipt_is_written_before_the_weight_blocks_still_queued_and_nothing_is_lost()
    {
        var stream = new ExchangeStream(WirePrecisionKind.Fp32);
        var values = new byte[16];
        for (var b = 0; b < 3; b++)
        {
            stream.Deliver(7, b * 4, values);
        }
        stream.SendReceipt(new PushReceipt { Version = 6, Shard = 2 });
        stream.Deliver(7, 12, values);
        stream.Close();

        var written = new Recorder();
        await stream.WriteAllAsync(written, CancellationToken.None);

        Assert.Equal(ExchangeReply.KindOneofCase.Receipt, written.Replies[0].KindCase);
        Assert.Equal(2u, written.Replies[0].Receipt.Shard);
        // The weight blocks keep their order behind it.
        Assert.Equal([0u, 4u, 8u, 12u], written.Replies.Skip(1).Select(r => r.Weights.Offset));
    }

    [Fact]
    public async Task The_writer_ends_when_the_stream_closes_while_it_waits()
    {
        var stream = new ExchangeStream(WirePrecisionKind.Fp32);
        var written = new Recorder();
        var writer = stream.WriteAllAsync(written, CancellationToken.None);
        stream.Deliver(3, 0, new byte[8]);
        stream.Close();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(written.Replies);
        Assert.False(stream.IsOpen);
    }

    private sealed class Recorder : IServerStreamWriter<ExchangeReply>
    {
        public List<ExchangeReply> Replies { get; } = [];

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(ExchangeReply message)
        {
            Replies.Add(message);
            return Task.CompletedTask;
        }
    }
}

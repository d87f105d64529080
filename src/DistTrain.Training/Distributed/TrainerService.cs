using DistTrain.Core;
using DistTrain.Transport;
using Grpc.Core;
using DistTrain.Training.Protocol.V1;
using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Distributed;

/// <summary>
/// The coordinator's side of Trainer.Join: one long-lived stream per worker. The first message
/// registers the worker; after that the stream carries weights and tasks down and results up.
/// </summary>
/// <param name="slicePulls">Parameter shards: only workers that pull weight slices from their owners can join.</param>
public sealed class TrainerService(WorkerPool pool, NetworkSpec network, WirePrecisionKind precision, TimeSpan heartbeatInterval, ILogger logger, bool slicePulls = false)
{
    public const uint ProtocolVersion = 1;

    /// <summary>A stream that has not said who it is by then is dropped (it holds a slot and a handler otherwise).</summary>
    public static readonly TimeSpan JoinRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The service to host on either transport.</summary>
    public ServerServiceDefinition Definition => TrainerMethods.Service(JoinAsync);

    private async Task JoinAsync(IAsyncStreamReader<WorkerMessage> requests, IServerStreamWriter<CoordinatorMessage> responses, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        using (var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            first.CancelAfter(JoinRequestTimeout);
            try
            {
                if (!await requests.MoveNext(first.Token))
                {
                    return;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException && first.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Dropped a Join stream from {Peer}: no JoinRequest within {Seconds:0} s", context.Peer, JoinRequestTimeout.TotalSeconds);
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no JoinRequest within {JoinRequestTimeout.TotalSeconds:0} s"));
            }
        }
        if (requests.Current.KindCase != WorkerMessage.KindOneofCase.Join)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message on Trainer.Join must be a JoinRequest"));
        }
        var join = requests.Current.Join;
        if (join.ProtocolVersion != ProtocolVersion)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"worker speaks protocol {join.ProtocolVersion}, this coordinator speaks {ProtocolVersion}: run the same DistTrain version on both"));
        }
        if (slicePulls && !join.PullsWeightSlices)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                "this coordinator trains with parameter shards and the worker cannot pull weight slices: run the same DistTrain version on both"));
        }
        var session = pool.Register(join.WorkerName, context.Peer);
        if (session is null)
        {
            logger.LogWarning("Refused worker {Worker} from {Peer}: --max-workers reached", join.WorkerName, context.Peer);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "the coordinator has as many workers as --max-workers allows"));
        }

        session.Send(new CoordinatorMessage
        {
            Accepted = new JoinAccepted
            {
                WorkerId = session.Id,
                Model = ModelSpecMapping.ToWire(network),
                WirePrecision = TensorCodec.ToWire(precision),
                HeartbeatIntervalMs = (uint)heartbeatInterval.TotalMilliseconds,
            },
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session.Closed);
        // The writer ends when the outbox completes, so a final Shutdown still goes out after Close.
        var writer = WriteOutboxAsync(session, responses, cancellationToken);
        var reason = "stream ended";
        try
        {
            while (await requests.MoveNext(stop.Token))
            {
                var message = requests.Current;
                session.LastSeenUtc = DateTime.UtcNow;
                switch (message.KindCase)
                {
                    case WorkerMessage.KindOneofCase.Result:
                        pool.Post(new WorkerEvent.Answered(session, message.Result, DateTime.UtcNow));
                        break;
                    case WorkerMessage.KindOneofCase.Leave:
                        reason = message.Leave.Reason;
                        return;
                    case WorkerMessage.KindOneofCase.Heartbeat:
                        break;
                    default:
                        logger.LogWarning("Worker {Worker} sent an unexpected {Kind} message", session.Name, message.KindCase);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (session.IsClosed)
        {
            reason = "closed by the coordinator";
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException)
        {
            reason = $"connection lost ({e.Message})";
        }
        finally
        {
            pool.Remove(session, reason);
            try
            {
                await writer.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
            }
            catch (TimeoutException)
            {
                logger.LogDebug("Worker {Worker}: outgoing messages not drained", session.Name);
            }
        }
    }

    private async Task WriteOutboxAsync(WorkerSession session, IServerStreamWriter<CoordinatorMessage> responses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in session.Outbox.ReadAllAsync(cancellationToken))
            {
                await responses.WriteAsync(message, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            logger.LogDebug("Stopped writing to worker {Worker}: {Reason}", session.Name, e.Message);
        }
    }
}

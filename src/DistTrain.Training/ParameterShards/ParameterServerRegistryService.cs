using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// The coordinator's side of ParameterServerRegistry.Register: one long-lived stream per parameter
/// server. The first message registers the server; after that the stream carries orders down and
/// reports up. A server silent for the heartbeat timeout, or whose connection breaks, is lost.
/// </summary>
public sealed class ParameterServerRegistryService(ParameterServerPool pool, TimeSpan heartbeatTimeout, ILogger logger)
{
    public const uint ProtocolVersion = 1;

    /// <summary>The service to host beside Trainer.</summary>
    public ServerServiceDefinition Definition => ParameterShardMethods.RegistryService(RegisterAsync);

    private async Task RegisterAsync(IAsyncStreamReader<OwnerReport> requests, IServerStreamWriter<OwnerOrder> responses, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await NextAsync(requests, cancellationToken))
        {
            return;
        }
        if (requests.Current.KindCase != OwnerReport.KindOneofCase.Join)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message on ParameterServerRegistry.Register must be an OwnerJoin"));
        }
        var join = requests.Current.Join;
        if (join.ProtocolVersion != ProtocolVersion)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"parameter server speaks protocol {join.ProtocolVersion}, this coordinator speaks {ProtocolVersion}: run the same DistTrain version on both"));
        }
        var address = AdvertisedAddress.Resolve(join.Address, context.Peer)
            ?? throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"'{join.Address}' is not an address workers can reach (http://HOST:PORT); give the parameter server --advertise"));
        var session = pool.Register(join.ServerName, address, context.Peer);
        if (session is null)
        {
            logger.LogWarning("Refused parameter server {Server} from {Peer}: every slice has a server", join.ServerName, context.Peer);
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"the coordinator has the {pool.Capacity} parameter servers --parameter-shards asks for"));
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session.Closed);
        var writer = WriteOutboxAsync(session, responses, cancellationToken);
        var reason = "stream ended";
        try
        {
            while (await NextAsync(requests, stop.Token))
            {
                var report = requests.Current;
                switch (report.KindCase)
                {
                    case OwnerReport.KindOneofCase.Loaded:
                        pool.Post(new OwnerEvent.Loaded((int)report.Loaded.Slice, (long)report.Loaded.Version));
                        break;
                    case OwnerReport.KindOneofCase.Stepped:
                        pool.Post(new OwnerEvent.Stepped(session.Slice, (long)report.Stepped.Version));
                        break;
                    case OwnerReport.KindOneofCase.Diverged:
                        pool.Post(new OwnerEvent.Diverged(session.Slice, (long)report.Diverged.Version, report.Diverged.Problem));
                        break;
                    case OwnerReport.KindOneofCase.State:
                        var state = report.State;
                        pool.Post(new OwnerEvent.StateGiven(session.Slice, (long)state.Version, (long)state.OptimizerSteps,
                            string.IsNullOrEmpty(state.Problem) ? null : state.Problem, state.Values));
                        break;
                    case OwnerReport.KindOneofCase.Leave when session.Slice >= 0:
                        // Its slice is still needed for the stop's checkpoint: the stream stays until the coordinator closes it.
                        pool.Leave(session, report.Leave.Reason);
                        break;
                    case OwnerReport.KindOneofCase.Leave:
                        reason = report.Leave.Reason;
                        return;
                    case OwnerReport.KindOneofCase.Heartbeat:
                        break;
                    default:
                        logger.LogWarning("Parameter server {Server} sent an unexpected {Kind} message", session.Name, report.KindCase);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (session.IsClosed)
        {
            reason = "closed by the coordinator";
        }
        catch (TimeoutException)
        {
            reason = $"silent for {heartbeatTimeout.TotalSeconds:0.#} s (heartbeat timeout)";
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
                logger.LogDebug("Parameter server {Server}: outgoing orders not drained", session.Name);
            }
        }
    }

    /// <summary>The next report; throws <see cref="TimeoutException"/> when none comes within the heartbeat timeout.</summary>
    private async Task<bool> NextAsync(IAsyncStreamReader<OwnerReport> requests, CancellationToken cancellationToken)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(heartbeatTimeout);
        try
        {
            return await requests.MoveNext(silence.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException && silence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    private async Task WriteOutboxAsync(OwnerSession session, IServerStreamWriter<OwnerOrder> responses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var order in session.Outbox.ReadAllAsync(cancellationToken))
            {
                await responses.WriteAsync(order, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            logger.LogDebug("Stopped writing to parameter server {Server}: {Reason}", session.Name, e.Message);
        }
    }
}

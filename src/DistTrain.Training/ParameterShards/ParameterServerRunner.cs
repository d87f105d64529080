using DistTrain.Core;
using DistTrain.Training.Distributed;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// A parameter server: registers with the coordinator, takes the slice it is assigned, and serves
/// it to the workers through <paramref name="service"/> (already listening at
/// <paramref name="address"/>) until the coordinator says the run is over. It retries until the
/// coordinator answers; when the coordinator goes away, the slice goes with it (a restarted
/// coordinator hands out the slices of its checkpoint again).
/// </summary>
public sealed class ParameterServerRunner(ParameterServerOptions options, IGrpcTransport transport, GrpcClientOptions channelOptions,
    ParameterServerService service, string address, ILogger logger)
{
    /// <summary>
    /// How long a stopping server that owns a slice keeps serving it: the coordinator stops the run,
    /// brings in every slice for its checkpoint and then says the run is over.
    /// </summary>
    public static readonly TimeSpan LeaveGrace = TimeSpan.FromSeconds(8);

    /// <summary>0 when the coordinator ended the run (or this server was stopped); non-zero when it cannot go on.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var retry = TimeSpan.FromSeconds(Math.Max(0.1, options.RetrySeconds));
        var wait = new CoordinatorWait(options.Coordinator, retry, options.GiveUpAfterSeconds, "The coordinator needs no more parameter servers", logger);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                using var channel = transport.CreateChannel(options.Coordinator, channelOptions);
                // The call outlives `stopping` while this server's slice is still needed for the coordinator's checkpoint.
                using var callLifetime = new CancellationTokenSource();
                using var call = channel.CallInvoker.AsyncDuplexStreamingCall(ParameterShardMethods.Register, null, new CallOptions(cancellationToken: callLifetime.Token));
                var registration = new Registration(call, options, address, service, logger);
                registration.Answered += wait.Answered;
                using var onStop = stopping.Register(() => registration.Leave(callLifetime));
                if (await registration.RunAsync(callLifetime.Token))
                {
                    return 0;
                }
                if (stopping.IsCancellationRequested)
                {
                    break;
                }
                logger.LogWarning("Coordinator {Coordinator} closed the stream; registering again", options.Coordinator);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
            {
                logger.LogError("The coordinator refused this parameter server: {Detail}. Give it the coordinator's token (--auth-token or Security__AuthToken)", e.Status.Detail);
                return 1;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
            {
                logger.LogError("The coordinator refused this parameter server: {Detail}", e.Status.Detail);
                return 1;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested && e is RpcException or IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                service.Serve(null);
                if (wait.GiveUpAfter(e))
                {
                    return CoordinatorWait.Unreachable;
                }
            }
            catch (Exception e) when (stopping.IsCancellationRequested && e is OperationCanceledException or RpcException or IOException or ObjectDisposedException)
            {
                break;
            }
            finally
            {
                service.Serve(null);
            }
            try
            {
                await Task.Delay(retry, stopping);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        logger.LogInformation("Parameter server stopped");
        return 0;
    }

    /// <summary>One Register stream's life: join, then the assignment, state requests and reports until it ends.</summary>
    private sealed class Registration(AsyncDuplexStreamingCall<OwnerReport, OwnerOrder> call, ParameterServerOptions options, string address,
        ParameterServerService service, ILogger logger) : ISliceReports
    {
        private readonly System.Threading.Channels.Channel<OwnerReport> outbox =
            System.Threading.Channels.Channel.CreateUnbounded<OwnerReport>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
        private SliceOwner? owner;

        /// <summary>Raised when the coordinator has answered (with an assignment or by keeping the stream open).</summary>
        public event Action? Answered;

        /// <summary>
        /// This server is stopping: without a slice it just goes; with one it tells the coordinator,
        /// which stops the run and brings the slice in for its checkpoint, and serves until told the
        /// run is over or <see cref="LeaveGrace"/> has passed.
        /// </summary>
        public void Leave(CancellationTokenSource callLifetime)
        {
            if (Volatile.Read(ref owner) is null)
            {
                callLifetime.Cancel();
                return;
            }
            logger.LogInformation("Stopping: serving the slice until the coordinator has its checkpoint (at most {Seconds:0} s)", LeaveGrace.TotalSeconds);
            outbox.Writer.TryWrite(new OwnerReport { Leave = new Leave { Reason = "parameter server stopping" } });
            callLifetime.CancelAfter(LeaveGrace);
        }

        /// <summary>True when the coordinator said the run is over.</summary>
        public async Task<bool> RunAsync(CancellationToken cancellationToken)
        {
            var writer = WriteAllAsync(cancellationToken);
            outbox.Writer.TryWrite(new OwnerReport
            {
                Join = new OwnerJoin { ServerName = options.Name, ProtocolVersion = ParameterServerRegistryService.ProtocolVersion, Address = address },
            });
            using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var heartbeats = HeartbeatAsync(heartbeatStop.Token);
            try
            {
                while (await call.ResponseStream.MoveNext(cancellationToken))
                {
                    Answered?.Invoke();
                    var order = call.ResponseStream.Current;
                    switch (order.KindCase)
                    {
                        case OwnerOrder.KindOneofCase.Assignment:
                            Load(order.Assignment);
                            break;
                        case OwnerOrder.KindOneofCase.StateRequest:
                            outbox.Writer.TryWrite(new OwnerReport { State = StateOf((long)order.StateRequest.Version) });
                            break;
                        case OwnerOrder.KindOneofCase.Shutdown:
                            logger.LogInformation("Coordinator ended the run: {Reason}", order.Shutdown.Reason);
                            return true;
                    }
                }
                return false;
            }
            finally
            {
                service.Serve(null);
                outbox.Writer.TryComplete();
                await heartbeatStop.CancelAsync();
                await heartbeats;
                await writer;
            }
        }

        void ISliceReports.Stepped(int slice, long version) =>
            outbox.Writer.TryWrite(new OwnerReport { Stepped = new SliceStepped { Version = (ulong)version } });

        void ISliceReports.Diverged(int slice, long version, string problem)
        {
            logger.LogError("The step from weight version {Version} diverged: {Problem}", version, problem);
            outbox.Writer.TryWrite(new OwnerReport { Diverged = new SliceDiverged { Version = (ulong)version, Problem = problem } });
        }

        private void Load(SliceAssignment assignment)
        {
            var spec = ModelSpecMapping.FromWire(assignment.Model)
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the coordinator sent a model this parameter server does not understand"));
            var step = StepRuleMapping.FromWire(assignment.Rule, spec, (int)assignment.Shards, TensorCodec.FromWire(assignment.Precision), threads: 1)
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "the coordinator sent a step rule this parameter server does not understand"));
            var layout = new ParameterLayout(spec);
            var slice = new ParameterSlice((int)assignment.Slice, (int)assignment.Offset, (int)assignment.Length);
            var values = new float[assignment.Values.Length / sizeof(float)];
            if (!TensorCodec.TryDecode(assignment.Values.Span, Configuration.WirePrecisionKind.Fp32, values))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"the assignment's {assignment.Values.Length} bytes of values are not whole floats"));
            }
            try
            {
                Volatile.Write(ref owner, SliceOwner.Create(slice, step, layout, (long)assignment.Rule.TotalIterations, (long)assignment.Version, (long)assignment.OptimizerSteps, values, this));
            }
            catch (ArgumentException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"the coordinator's assignment does not fit: {e.Message}"));
            }
            service.Serve(owner);
            logger.LogInformation("Owning parameter {Slice} ({Parameters} parameters, {Precision} on the wire) at weight version {Version}; {Shards} shards per step",
                slice, slice.Length, owner.Precision, assignment.Version, assignment.Shards);
            outbox.Writer.TryWrite(new OwnerReport { Loaded = new SliceLoaded { Slice = assignment.Slice, Version = assignment.Version } });
        }

        private SliceState StateOf(long version)
        {
            if (owner is null)
            {
                return new SliceState { Version = (ulong)version, Problem = "this parameter server owns no slice" };
            }
            var (values, steps, problem) = owner.State(version);
            return values is null
                ? new SliceState { Version = (ulong)version, Problem = problem }
                : new SliceState { Version = (ulong)version, OptimizerSteps = (ulong)steps, Values = TensorCodec.Fp32Bytes(values) };
        }

        private async Task HeartbeatAsync(CancellationToken stop)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(Distributed.CoordinatorRunner.HeartbeatInterval, stop);
                    outbox.Writer.TryWrite(new OwnerReport { Heartbeat = new Heartbeat { SentUnixMs = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() } });
                }
            }
            catch (OperationCanceledException)
            {
                // The registration is ending.
            }
        }

        private async Task WriteAllAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var report in outbox.Reader.ReadAllAsync(cancellationToken))
                {
                    await call.RequestStream.WriteAsync(report, cancellationToken);
                }
                await call.RequestStream.CompleteAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
            {
                // The stream is ending; the reader says why.
            }
        }
    }
}

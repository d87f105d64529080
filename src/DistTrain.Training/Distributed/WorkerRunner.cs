using System.Diagnostics;
using DistTrain.Core;
using DistTrain.Transport;
using Grpc.Core;
using DistTrain.Training.Protocol.V1;
using DistTrain.Training.Configuration;
using DistTrain.Training.Observability;
using DistTrain.Training.ParameterShards;
using DistTrain.Training.Protocol;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Distributed;

/// <summary>
/// A worker: holds no dataset. It joins the coordinator, keeps the latest broadcast weights, and
/// answers each shard task with the shard's gradient sum, loss sum and correct count. With
/// parameter shards it pulls the weights from the slices' owners instead and pushes the gradient
/// to them. It retries until the coordinator answers (containers start in any order) and exits
/// when told the run is over.
/// </summary>
public sealed class WorkerRunner(WorkerOptions options, IGrpcTransport transport, GrpcClientOptions channelOptions, ILogger logger, WorkerMetrics? metrics = null)
{
    /// <summary>0 when the coordinator ended the run (or this worker was stopped); non-zero when this worker cannot go on.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var retry = TimeSpan.FromSeconds(Math.Max(0.1, options.RetrySeconds));
        var wait = new CoordinatorWait(options.Coordinator, retry, options.GiveUpAfterSeconds, "The coordinator is full", logger);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                using var channel = transport.CreateChannel(options.Coordinator, channelOptions);
                // The call outlives `stopping` by a moment so a stopping worker can still say Leave.
                using var callLifetime = new CancellationTokenSource();
                using var call = channel.CallInvoker.AsyncDuplexStreamingCall(TrainerMethods.Join, null, new CallOptions(cancellationToken: callLifetime.Token));
                var session = new WorkerSessionLoop(call, callLifetime, options, logger, metrics,
                    address => transport.CreateChannel(address, channelOptions), channel.CallInvoker);
                session.Joined += wait.Answered;
                if (await session.RunAsync(stopping))
                {
                    return 0;
                }
                if (stopping.IsCancellationRequested)
                {
                    break;
                }
                logger.LogWarning("Coordinator {Coordinator} closed the stream; reconnecting", options.Coordinator);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
            {
                logger.LogError("The coordinator refused this worker: {Detail}. Give the worker the coordinator's token (--auth-token or Security__AuthToken)", e.Status.Detail);
                return 1;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
            {
                logger.LogError("The coordinator refused this worker: {Detail}", e.Status.Detail);
                return 1;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested && e is RpcException or IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                if (wait.GiveUpAfter(e))
                {
                    return CoordinatorWait.Unreachable;
                }
            }
            catch (Exception e) when (stopping.IsCancellationRequested && e is OperationCanceledException or RpcException or IOException or ObjectDisposedException)
            {
                break;
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
        logger.LogInformation("Worker stopped");
        return 0;
    }

    /// <summary>One connection's life: join, then weights and tasks until the stream ends.</summary>
    /// <param name="connect">Opens a channel to a slice owner (parameter shards).</param>
    /// <param name="coordinator">The coordinator's call invoker, which also serves slice 0.</param>
    private sealed class WorkerSessionLoop(AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage> call, CancellationTokenSource callLifetime, WorkerOptions options, ILogger logger, WorkerMetrics? metrics,
        Func<string, ClientChannel> connect, CallInvoker coordinator)
    {
        private readonly SemaphoreSlim writeLock = new(1, 1);
        private ReceivedWeights weights = new(0);
        private long version = -1;
        // With parameter shards: the version this worker last pushed a gradient of, and when that push began.
        private (long Version, long StartedAt) lastPush = (-1, 0);
        private Network? network;
        private OutgoingGradient gradient = new(0);
        private WirePrecisionKind precision;
        private ParameterOwners? owners;
        private int parameterCount;
        private readonly TestFault? fault = TestFault.FromEnvironment();

        /// <summary>Raised when the coordinator accepted the join.</summary>
        public event Action? Joined;

        /// <summary>True when the coordinator said the run is over.</summary>
        public async Task<bool> RunAsync(CancellationToken stopping)
        {
            await SendAsync(new WorkerMessage
            {
                Join = new JoinRequest
                {
                    WorkerName = options.Name, ProtocolVersion = TrainerService.ProtocolVersion, Threads = (uint)Math.Max(1, options.Threads), PullsWeightSlices = true,
                },
            }, stopping);
            // Stopping (SIGTERM), even before the coordinator has answered: say Leave and let the
            // coordinator end the stream; the call is cut after a grace period.
            using var onStop = stopping.Register(() => _ = LeaveAsync());
            if (!await call.ResponseStream.MoveNext(callLifetime.Token))
            {
                return false;
            }
            var accepted = call.ResponseStream.Current.Accepted
                ?? throw new RpcException(new Status(StatusCode.Internal, "the coordinator did not accept the join"));
            var spec = ModelSpecMapping.FromWire(accepted.Model)
                ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "the coordinator sent a model this worker does not understand"));
            Joined?.Invoke();
            precision = TensorCodec.FromWire(accepted.WirePrecision);
            var layout = new ParameterLayout(spec);
            parameterCount = layout.Count;
            weights = new ReceivedWeights(layout.Count);
            gradient = new OutgoingGradient(layout.Count);
            logger.LogInformation("Joined coordinator {Coordinator} as {WorkerId}: network {Layers}, wire {Precision}",
                options.Coordinator, accepted.WorkerId, string.Join('-', spec.LayerSizes), precision);
            if (fault is not null)
            {
                logger.LogWarning("Test fault injection is on: {Fault}", fault.Describe());
            }

            using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var heartbeats = HeartbeatAsync(TimeSpan.FromMilliseconds(Math.Max(100, accepted.HeartbeatIntervalMs)), heartbeatStop.Token);
            try
            {
                while (await call.ResponseStream.MoveNext(callLifetime.Token))
                {
                    var message = call.ResponseStream.Current;
                    switch (message.KindCase)
                    {
                        case CoordinatorMessage.KindOneofCase.Weights:
                            var received = message.Weights.Parameters;
                            var length = received.Length;
                            if (!weights.TryTake(received, TensorCodec.FromWire(message.Weights.Precision)))
                            {
                                throw new RpcException(new Status(StatusCode.InvalidArgument, $"weights of {length} bytes do not fit the model"));
                            }
                            version = (long)message.Weights.Version;
                            break;
                        case CoordinatorMessage.KindOneofCase.Slices:
                            if (owners is not null)
                            {
                                await owners.DisposeAsync();
                            }
                            owners = new ParameterOwners(message.Slices.Slices, parameterCount, coordinator, connect);
                            logger.LogInformation("Parameter shards: pulling weights from and pushing gradients to {Owners}", owners.Describe());
                            break;
                        case CoordinatorMessage.KindOneofCase.Task when !stopping.IsCancellationRequested && owners is not null:
                            await SendAsync(new WorkerMessage { Result = await ComputeWithOwnersAsync(spec, message.Task, owners, callLifetime.Token) }, callLifetime.Token);
                            break;
                        case CoordinatorMessage.KindOneofCase.Task when !stopping.IsCancellationRequested:
                            await SendAsync(new WorkerMessage { Result = Compute(spec, message.Task) }, callLifetime.Token);
                            break;
                        case CoordinatorMessage.KindOneofCase.Shutdown:
                            logger.LogInformation("Coordinator ended the run: {Reason}", message.Shutdown.Reason);
                            return true;
                        default:
                            break;
                    }
                }
                return false;
            }
            catch (Exception e) when (stopping.IsCancellationRequested && e is OperationCanceledException or RpcException or IOException)
            {
                return false;
            }
            finally
            {
                await heartbeatStop.CancelAsync();
                await heartbeats;
                if (owners is not null)
                {
                    await owners.DisposeAsync();
                }
            }
        }

        private ShardResult Compute(NetworkSpec spec, ShardTask task)
        {
            if ((long)task.Version != version)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"task for weight version {task.Version} but this worker holds {version}"));
            }
            var result = Compute(spec, task, weights.Values);
            if (task.Kind != TaskKind.Evaluate)
            {
                // Reused for every result: SendAsync returns only after the message is written.
                result.Gradient = gradient.Encode(precision);
            }
            fault?.Corrupt(result);
            return result;
        }

        /// <summary>
        /// A task with parameter shards: the weights of its version come from the slices' owners;
        /// a gradient goes back to them (the next version is asked for first, so its blocks flow in
        /// while the push still flows out), and the result says whether every owner holds it.
        /// </summary>
        private async Task<ShardResult> ComputeWithOwnersAsync(NetworkSpec spec, ShardTask task, ParameterOwners from, CancellationToken cancellationToken)
        {
            var taskVersion = (long)task.Version;
            var waitStarted = Stopwatch.GetTimestamp();
            float[] pulled;
            try
            {
                pulled = await from.WeightsAsync(taskVersion, cancellationToken);
            }
            catch (SliceUnavailableException e)
            {
                return Unanswered(task, e.Problem, e.Message);
            }
            var weightsWait = Stopwatch.GetElapsedTime(waitStarted);
            var result = Compute(spec, task, pulled);
            result.WeightsWaitMicros = (ulong)(weightsWait.Ticks / TimeSpan.TicksPerMicrosecond);
            if (lastPush.Version == taskVersion - 1 && from.Arrival(taskVersion) is { } arrival)
            {
                result.WeightsFirstBlockMicros = Stopwatch.GetElapsedTime(lastPush.StartedAt, arrival.First).Ticks / TimeSpan.TicksPerMicrosecond;
                result.WeightsLastBlockMicros = Stopwatch.GetElapsedTime(lastPush.StartedAt, arrival.Last).Ticks / TimeSpan.TicksPerMicrosecond;
            }
            if (task.Kind != TaskKind.Evaluate)
            {
                try
                {
                    await from.PullAheadAsync(taskVersion + 1, cancellationToken);
                }
                catch (SliceUnavailableException e)
                {
                    logger.LogDebug("Could not ask for weight version {Version} ahead: {Reason}", taskVersion + 1, e.Message);
                }
                var pushStarted = Stopwatch.GetTimestamp();
                lastPush = (taskVersion, pushStarted);
                var (problem, detail) = await from.PushAsync(taskVersion, (int)task.ShardIndex, gradient.Encode(precision).Memory, precision, cancellationToken);
                result.PushMicros = (ulong)(Stopwatch.GetElapsedTime(pushStarted).Ticks / TimeSpan.TicksPerMicrosecond);
                result.PushProblem = problem;
                result.PushDetail = detail;
            }
            fault?.Corrupt(result);
            return result;
        }

        /// <summary>The answer to a task whose weights could not be had: the coordinator recomputes it elsewhere or, for an old task, drops it.</summary>
        private static ShardResult Unanswered(ShardTask task, PushProblem problem, string detail) => new()
        {
            TaskId = task.TaskId,
            Version = task.Version,
            ShardIndex = task.ShardIndex,
            SampleCount = task.SampleCount,
            LossSum = double.NaN,
            PushProblem = problem == PushProblem.None ? PushProblem.Unreachable : problem,
            PushDetail = detail,
        };

        /// <summary>Forward (and backward for a gradient task, into <see cref="gradient"/>) with <paramref name="parameters"/>.</summary>
        private ShardResult Compute(NetworkSpec spec, ShardTask task, ReadOnlySpan<float> parameters)
        {
            var count = (int)task.SampleCount;
            if (count < 1 || task.Pixels.Length != count * spec.InputSize || task.Labels.Length != count)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"task {task.TaskId}: {task.Pixels.Length} pixel bytes and {task.Labels.Length} labels for {count} samples"));
            }
            if (network is null || network.MaxBatch < count)
            {
                network = new Network(spec, count, ComputeThreads.Resolve(options.Threads));
            }
            fault?.BeforeCompute();
            var clock = Stopwatch.StartNew();
            var result = new ShardResult
            {
                TaskId = task.TaskId,
                Version = task.Version,
                ShardIndex = task.ShardIndex,
                SampleCount = task.SampleCount,
                Precision = TensorCodec.ToWire(precision),
            };
            ShardStatistics stats;
            if (task.Kind == TaskKind.Evaluate)
            {
                stats = network.Evaluate(parameters, task.Pixels.Span, task.Labels.Span, count);
            }
            else
            {
                stats = network.ComputeGradient(parameters, task.Pixels.Span, task.Labels.Span, count, gradient.Values);
                fault?.Corrupt(gradient.Values);
            }
            result.LossSum = stats.LossSum;
            result.Correct = (uint)stats.Correct;
            result.ComputeMicros = (ulong)(clock.Elapsed.TotalMilliseconds * 1000);
            metrics?.ShardComputed(task.Kind == TaskKind.Evaluate ? ShardWork.Evaluation : ShardWork.Gradient, count, clock.Elapsed);
            return result;
        }

        private async Task HeartbeatAsync(TimeSpan interval, CancellationToken stop)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(interval, stop);
                    await SendAsync(new WorkerMessage { Heartbeat = new Heartbeat { SentUnixMs = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() } }, stop);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
            {
                // The session is ending; the main loop reports why.
            }
        }

        private async Task LeaveAsync()
        {
            callLifetime.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                await SendAsync(new WorkerMessage { Leave = new Leave { Reason = "worker stopping" } }, callLifetime.Token);
                await call.RequestStream.CompleteAsync();
                logger.LogInformation("Left the coordinator");
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
            {
                logger.LogInformation("Could not tell the coordinator this worker is leaving: {Reason}", e.Message);
            }
        }

        private async Task SendAsync(WorkerMessage message, CancellationToken cancellationToken)
        {
            await writeLock.WaitAsync(cancellationToken);
            try
            {
                await call.RequestStream.WriteAsync(message, cancellationToken);
            }
            finally
            {
                writeLock.Release();
            }
        }
    }
}

using System.Diagnostics;
using System.Text;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport;
using DistTrain.Transport.AspNetCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.EndToEnd.Tests;

/// <summary>Faults injected into real processes: the run must end with the fault-free bits.</summary>
public class ReliabilityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>Fault-free reference weights of `train` with the same options (cached per option set).</summary>
    private static readonly Dictionary<string, string> References = [];

    private static async Task<string> Reference(string[] options)
    {
        var key = string.Join(' ', options);
        if (References.TryGetValue(key, out var hash))
        {
            return hash;
        }
        var outDir = Disttrain.TempDir("reference");
        var (exit, output) = await Disttrain.RunAsync(["train", .. options, "--out", outDir], Timeout);
        Assert.True(exit == 0, output);
        return References[key] = Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString()!;
    }

    private static string Hash(string outDir) => Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString()!;

    [Fact]
    public async Task A_stopped_worker_is_detected_by_heartbeat_and_its_shards_recomputed()
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "3", "--shards", "4"];
        var reference = await Reference(options);
        var outDir = Disttrain.TempDir("sigstop");
        using var cluster = new Cluster();
        cluster.StartCoordinator(["--min-workers", "2", "--heartbeat-timeout", "3", .. options, "--out", outDir]);
        cluster.StartWorker("steady");
        var frozen = cluster.StartWorker("frozen");
        await cluster.WaitForFirstEpochUnderWay(3);
        Cluster.Signal(frozen, Cluster.SigStop);
        var stopped = Stopwatch.StartNew();
        await cluster.WaitForLog("Worker frozen left: silent", TimeSpan.FromSeconds(30));
        var detection = stopped.Elapsed;
        Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
        Assert.Equal(reference, Hash(outDir));
        Assert.True(detection < TimeSpan.FromSeconds(10), $"detected after {detection}");
        Console.WriteLine($"hung worker detected after {detection.TotalSeconds:0.0} s");
    }

    [Theory]
    [InlineData("aspnetcore")]
    [InlineData("fast")]
    public async Task A_killed_coordinator_resumes_from_its_checkpoint_to_the_same_bits(string transport)
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "3", "--shards", "2", "--checkpoint-every", "50"];
        var reference = await Reference(options);
        var outDir = Disttrain.TempDir("resume");
        using var cluster = new Cluster(transport);
        var first = cluster.StartCoordinator(["--min-workers", "2", .. options, "--out", outDir]);
        cluster.StartWorker("a");
        cluster.StartWorker("b");
        // Into epoch 2, past its first checkpoint (every 50 of 468 iterations). An epoch can be
        // shorter than the 3 s between progress lines, so this waits for the epoch line instead.
        await cluster.WaitForLog("Epoch 1/3 done", TimeSpan.FromMinutes(3));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Cluster.Signal(first, Cluster.SigKill);
        first.WaitForExit();
        // The same workers reconnect by themselves to the restarted coordinator.
        cluster.StartCoordinator(["--min-workers", "2", .. options, "--out", outDir, "--resume"]);
        Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
        Assert.True(cluster.Logged("Resumed from"), cluster.Dump());
        Assert.Equal(reference, Hash(outDir));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(outDir, "metrics.csv")).Length);
    }

    [Fact]
    public async Task Sigterm_checkpoints_within_10_seconds_and_the_run_resumes_to_the_same_bits()
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "2", "--shards", "2"];
        var reference = await Reference(options);
        var outDir = Disttrain.TempDir("sigterm");
        using var cluster = new Cluster();
        var coordinator = cluster.StartCoordinator(["--min-workers", "1", .. options, "--out", outDir]);
        var worker = cluster.StartWorker("only");
        await cluster.WaitForFirstEpochUnderWay(2);
        var clock = Stopwatch.StartNew();
        Cluster.Signal(coordinator, Cluster.SigTerm);
        Assert.Equal(0, await cluster.WaitForCoordinator(TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"SIGTERM to exit took {clock.Elapsed}");
        Assert.True(cluster.Logged("checkpoint written"), cluster.Dump());

        // SIGTERM to a worker: it says goodbye, the coordinator logs it.
        using var again = new Cluster();
        again.StartCoordinator(["--min-workers", "1", .. options, "--out", outDir, "--resume"]);
        var leaving = again.StartWorker("leaving");
        await again.WaitForLog("Resumed from", TimeSpan.FromMinutes(1));
        await again.WaitForLog("Worker leaving joined", TimeSpan.FromMinutes(1));
        Cluster.Signal(leaving, Cluster.SigTerm);
        await again.WaitForLog("Worker leaving left: worker stopping", TimeSpan.FromSeconds(20));
        again.StartWorker("finisher");
        Assert.Equal(0, await again.WaitForCoordinator(Timeout));
        Assert.Equal(reference, Hash(outDir));
    }

    [Fact]
    public async Task A_worker_stopped_before_the_coordinator_answers_says_leave_and_exits_cleanly()
    {
        // A coordinator that takes the join and never answers it: the worker is still in its handshake.
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leave = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = TrainerMethods.Service(async (requests, _, context) =>
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                if (requests.Current.KindCase == WorkerMessage.KindOneofCase.Join)
                {
                    joined.TrySetResult();
                }
                else if (requests.Current.KindCase == WorkerMessage.KindOneofCase.Leave)
                {
                    leave.TrySetResult(requests.Current.Leave.Reason);
                }
            }
        });
        await using var silent = await new AspNetCoreTransport().StartServerAsync(new GrpcServerOptions(), [service], NullLoggerFactory.Instance);
        var output = new StringBuilder();
        using var worker = Disttrain.Start(["worker", "--coordinator", silent.Address.ToString(), "--name", "early", "--threads", "1"], output);
        await joined.Task.WaitAsync(TimeSpan.FromMinutes(1));
        Cluster.Signal(worker, Cluster.SigTerm);
        Assert.Equal("worker stopping", await leave.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(worker.ExitCode == 0, output.ToString());
        Assert.DoesNotContain("   at ", output.ToString());
    }

    [Fact]
    public async Task A_worker_with_a_wrong_token_is_refused_and_exits_non_zero_saying_why()
    {
        var data = await Disttrain.DataDirAsync();
        using var cluster = new Cluster();
        cluster.StartCoordinator(["--data-dir", data, "--out", Disttrain.TempDir("token"), "--auth-token", "right-secret"]);
        await cluster.WaitForLog("Waiting for 1 worker to join", TimeSpan.FromMinutes(1));
        var intruder = cluster.StartWorker("intruder", null, "--auth-token", "wrong-secret");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await intruder.WaitForExitAsync(cts.Token);
        Assert.NotEqual(0, intruder.ExitCode);
        Assert.Contains("token", cluster.Dump());
        Assert.DoesNotContain("right-secret", cluster.Dump());
        Assert.DoesNotContain("wrong-secret", cluster.Dump());
        var anonymous = cluster.StartWorker("anonymous");
        await anonymous.WaitForExitAsync(cts.Token);
        Assert.NotEqual(0, anonymous.ExitCode);
    }

    [Theory]
    [InlineData("poison-gradient")]
    [InlineData("wrong-length")]
    [InlineData("stale-version")]
    public async Task A_worker_returning_bad_results_is_rejected_then_dropped_and_the_bits_are_unchanged(string fault)
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "1", "--shards", "2"];
        var reference = await Reference(options);
        var outDir = Disttrain.TempDir("poison");
        using var cluster = new Cluster();
        cluster.StartCoordinator(["--min-workers", "2", .. options, "--out", outDir]);
        cluster.StartWorker("honest");
        cluster.StartWorker("faulty", new Dictionary<string, string> { ["DISTTRAIN_TEST_FAULT"] = fault });
        Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
        Assert.True(cluster.Logged("Rejected a result from worker faulty"), cluster.Dump());
        Assert.True(cluster.Logged("Worker faulty left: 3 bad results"), cluster.Dump());
        Assert.Equal(reference, Hash(outDir));
    }

    [Fact]
    public async Task Sixteen_workers_train_an_epoch_to_the_bits_of_train()
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "1", "--shards", "16"];
        var reference = await Reference(options);
        var outDir = Disttrain.TempDir("sixteen");
        var (exit, output) = await Disttrain.RunAsync(["run", "--workers", "16", .. options, "--out", outDir], Timeout);
        Assert.True(exit == 0, output);
        Assert.Equal(reference, Hash(outDir));
        Assert.Contains("16 workers", output);
    }

    [Fact]
    public async Task Soak_of_3000_iterations_with_workers_killed_and_restarted_ends_with_the_fault_free_bits()
    {
        var data = await Disttrain.DataDirAsync();
        // 6 epochs of 937 mini-batches of 64: 5622 iterations (4 epochs took only 7.5 s on a quiet machine).
        string[] options = ["--data-dir", data, "--epochs", "6", "--batch-size", "64", "--shards", "3"];
        var reference = await Reference(options);
        var outDir = Disttrain.TempDir("soak");
        using var cluster = new Cluster();
        cluster.StartCoordinator(["--min-workers", "3", .. options, "--out", outDir]);
        var workers = new[] { cluster.StartWorker("s1"), cluster.StartWorker("s2"), cluster.StartWorker("s3") };
        await cluster.WaitForFirstEpochUnderWay(6);
        var kills = 0;
        var random = new Random(5);
        while (!cluster.Coordinator.HasExited)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1000));
            if (cluster.Coordinator.HasExited)
            {
                break;
            }
            var victim = random.Next(workers.Length);
            Cluster.Signal(workers[victim], Cluster.SigKill);
            workers[victim].WaitForExit();
            kills++;
            workers[victim] = cluster.StartWorker($"s{victim + 1}-r{kills}");
        }
        Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
        Assert.True(kills >= 5, $"only {kills} kills happened before the run ended");
        Assert.Equal(reference, Hash(outDir));
        Console.WriteLine($"soak: {kills} workers killed and restarted during 5622 iterations");
    }

    [Fact]
    public async Task A_shard_held_past_the_task_deadline_is_taken_back_and_a_late_one_is_speculated()
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "1", "--shards", "2", "--batch-size", "512"];
        var reference = await Reference(options);

        // A worker that takes 3 s a shard, with a 1 s deadline: dropped, its shards recomputed.
        var outDir = Disttrain.TempDir("deadline");
        using (var cluster = new Cluster())
        {
            cluster.StartCoordinator(["--min-workers", "2", "--task-timeout", "1", "--speculate", "false", .. options, "--out", outDir]);
            await cluster.WaitForLog("Waiting for 2 workers", TimeSpan.FromMinutes(1));
            cluster.StartWorker("prompt");
            // It does not come back soon after being dropped, so the run does not wait on it again.
            cluster.StartWorker("sluggish", new Dictionary<string, string> { ["DISTTRAIN_TEST_FAULT"] = "slow-ms=3000" }, "--retry-seconds", "600");
            Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
            Assert.True(cluster.Logged("Worker sluggish left: no answer within the task deadline"), cluster.Dump());
            Assert.Equal(reference, Hash(outDir));
        }

        // A worker 200 ms slower a shard, with speculation: its late shards also go to the idle one.
        // (Far past twice the other's p95 round trip, which on a loaded 2-core machine reached 50 ms.)
        outDir = Disttrain.TempDir("speculate");
        using (var cluster = new Cluster())
        {
            cluster.StartCoordinator(["--min-workers", "2", .. options, "--out", outDir]);
            cluster.StartWorker("quick");
            cluster.StartWorker("straggler", new Dictionary<string, string> { ["DISTTRAIN_TEST_FAULT"] = "slow-ms=200" });
            Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
            // The epoch's straggler report counts the shards that also went to the idle worker.
            var speculated = System.Text.RegularExpressions.Regex.Matches(cluster.Dump(), @"; (\d+) speculated,").Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(speculated > 0, cluster.Dump());
            Assert.Equal(reference, Hash(outDir));
        }
    }

    [Fact]
    public async Task Workers_beyond_max_workers_are_refused_and_wait()
    {
        var data = await Disttrain.DataDirAsync();
        using var cluster = new Cluster();
        cluster.StartCoordinator(["--min-workers", "1", "--max-workers", "1", "--data-dir", data, "--epochs", "50", "--out", Disttrain.TempDir("full")]);
        cluster.StartWorker("first");
        await cluster.WaitForLog("Worker first joined", TimeSpan.FromMinutes(1));
        cluster.StartWorker("second");
        await cluster.WaitForLog("Refused worker second", TimeSpan.FromSeconds(30));
        await cluster.WaitForLog("The coordinator is full", TimeSpan.FromSeconds(30));
    }
}

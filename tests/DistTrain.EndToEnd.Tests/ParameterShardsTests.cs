using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DistTrain.EndToEnd.Tests;

/// <summary>
/// --parameter-shards: the coordinator and parameter-server processes own slices of the weights and
/// optimizer state, workers pull from and push to them over real gRPC; the weights stay those of
/// `train` with the same shards, whatever the number of slices, and a lost slice stops the run
/// with a checkpoint from which --resume continues to the same bits.
/// </summary>
public partial class ParameterShardsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static async Task<(string Hash, string Output)> Run(string[] args)
    {
        var outDir = Disttrain.TempDir(args[0]);
        var (exit, output) = await Disttrain.RunAsync([.. args, "--out", outDir], Timeout);
        Assert.True(exit == 0, $"disttrain {string.Join(' ', args)} exited {exit}:\n{output}");
        return (Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString()!, output);
    }

    [Fact]
    public async Task Every_number_of_slices_gives_the_bits_of_train_with_the_same_shards()
    {
        var data = await Disttrain.DataDirAsync();
        string[] common = ["--data-dir", data, "--epochs", "1", "--shards", "3", "--batch-size", "192"];
        var (reference, _) = await Run(["train", .. common]);
        foreach (var slices in new[] { 1, 2, 3 })
        {
            var clock = Stopwatch.StartNew();
            var (hash, output) = await Run(["run", "--workers", "2", "--parameter-shards", slices.ToString(System.Globalization.CultureInfo.InvariantCulture), .. common]);
            Assert.True(reference == hash, $"--parameter-shards {slices}: {hash}, train: {reference}\n{output}");
            Assert.Equal(slices - 1, output.Split('\n').Count(l => l.StartsWith("[coordinator]", StringComparison.Ordinal) && l.Contains("Parameter server ps-", StringComparison.Ordinal) && l.Contains("joined from", StringComparison.Ordinal)));
            if (slices > 1)
            {
                Assert.Contains("is owned by the coordinator", output);
                Assert.Contains($"[ps-{slices - 1}]", output);
                Assert.Contains("Parameter shards: pulling weights from and pushing gradients to", output);
            }
            else
            {
                Assert.DoesNotContain("parameter server", output, StringComparison.OrdinalIgnoreCase);
            }
            Console.WriteLine($"run --workers 2 --parameter-shards {slices}: {clock.Elapsed.TotalSeconds:0.0} s");
        }
    }

    [Fact]
    public async Task Adam_with_weight_decay_in_bf16_keeps_its_bits_when_the_parameters_are_sliced()
    {
        var data = await Disttrain.DataDirAsync();
        string[] common = ["--data-dir", data, "--epochs", "1", "--batch-size", "512", "--shards", "2", "--optimizer", "adam", "--lr", "0.002",
            "--weight-decay", "0.0001", "--lr-schedule", "cosine", "--wire-precision", "bf16"];
        var (whole, _) = await Run(["run", "--workers", "2", .. common]);
        var (sliced, output) = await Run(["run", "--workers", "2", "--parameter-shards", "3", .. common]);
        Assert.True(whole == sliced, $"bf16 adam: --parameter-shards 3 gave {sliced}, 1 gave {whole}\n{output}");
    }

    [Fact]
    public async Task A_killed_parameter_server_stops_the_run_naming_it_a_stopped_one_lets_it_checkpoint_and_resume_gives_the_bits_of_train()
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "3", "--shards", "2", "--batch-size", "256", "--checkpoint-every", "40"];
        var (reference, _) = await Run(["train", .. options]);
        var outDir = Disttrain.TempDir("ps-kill");
        string[] coordinator = ["--min-workers", "2", "--parameter-shards", "3", .. options, "--out", outDir];
        string[] twoSlices = ["--min-workers", "2", "--parameter-shards", "2", .. options, "--out", outDir];

        // SIGKILL: the slice is gone; the run stops at once with one line naming the server, at the last checkpoint.
        int killedAt;
        using (var cluster = new Cluster("fast"))
        {
            cluster.StartCoordinator(coordinator);
            cluster.StartParameterServer("ps-a");
            var victim = cluster.StartParameterServer("ps-b");
            cluster.StartWorker("w1");
            cluster.StartWorker("w2");
            // Past a few checkpoints (every 40 of 3 x 234 iterations), well before the end.
            await WaitForIteration(cluster, 90);
            Cluster.Signal(victim, Cluster.SigKill);
            var killed = Stopwatch.StartNew();
            var exit = await cluster.WaitForCoordinator(TimeSpan.FromMinutes(1));
            var log = cluster.Dump();
            Assert.True(exit == 1, $"coordinator exit {exit}:\n{log}");
            var error = Assert.Single(log.Split('\n'), l => l.StartsWith("[coordinator] error:", StringComparison.Ordinal));
            Assert.Contains("parameter server ps-b (slice", error);
            Assert.Contains("was lost", error);
            Assert.Contains("continue from it with --resume", error);
            killedAt = int.Parse(CheckpointVersion().Match(error).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(killedAt >= 80, error);
            Assert.DoesNotContain("   at ", log);
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(20), $"the run took {killed.Elapsed} to stop");
            Console.WriteLine($"killed parameter server noticed and the run stopped in {killed.Elapsed.TotalSeconds:0.0} s: {error}");
        }

        // SIGTERM: the server serves its slice until the coordinator has stopped the run with a checkpoint of every slice.
        using (var resumed = new Cluster("fast"))
        {
            resumed.StartCoordinator([.. coordinator, "--resume"]);
            var stopping = resumed.StartParameterServer("ps-c");
            resumed.StartParameterServer("ps-d");
            resumed.StartWorker("w3");
            resumed.StartWorker("w4");
            // The first sign of progress after the resume: at least two of three epochs are left to stop in.
            await WaitForIteration(resumed, killedAt + 1);
            Cluster.Signal(stopping, Cluster.SigTerm);
            Assert.Equal(0, await resumed.WaitForCoordinator(TimeSpan.FromMinutes(1)));
            await stopping.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, stopping.ExitCode);
            Assert.True(resumed.Logged("Parameter server ps-c (slice") && resumed.Logged("is stopping (parameter server stopping)"), resumed.Dump());
            Assert.True(resumed.Logged("checkpoint written"), resumed.Dump());
            Assert.True(resumed.Logged("Resumed from"), resumed.Dump());
        }

        // The checkpoint holds the whole vector: it resumes with another number of slices too.
        using (var finished = new Cluster())
        {
            finished.StartCoordinator([.. twoSlices, "--resume"]);
            finished.StartParameterServer("ps-e");
            finished.StartWorker("w5");
            finished.StartWorker("w6");
            Assert.Equal(0, await finished.WaitForCoordinator(Timeout));
            Assert.Equal(reference, Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString());
        }
    }

    [Fact]
    public async Task A_worker_pushing_nan_is_refused_by_the_owner_then_dropped_and_the_bits_are_unchanged()
    {
        var data = await Disttrain.DataDirAsync();
        string[] options = ["--data-dir", data, "--epochs", "1", "--shards", "2", "--batch-size", "512"];
        var (reference, _) = await Run(["train", .. options]);
        var outDir = Disttrain.TempDir("ps-poison");
        using var cluster = new Cluster();
        cluster.StartCoordinator(["--min-workers", "2", "--parameter-shards", "2", .. options, "--out", outDir]);
        cluster.StartParameterServer("ps-1");
        cluster.StartWorker("honest");
        cluster.StartWorker("faulty", new Dictionary<string, string> { ["DISTTRAIN_TEST_FAULT"] = "poison-gradient" });
        Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
        Assert.True(cluster.Logged("Rejected a result from worker faulty"), cluster.Dump());
        Assert.True(cluster.Logged("holds NaN or infinity"), cluster.Dump());
        Assert.True(cluster.Logged("Worker faulty left: 3 bad results"), cluster.Dump());
        Assert.Equal(reference, Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString());
    }

    [Fact]
    public async Task A_step_that_diverges_in_a_slice_stops_the_run_with_the_divergence_exit_code()
    {
        // Each shard's gradient is finite, their sum is not: the coordinator's slice (which holds
        // parameter 0) finds it while stepping, after the results are in and the next tasks may be out.
        var data = await Disttrain.DataDirAsync();
        using var cluster = new Cluster();
        cluster.StartCoordinator(["--min-workers", "2", "--parameter-shards", "2", "--data-dir", data, "--epochs", "1", "--shards", "2",
            "--batch-size", "512", "--out", Disttrain.TempDir("ps-diverge")]);
        cluster.StartParameterServer("ps-1");
        var huge = new Dictionary<string, string> { ["DISTTRAIN_TEST_FAULT"] = "huge-gradient" };
        cluster.StartWorker("w1", huge);
        cluster.StartWorker("w2", huge);
        Assert.Equal(3, await cluster.WaitForCoordinator(TimeSpan.FromMinutes(2)));
        Assert.True(cluster.Logged("is not finite (NaN or infinity): training diverged; lower --lr"), cluster.Dump());
        Assert.False(cluster.Logged("bad results"), cluster.Dump());
    }

    /// <summary>
    /// Waits until the run is at iteration <paramref name="iteration"/> or later, as a progress line
    /// (one every 3 s within an epoch) or an epoch's end says: an epoch shorter than 3 s has no progress line.
    /// </summary>
    private static async Task WaitForIteration(Cluster cluster, int iteration)
    {
        var clock = Stopwatch.StartNew();
        while (!Reached(cluster.Dump(), iteration))
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3) || cluster.Coordinator.HasExited)
            {
                throw new TimeoutException($"no progress line or epoch's end at iteration {iteration} or later:\n{cluster.Dump()}");
            }
            await Task.Delay(50);
        }
    }

    private static bool Reached(string log, int iteration)
    {
        static int Number(Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);
        if (ProgressLine().Matches(log).Any(m => ((Number(m.Groups[1]) - 1) * Number(m.Groups[3])) + Number(m.Groups[2]) >= iteration))
        {
            return true;
        }
        var perEpoch = IterationsPerEpoch().Match(log);
        return perEpoch.Success && EpochDoneLine().Matches(log).Any(m => Number(m.Groups[1]) * Number(perEpoch.Groups[1]) >= iteration);
    }

    [GeneratedRegex(@"Epoch (\d+)/\d+ batch (\d+)/(\d+)")]
    private static partial Regex ProgressLine();

    [GeneratedRegex(@"Epoch (\d+)/\d+ done")]
    private static partial Regex EpochDoneLine();

    [GeneratedRegex(@"Training \d+ epochs? of (\d+) iterations")]
    private static partial Regex IterationsPerEpoch();

    [GeneratedRegex(@"at weight version (\d+)")]
    private static partial Regex CheckpointVersion();

    [Theory]
    [InlineData("coordinator --parameter-shards 0", "--parameter-shards: 0 must be at least 1")]
    [InlineData("coordinator --parameter-shards 16", "--parameter-shards: 16 must be between 1 and 15")]
    [InlineData("run --workers 1 --parameter-shards 0", "--parameter-shards: 0 must be between 1 and 64")]
    [InlineData("parameter-server", "--coordinator: '' is not an http:// or https:// address")]
    [InlineData("parameter-server --coordinator http://127.0.0.1:1 --listen 0.0.0.0:50061", "--listen: '0.0.0.0:50061' is not of the form http://HOST:PORT")]
    [InlineData("parameter-server --coordinator http://127.0.0.1:1 --advertise ps-1:50061", "--advertise: 'ps-1:50061' is not an http:// or https:// address")]
    public async Task A_bad_parameter_shard_option_exits_2_naming_it(string command, string message)
    {
        var data = await Disttrain.DataDirAsync();
        var (exit, output) = await Disttrain.RunAsync(
            [.. command.Split(' '), .. command.StartsWith("parameter-server", StringComparison.Ordinal) ? [] : new[] { "--data-dir", data, "--out", Disttrain.TempDir("bad") }],
            TimeSpan.FromMinutes(2));
        Assert.True(exit == 2, $"exit {exit}:\n{output}");
        Assert.Contains(message, output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task A_parameter_server_gives_up_on_an_unreachable_coordinator_saying_so()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (exit, output) = await Disttrain.RunAsync(
            ["parameter-server", "--coordinator", $"http://127.0.0.1:{port}", "--listen", "http://127.0.0.1:0", "--give-up-after", "2", "--retry-seconds", "0.2"], TimeSpan.FromMinutes(1));
        Assert.True(exit == 4, $"exit {exit}:\n{output}");
        Assert.Contains("Gave up: the coordinator at", output);
        Assert.DoesNotContain("   at ", output);
    }
}

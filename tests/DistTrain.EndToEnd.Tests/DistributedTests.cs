using System.Diagnostics;
using System.Text;

namespace DistTrain.EndToEnd.Tests;

/// <summary>Coordinator and workers as real processes over real gRPC on loopback.</summary>
public class DistributedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    private static async Task<string> Hash(string[] args)
    {
        var outDir = Disttrain.TempDir(args[0]);
        var (exit, output) = await Disttrain.RunAsync([.. args, "--out", outDir], Timeout);
        Assert.True(exit == 0, $"disttrain {string.Join(' ', args)} exited {exit}:\n{output}");
        return Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString()!;
    }

    [Fact]
    public async Task Any_worker_count_gives_the_bits_of_train_with_the_same_shards()
    {
        var data = await Disttrain.DataDirAsync();
        string[] common = ["--data-dir", data, "--epochs", "1", "--shards", "6"];
        var reference = await Hash(["train", .. common]);
        foreach (var workers in new[] { "1", "2", "3" })
        {
            Assert.Equal(reference, await Hash(["run", "--workers", workers, .. common]));
        }
        // And again: repeated runs give the same bits.
        Assert.Equal(reference, await Hash(["run", "--workers", "2", .. common]));
    }

    [Fact]
    public async Task Two_workers_reach_98_percent_within_0_3_points_of_train()
    {
        var data = await Disttrain.DataDirAsync();
        var runOut = Disttrain.TempDir("run2");
        var (exit, output) = await Disttrain.RunAsync(["run", "--workers", "2", "--data-dir", data, "--out", runOut], Timeout);
        Assert.True(exit == 0, output);
        var distributed = Disttrain.Summary(runOut).GetProperty("final_test_accuracy").GetDouble();
        Assert.True(distributed >= 0.98, $"run --workers 2: {distributed:P2}\n{output}");
        Assert.Contains("[worker-1]", output);
        Assert.Contains("[coordinator]", output);

        var trainOut = Disttrain.TempDir("train-ref");
        var (trainExit, trainOutput) = await Disttrain.RunAsync(["train", "--data-dir", data, "--out", trainOut], Timeout);
        Assert.True(trainExit == 0, trainOutput);
        var single = Disttrain.Summary(trainOut).GetProperty("final_test_accuracy").GetDouble();
        Assert.True(Math.Abs(distributed - single) <= 0.003, $"run --workers 2 {distributed:P2} vs train {single:P2}");
    }

    [Fact]
    public async Task Each_transport_and_mixed_pairs_give_the_bits_of_train()
    {
        var data = await Disttrain.DataDirAsync();
        string[] common = ["--data-dir", data, "--epochs", "1", "--shards", "2"];
        var reference = await Hash(["train", .. common]);
        Assert.Equal(reference, await Hash(["run", "--workers", "2", "--transport", "aspnetcore", .. common]));
        Assert.Equal(reference, await Hash(["run", "--workers", "2", "--transport", "fast", .. common]));
        // A Kestrel coordinator serving an engine worker and a Kestrel worker, and the other way round.
        foreach (var (coordinatorTransport, workerTransports) in new[] { ("aspnetcore", new[] { "fast", "aspnetcore" }), ("fast", new[] { "aspnetcore", "fast" }) })
        {
            var address = $"http://127.0.0.1:{FreePort()}";
            var outDir = Disttrain.TempDir("mixed");
            var log = new StringBuilder();
            using var coordinator = Disttrain.Start(["coordinator", "--listen", address, "--transport", coordinatorTransport, "--min-workers", "2", .. common, "--out", outDir], log);
            var workers = workerTransports.Select((t, i) => Disttrain.Start(["worker", "--coordinator", address, "--transport", t, "--name", $"{t}-{i}", "--threads", "1"], new StringBuilder())).ToList();
            try
            {
                using var cts = new CancellationTokenSource(Timeout);
                await coordinator.WaitForExitAsync(cts.Token);
            }
            finally
            {
                foreach (var p in workers.Append(coordinator).Where(p => !p.HasExited))
                {
                    p.Kill(entireProcessTree: true);
                }
                workers.ForEach(w => w.Dispose());
            }
            Assert.True(coordinator.ExitCode == 0, log.ToString());
            Assert.Contains($"({coordinatorTransport} transport)", log.ToString(), StringComparison.Ordinal);
            Assert.Equal(reference, Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString());
        }
    }

    [Theory]
    [InlineData("aspnetcore")]
    [InlineData("fast")]
    public async Task A_worker_killed_mid_run_costs_time_not_bits(string transport)
    {
        var data = await Disttrain.DataDirAsync();
        string[] common = ["--data-dir", data, "--epochs", "3", "--shards", "4"];
        var reference = await Hash(["train", .. common]);

        var port = FreePort();
        var address = $"http://127.0.0.1:{port}";
        var outDir = Disttrain.TempDir("killed");
        var log = new StringBuilder();
        using var coordinator = Disttrain.Start(["coordinator", "--listen", address, "--transport", transport, "--min-workers", "2", "--task-timeout", "10", .. common, "--out", outDir], log);
        var workerLogs = new[] { new StringBuilder(), new StringBuilder(), new StringBuilder() };
        using var w1 = Disttrain.Start(["worker", "--coordinator", address, "--transport", transport, "--name", "w1", "--threads", "1"], workerLogs[0]);
        using var w2 = Disttrain.Start(["worker", "--coordinator", address, "--transport", transport, "--name", "victim", "--threads", "1"], workerLogs[1]);
        Process? w3 = null;
        try
        {
            // The first progress line, or the end of epoch 1 when that comes first (a short epoch).
            await WaitFor(() => Contains(log, "Epoch 1/3 batch") || Contains(log, "Epoch 1/3 done"), TimeSpan.FromMinutes(3), log, workerLogs);
            w2.Kill();
            await WaitFor(() => Contains(log, "victim left"), TimeSpan.FromSeconds(30), log);
            // A replacement joins later, as a restarted container would.
            w3 = Disttrain.Start(["worker", "--coordinator", address, "--transport", transport, "--name", "w3", "--threads", "1"], workerLogs[2]);
            using var cts = new CancellationTokenSource(Timeout);
            await coordinator.WaitForExitAsync(cts.Token);
        }
        finally
        {
            foreach (var p in new[] { coordinator, w1, w2, w3 }.OfType<Process>())
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
            w3?.Dispose();
        }
        Assert.True(coordinator.ExitCode == 0, log.ToString());
        Assert.Equal(reference, Disttrain.Summary(outDir).GetProperty("weights_sha256").GetString());
    }

    [Fact]
    public async Task Health_answers_serving_for_a_coordinator_and_fails_for_nothing_listening()
    {
        var data = await Disttrain.DataDirAsync();
        var address = $"http://127.0.0.1:{FreePort()}";
        var log = new StringBuilder();
        using var coordinator = Disttrain.Start(["coordinator", "--listen", address, "--data-dir", data, "--out", Disttrain.TempDir("health")], log);
        try
        {
            await WaitFor(() => Contains(log, "Waiting for 1 worker to join"), TimeSpan.FromMinutes(1), log);
            var (exit, output) = await Disttrain.RunAsync(["health", "--address", address], TimeSpan.FromSeconds(30));
            Assert.True(exit == 0, output);
            Assert.Contains("SERVING", output);
        }
        finally
        {
            coordinator.Kill(entireProcessTree: true);
        }
        var (downExit, downOutput) = await Disttrain.RunAsync(["health", "--address", $"http://127.0.0.1:{FreePort()}", "--timeout", "2"], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, downExit);
        Assert.NotEmpty(downOutput.Trim());
    }

    private static bool Contains(StringBuilder log, string text)
    {
        lock (log)
        {
            return log.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan limit, StringBuilder log, params StringBuilder[] more)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                var others = string.Join('\n', more.Select(m => { lock (m) { return m.ToString(); } }));
                lock (log)
                {
                    throw new TimeoutException($"condition not met within {limit}:\n{log}\n{others}");
                }
            }
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace DistTrain.EndToEnd.Tests;

/// <summary>Metrics, the timeline and the straggler report of real runs: real processes, sockets and MNIST.</summary>
public class ObservabilityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Metrics_scraped_during_a_run_grow_have_histogram_buckets_and_count_the_workers()
    {
        var data = await Disttrain.DataDirAsync();
        var dashboard = $"http://127.0.0.1:{FreePort()}";
        var workerMetrics = $"http://127.0.0.1:{FreePort()}";
        using var cluster = new Cluster();
        cluster.StartCoordinator("--min-workers", "2", "--data-dir", data, "--epochs", "6", "--out", Disttrain.TempDir("metrics"), "--dashboard", dashboard);
        cluster.StartWorker("alpha", null, "--metrics", workerMetrics);
        cluster.StartWorker("beta");
        await cluster.WaitForFirstEpochUnderWay(6);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var first = PrometheusText.Parse(await http.GetStringAsync($"{dashboard}/metrics"));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var second = PrometheusText.Parse(await http.GetStringAsync($"{dashboard}/metrics"));
        var worker = PrometheusText.Parse(await http.GetStringAsync($"{workerMetrics}/metrics"));

        Assert.Equal("counter", second["disttrain_samples_total"].Type);
        Assert.True(first.Sum("disttrain_samples_total") > 0, cluster.Dump());
        Assert.True(second.Sum("disttrain_samples_total") > first.Sum("disttrain_samples_total"), "samples did not grow between scrapes");
        Assert.True(second.Sum("disttrain_iterations_total") > first.Sum("disttrain_iterations_total"), "iterations did not grow between scrapes");
        Assert.True(second.Sum("disttrain_sent_bytes_total", null, ("kind", "weights")) > first.Sum("disttrain_sent_bytes_total", null, ("kind", "weights")));
        Assert.True(second.Sum("disttrain_received_bytes_total") > 0);
        Assert.Equal(2, second.Sum("disttrain_workers"));
        Assert.Equal(2, second.Sum("disttrain_worker_joins_total"));
        foreach (var name in new[] { "alpha", "beta" })
        {
            // The reader has checked every histogram's buckets (ascending, cumulative, +Inf = _count).
            Assert.Equal("histogram", second["disttrain_shard_round_trip_seconds"].Type);
            var buckets = second["disttrain_shard_round_trip_seconds"].Samples.Count(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal) && s.Labels["worker"] == name && s.Labels["work"] == "gradient");
            Assert.True(buckets >= 10, $"{buckets} round-trip buckets for {name}");
            Assert.True(second.Sum("disttrain_shard_compute_seconds", "disttrain_shard_compute_seconds_count", ("worker", name)) > 0, name);
        }
        Assert.InRange(second.Sum("disttrain_train_accuracy"), 0.5, 1.0);
        // The runtime's and ASP.NET Core's own meters (the first scrape was a request).
        Assert.Contains(second.Keys, k => k.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        Assert.Contains("http_server_request_duration_seconds", second.Keys);
        // The worker's own endpoint.
        Assert.True(worker.Sum("disttrain_worker_shards_total", null, ("work", "gradient")) > 0);
        Assert.Equal("histogram", worker["disttrain_worker_compute_seconds"].Type);
        Assert.Contains(worker.Keys, k => k.StartsWith("dotnet_", StringComparison.Ordinal));

        Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));
    }

    [Fact]
    public async Task The_timeline_of_a_stopped_run_is_a_valid_bounded_trace_with_a_lane_per_worker()
    {
        var data = await Disttrain.DataDirAsync();
        var outDir = Disttrain.TempDir("timeline");
        var file = Path.Combine(outDir, "timeline.json");
        using var cluster = new Cluster();
        var coordinator = cluster.StartCoordinator("--min-workers", "2", "--data-dir", data, "--epochs", "4", "--out", outDir,
            "--timeline", file, "--timeline-iterations", "20");
        cluster.StartWorker("left-hand");
        cluster.StartWorker("right-hand");
        await cluster.WaitForLog("Epoch 1/4 done", Timeout);
        // SIGTERM mid-run: the coordinator checkpoints and closes the trace on its way out.
        Cluster.Signal(coordinator, Cluster.SigTerm);
        Assert.Equal(0, await cluster.WaitForCoordinator(TimeSpan.FromSeconds(30)));

        using var trace = JsonDocument.Parse(File.ReadAllBytes(file));
        var events = trace.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        foreach (var e in events)
        {
            Assert.Contains(e.GetProperty("ph").GetString(), new[] { "X", "i", "C", "M" });
            Assert.True(e.TryGetProperty("pid", out _), e.ToString());
            if (e.GetProperty("ph").GetString() == "X")
            {
                Assert.True(e.GetProperty("dur").GetDouble() >= 0 && e.GetProperty("ts").GetDouble() > 0, e.ToString());
            }
        }
        var lanes = events.Where(e => e.GetProperty("name").GetString() == "thread_name")
            .ToDictionary(e => e.GetProperty("args").GetProperty("name").GetString()!, e => (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32()));
        var slices = events.Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        foreach (var worker in new[] { "left-hand", "right-hand" })
        {
            Assert.True(lanes.ContainsKey(worker), $"no lane for {worker}: {string.Join(", ", lanes.Keys)}");
            var onLane = slices.Where(s => (s.GetProperty("pid").GetInt32(), s.GetProperty("tid").GetInt32()) == lanes[worker]).Select(s => s.GetProperty("name").GetString()).ToList();
            Assert.Contains("compute", onLane);
            Assert.Contains("sending result", onLane);
            Assert.Contains("evaluate", onLane);
        }
        var loop = slices.Where(s => (s.GetProperty("pid").GetInt32(), s.GetProperty("tid").GetInt32()) == lanes["training loop"])
            .Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "broadcast", "waiting for shards", "optimizer step", "evaluation", "checkpoint" }, loop.ToHashSet());
        // Bounded: 20 iterations in each epoch begun (at most the 4 epochs), whatever the epoch's length.
        Assert.InRange(loop.Count(n => n == "optimizer step"), 20, 80);
        Assert.True(new FileInfo(file).Length < 2_000_000, $"{new FileInfo(file).Length} bytes");
    }

    [Fact]
    public async Task With_parameter_shards_the_timeline_shows_each_workers_push_as_the_worker_timed_it()
    {
        var data = await Disttrain.DataDirAsync();
        var outDir = Disttrain.TempDir("timeline-slices");
        var file = Path.Combine(outDir, "timeline.json");
        var (exit, output) = await Disttrain.RunAsync(["run", "--workers", "2", "--parameter-shards", "2", "--data-dir", data, "--epochs", "1",
            "--dashboard", "off", "--timeline", file, "--timeline-iterations", "30", "--out", outDir], Timeout);
        Assert.True(exit == 0, output);

        using var trace = JsonDocument.Parse(File.ReadAllBytes(file));
        var workerSlices = trace.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("pid").GetInt32() == 2)
            .ToList();
        var arriving = workerSlices.Where(e => e.GetProperty("name").GetString() == "weights arriving").ToList();
        var lanes = workerSlices.Except(arriving).GroupBy(e => e.GetProperty("tid").GetInt32()).ToList();
        Assert.Equal(2, lanes.Count);
        // Each worker's next weights, on a lane of their own: when the first and the last block came, after the push before began.
        Assert.Equal(2, arriving.Select(e => e.GetProperty("tid").GetInt32()).Distinct().Count());
        Assert.InRange(arriving.Count, 5, 60);
        Assert.All(arriving, e => Assert.True(e.GetProperty("args").GetProperty("first_block_after_push_ms").GetDouble() <= e.GetProperty("args").GetProperty("last_block_after_push_ms").GetDouble()
            && e.GetProperty("args").GetProperty("last_block_after_push_ms").GetDouble() > 0, e.ToString()));
        foreach (var lane in lanes)
        {
            // One push per training shard in the window (30 iterations, the two workers share them), each with the worker's own duration.
            var pushes = lane.Where(e => e.GetProperty("name").GetString() == "pushing gradient").ToList();
            Assert.InRange(pushes.Count, 5, 60);
            Assert.All(pushes, p => Assert.True(p.GetProperty("args").GetProperty("push_ms").GetDouble() > 0, p.ToString()));
            Assert.Equal(lane.Count(e => e.GetProperty("name").GetString() is "compute" or "compute (late copy)"), pushes.Count);
        }
    }

    [Fact]
    public async Task The_straggler_report_names_the_slowed_worker()
    {
        var data = await Disttrain.DataDirAsync();
        using var cluster = new Cluster();
        cluster.StartCoordinator("--min-workers", "2", "--data-dir", data, "--epochs", "1", "--out", Disttrain.TempDir("straggler"));
        cluster.StartWorker("brisk");
        cluster.StartWorker("laggard", new Dictionary<string, string> { ["DISTTRAIN_TEST_FAULT"] = "slow-ms=30" });

        Assert.Equal(0, await cluster.WaitForCoordinator(Timeout));

        Assert.True(cluster.Logged("Epoch 1 shard round trips, min/median/p95 per worker: brisk "), cluster.Dump());
        Assert.True(cluster.Logged("Epoch 1 straggler: laggard (median round trip over 1.5x"), cluster.Dump());
        Assert.False(cluster.Logged("brisk (median round trip"), cluster.Dump());
        // The per-worker totals no longer follow every progress line.
        Assert.False(cluster.Logged("network+queue"), cluster.Dump());
    }
}

namespace DistTrain.EndToEnd.Tests;

/// <summary>--threads reaches what computes, in every command (it used to be ignored by the coordinator).</summary>
public class ComputeThreadsTests
{
    [Fact]
    public async Task The_coordinators_optimizer_step_runs_on_the_threads_given()
    {
        var data = await Disttrain.DataDirAsync();
        using var cluster = new Cluster();
        // 3 is more than this machine's cores, so a coordinator falling back to "all cores" would say 2.
        cluster.StartCoordinator("--threads", "3", "--min-workers", "1", "--epochs", "1", "--hidden", "16", "--batch-size", "600",
            "--data-dir", data, "--out", Disttrain.TempDir("threads"));
        cluster.StartWorker("worker-1");

        await cluster.WaitForLog("optimizer step on 3 threads", TimeSpan.FromMinutes(2));

        Assert.True(cluster.Logged("3 compute threads"), cluster.Dump());
    }
}

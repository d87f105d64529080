using System.Diagnostics;
using System.Text;

namespace DistTrain.EndToEnd.Tests;

/// <summary>A worker started before (or without) its coordinator: it says once that it waits, and gives up only when told to.</summary>
public sealed class WorkerWaitTests
{
    [Theory]
    [InlineData("aspnetcore")]
    [InlineData("fast")]
    public async Task A_worker_waits_quietly_for_a_missing_coordinator_and_gives_up_when_told(string transport)
    {
        var nowhere = $"http://127.0.0.1:{FreePort()}";
        var patient = new StringBuilder();
        using var waiting = Disttrain.Start(["worker", "--coordinator", nowhere, "--transport", transport, "--name", "patient", "--threads", "1", "--retry-seconds", "0.2"], patient);
        var impatient = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var givingUp = Disttrain.Start(["worker", "--coordinator", nowhere, "--transport", transport, "--name", "impatient", "--threads", "1", "--retry-seconds", "0.2", "--give-up-after", "2"], impatient);
        try
        {
            await givingUp.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"gave up after {clock.Elapsed}");
            Assert.Equal(4, givingUp.ExitCode);
            var said = Text(impatient);
            Assert.Contains("Gave up", said, StringComparison.Ordinal);
            Assert.Contains("--give-up-after", said, StringComparison.Ordinal);

            // The default keeps waiting, and says so once, not at every attempt.
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.False(waiting.HasExited, Text(patient));
            var log = Text(patient);
            Assert.Equal(1, Count(log, "Waiting for the coordinator"));
            Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var p in new[] { waiting, givingUp }.Where(p => !p.HasExited))
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

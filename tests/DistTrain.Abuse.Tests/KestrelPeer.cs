namespace DistTrain.Abuse.Tests;

/// <summary>
/// The comparison: a plain Grpc.AspNetCore server on Kestrel with its defaults (tests/DistTrain.Abuse.KestrelPeer),
/// serving grpc.health.v1 and a stand-in Trainer.Join that sends a joining worker the weights and one shard.
/// </summary>
internal sealed class KestrelPeer : IServerUnderAttack
{
    private readonly ChildProcess server;
    private int logLines;

    private KestrelPeer()
    {
        Address = $"http://127.0.0.1:{Repository.FreeLoopbackPort()}";
        server = ChildProcess.Start("dotnet", [Repository.KestrelPeerDll, "--listen", Address], (_, _) => Interlocked.Increment(ref logLines));
        Gauge = new ProcessGauge(server.Id);
    }

    public string Address { get; }

    public ProcessGauge Gauge { get; }

    public bool HasExited => server.HasExited;

    public int LogLines => Volatile.Read(ref logLines);

    public string ExitDescription => HasExited ? $"exit code {server.Process.ExitCode}; its last lines:\n{server.Tail()}" : "still running";

    public static async Task<KestrelPeer> StartAsync()
    {
        var peer = new KestrelPeer();
        var deadline = Clock.Now + TimeSpan.FromSeconds(30);
        while (!(await GrpcHealthCall.CheckAsync(peer.Address, TimeSpan.FromSeconds(1))).Serving)
        {
            if (peer.HasExited || Clock.Now > deadline)
            {
                peer.Dispose();
                throw new InvalidOperationException($"the Kestrel peer did not start serving: {peer.ExitDescription}");
            }
            await Task.Delay(100);
        }
        return peer;
    }

    public void Dispose() => server.Dispose();
}

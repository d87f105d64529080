using System.Net;
using System.Net.Sockets;

namespace DistTrain.Abuse.Tests;

/// <summary>Where the suite finds what it starts: the built executables, the attacks, MNIST.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration of this test run (Release in CI); the executables come from the same.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Parent!.Name == "bin" ? new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name : "Release";

    public static string DisttrainDll { get; } = Path.Combine(Root, "src", "DistTrain.Cli", "bin", Configuration, "net10.0", "disttrain.dll");

    public static string Attacks { get; } = Path.Combine(AppContext.BaseDirectory, "attacks");

    /// <summary>Debian's Python, which has python3-h2, python3-hpack and python3-grpc-tools.</summary>
    public static string Python { get; } = Environment.GetEnvironmentVariable("DISTTRAIN_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>MNIST: DISTTRAIN_DATA_DIR (CI fetches it once for every suite) or the repository's data folder.</summary>
    public static string DataDir { get; } = Environment.GetEnvironmentVariable("DISTTRAIN_DATA_DIR") is { Length: > 0 } d ? d : Path.Combine(Root, "data");

    /// <summary>Where the results tables go: TestResults/, beside the trx files of CI.</summary>
    public static string ResultsDir { get; } = Path.Combine(Root, "TestResults");

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DistTrain.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("DistTrain.sln not found above the test folder");
    }
}

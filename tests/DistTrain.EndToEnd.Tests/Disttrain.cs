using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace DistTrain.EndToEnd.Tests;

/// <summary>Starts the real disttrain executable as a separate process and captures what it prints.</summary>
internal static class Disttrain
{
    private static readonly SemaphoreSlim FetchGate = new(1, 1);

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The dll built by this test run's configuration (Release in CI).</summary>
    public static string Dll { get; } = Path.Combine(RepositoryRoot, "src", "DistTrain.Cli", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Parent!.Name == "bin" ? new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name : "Release",
        "net10.0", "disttrain.dll");

    /// <summary>MNIST for the tests: DISTTRAIN_DATA_DIR (CI fetches it once) or the repository's data folder, fetched when missing.</summary>
    public static async Task<string> DataDirAsync()
    {
        var dir = Environment.GetEnvironmentVariable("DISTTRAIN_DATA_DIR") is { Length: > 0 } d ? d : Path.Combine(RepositoryRoot, "data");
        await FetchGate.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(dir, "mnist", "t10k-labels-idx1-ubyte")))
            {
                var fetch = await RunAsync(["fetch-data", "--data-dir", dir], TimeSpan.FromMinutes(5));
                Assert.True(fetch.ExitCode == 0, $"fetch-data failed:\n{fetch.Output}");
            }
        }
        finally
        {
            FetchGate.Release();
        }
        return dir;
    }

    /// <summary>Starts disttrain; its lines go to <paramref name="output"/>, after "[prefix] " when a prefix is given.</summary>
    public static Process Start(IEnumerable<string> args, StringBuilder output, IDictionary<string, string>? environment = null, string? prefix = null)
    {
        var lead = prefix is null ? "" : $"[{prefix}] ";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Append(lead).AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Append(lead).AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var output = new StringBuilder();
        using var process = Start(args, output, environment);
        return await WaitForExitAsync(process, output, timeout, $"disttrain {string.Join(' ', args)}");
    }

    /// <summary>
    /// Waits for <paramref name="process"/> (whose output is being collected into
    /// <paramref name="output"/>) to exit; past <paramref name="timeout"/> it kills its whole tree and
    /// throws a <see cref="TimeoutException"/> naming <paramref name="what"/>, with the output so far.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> WaitForExitAsync(Process process, StringBuilder output, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} ran past {timeout}:\n{output}");
        }
        // The parameterless wait also waits for the redirected output to be read to its end.
        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    public static JsonElement Summary(string outDir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json"))).RootElement;

    public static string TempDir(string prefix) => Directory.CreateTempSubdirectory($"disttrain-e2e-{prefix}-").FullName;

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

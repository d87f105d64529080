using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace DistTrain.Transport.Tests.Support;

/// <summary>
/// Runs the independent Python gRPC implementation (grpcio) against ours. Compiles Python
/// message stubs from the repository's protos once per test class, into a temp directory.
/// </summary>
public sealed class PythonInterop : IDisposable
{
    private static readonly string Python = Environment.GetEnvironmentVariable("DISTTRAIN_PYTHON") ?? "/usr/bin/python3";
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    public PythonInterop()
    {
        StubDirectory = Directory.CreateTempSubdirectory("disttrain-transport-py-").FullName;
        var protos = Path.Combine(AppContext.BaseDirectory, "protos");
        // Flat include roots: a generated "grpc/health/v1" package would shadow grpcio's own "grpc".
        var (exitCode, output, errors) = RunAsync(
            [
                "-m", "grpc_tools.protoc",
                "-I", Path.Combine(protos, "disttrain", "testing"),
                "-I", Path.Combine(AppContext.BaseDirectory, "interop"),
                "-I", Path.Combine(protos, "disttrain", "v1"),
                "--python_out=" + StubDirectory,
                "echo.proto", "health.proto", "training.proto",
            ]).GetAwaiter().GetResult();
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"grpc_tools.protoc failed ({exitCode}): {output} {errors}");
        }
    }

    public string StubDirectory { get; }

    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "interop", name);

    /// <summary>Runs echo_client.py and returns its JSON result line.</summary>
    public async Task<JsonElement> RunClientAsync(params string[] arguments)
    {
        var (exitCode, output, errors) = await RunAsync([Script("echo_client.py"), .. arguments]);
        Assert.True(exitCode == 0, $"echo_client.py exited {exitCode}: {errors}");
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? throw new InvalidOperationException($"echo_client.py printed nothing; stderr: {errors}");
        return JsonDocument.Parse(lastLine).RootElement.Clone();
    }

    /// <summary>Starts echo_server.py; it serves until disposed.</summary>
    public async Task<PythonServer> StartServerAsync(params string[] arguments)
    {
        var process = Start([Script("echo_server.py"), .. arguments]);
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(ProcessTimeout);
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            lock (errors)
            {
                throw new InvalidOperationException($"echo_server.py did not start: {line} {errors}");
            }
        }
        return new PythonServer(process, int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose() => Directory.Delete(StubDirectory, recursive: true);

    private Process Start(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["PYTHONPATH"] = StubDirectory;
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start " + Python);
    }

    private async Task<(int ExitCode, string Output, string Errors)> RunAsync(IEnumerable<string> arguments)
    {
        using var process = Start(arguments);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(ProcessTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', arguments)} did not finish in {ProcessTimeout}.");
        }
        return (process.ExitCode, await output, await errors);
    }

    public sealed class PythonServer(Process process, int port) : IDisposable
    {
        public int Port { get; } = port;

        public string Address => $"http://127.0.0.1:{Port}";

        public void Dispose()
        {
            // Closing stdin is the script's signal to stop; kill it if it does not.
            try
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            finally
            {
                process.Dispose();
            }
        }
    }
}

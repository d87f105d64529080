using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace DistTrain.EndToEnd.Tests;

/// <summary>
/// Every command the README shows runs as shown: each indented command line is read from the
/// README and either run here, in bash, with `disttrain` on PATH as the built executable, or
/// named as checked elsewhere (CI itself, the compose end-to-end script). A line this test does
/// not know fails it, so a new command cannot slip in unchecked.
/// </summary>
public sealed partial class ReadmeCommandsTests
{
    // The README's placeholder for the coordinator's host name.
    private const string HostPlaceholder = "COORDINATOR_HOST";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    private static string ReadmePath => Path.Combine(Disttrain.RepositoryRoot, "README.md");

    [Fact]
    public void Every_command_in_the_readme_is_run_here_or_checked_elsewhere()
    {
        var commands = ReadmeCommands.From(File.ReadAllText(ReadmePath));
        Assert.True(commands.Count >= 10, $"only {commands.Count} commands found: is the README's layout still indented code?");
        var unknown = commands.Where(c => Classify(c) == Kind.Unknown).ToList();
        Assert.True(unknown.Count == 0, "README commands this test neither runs nor knows to be checked elsewhere:\n" + string.Join('\n', unknown));

        // The compose lines are what deploy/compose-e2e.sh runs (as part of .ci/run).
        var e2e = File.ReadAllText(Path.Combine(Disttrain.RepositoryRoot, "deploy", "compose-e2e.sh"));
        foreach (var compose in commands.Where(c => Classify(c) == Kind.Compose))
        {
            if (compose.Contains("--scale worker=5", StringComparison.Ordinal))
            {
                Assert.Contains("--scale worker=5", e2e);
            }
            if (compose.Contains("DISTTRAIN_UID", StringComparison.Ordinal))
            {
                Assert.Contains("DISTTRAIN_UID=", e2e);
            }
        }
        Assert.True(File.Exists(Path.Combine(Disttrain.RepositoryRoot, ".ci", "run")));
    }

    [Fact]
    public async Task The_readmes_disttrain_commands_run_as_shown()
    {
        var data = await Disttrain.DataDirAsync();
        var bin = Disttrain.TempDir("readme-bin");
        var apphost = Path.Combine(Path.GetDirectoryName(Disttrain.Dll)!, "disttrain");
        Assert.True(File.Exists(apphost), $"the README's executable {apphost} was not built");
        File.CreateSymbolicLink(Path.Combine(bin, "disttrain"), apphost);
        var outDir = Disttrain.TempDir("readme-out");
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            // Configuration, which every command line shown overrides where it says otherwise:
            // one epoch unless the line names its own, outputs and data where the test wants them.
            ["Training__Epochs"] = "1",
            ["Training__Out"] = outDir,
            ["Training__DataDir"] = data,
            ["TOKEN"] = Convert.ToHexString(Guid.NewGuid().ToByteArray()),
        };

        var commands = ReadmeCommands.From(File.ReadAllText(ReadmePath)).Where(c => Classify(c) == Kind.Run).ToList();
        Assert.NotEmpty(commands);
        var group = new List<string>();
        foreach (var command in commands)
        {
            // A coordinator starts a group: its workers and health checks run beside it.
            if (command.Contains("disttrain coordinator", StringComparison.Ordinal) && group.Count > 0)
            {
                await RunGroupAsync(group, environment);
                group.Clear();
            }
            if (group.Count > 0 || command.Contains("disttrain coordinator", StringComparison.Ordinal))
            {
                group.Add(command);
                continue;
            }
            var (exit, output) = await RunAsync(command, environment);
            Assert.True(exit == 0, $"README command failed (exit {exit}): {command}\n{output}");
        }
        if (group.Count > 0)
        {
            await RunGroupAsync(group, environment);
        }
    }

    /// <summary>A coordinator, as many of the worker lines as it waits for, and the health line once it serves.</summary>
    private static async Task RunGroupAsync(List<string> group, Dictionary<string, string> environment)
    {
        var coordinatorLine = group[0];
        var minWorkers = MinWorkers().Match(coordinatorLine) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 1;
        var outputs = new StringBuilder();
        var processes = new List<Process>();
        try
        {
            var coordinator = Start(coordinatorLine, environment, outputs, "coordinator");
            processes.Add(coordinator);
            foreach (var line in group.Skip(1).Where(l => l.Contains("disttrain worker", StringComparison.Ordinal)))
            {
                for (var i = 0; i < minWorkers; i++)
                {
                    processes.Add(Start(line, environment, outputs, $"worker {i + 1}"));
                }
            }
            foreach (var health in group.Skip(1).Where(l => l.Contains("disttrain health", StringComparison.Ordinal)))
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                int exit;
                string output;
                do
                {
                    (exit, output) = await RunAsync(health, environment);
                }
                while (exit != 0 && !coordinator.HasExited && DateTime.UtcNow < deadline && await Delay());
                Assert.True(exit == 0, $"README command failed (exit {exit}) while the coordinator ran: {health}\n{output}\n{outputs}");
            }
            foreach (var other in group.Skip(1).Where(l => !l.Contains("disttrain worker", StringComparison.Ordinal) && !l.Contains("disttrain health", StringComparison.Ordinal)))
            {
                Assert.Fail($"a README line beside a coordinator that this test does not know how to run: {other}");
            }
            using var cts = new CancellationTokenSource(CommandTimeout);
            await coordinator.WaitForExitAsync(cts.Token);
            Assert.True(coordinator.ExitCode == 0, $"README command failed (exit {coordinator.ExitCode}): {coordinatorLine}\n{outputs}");
            foreach (var worker in processes.Skip(1))
            {
                await worker.WaitForExitAsync(cts.Token);
                Assert.True(worker.ExitCode == 0, $"a worker started as the README shows exited {worker.ExitCode}\n{outputs}");
            }
        }
        finally
        {
            foreach (var p in processes.Where(p => !p.HasExited))
            {
                p.Kill(entireProcessTree: true);
            }
            foreach (var p in processes)
            {
                p.Dispose();
            }
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(500);
        return true;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, Dictionary<string, string> environment)
    {
        var output = new StringBuilder();
        using var process = Start(command, environment, output, prefix: null);
        return await Disttrain.WaitForExitAsync(process, output, CommandTimeout, $"README command `{command}`");
    }

    /// <summary>The line in bash from the repository's root, as a user would type it.</summary>
    private static Process Start(string command, Dictionary<string, string> environment, StringBuilder output, string? prefix)
    {
        var lead = prefix is null ? "" : $"[{prefix}] ";
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Disttrain.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        // exec: the process the test waits for, and kills, is disttrain itself.
        info.ArgumentList.Add("exec " + command.Replace(HostPlaceholder, "127.0.0.1", StringComparison.Ordinal));
        foreach (var (k, v) in environment)
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

    private enum Kind
    {
        Unknown,
        Run,       // run by this test
        CiItself,  // `bash .ci/run` is what runs this test
        Compose,   // run by deploy/compose-e2e.sh in CI
    }

    private static Kind Classify(string command) => command switch
    {
        "bash .ci/run" => Kind.CiItself,
        _ when command.StartsWith("disttrain ", StringComparison.Ordinal)
            || command.StartsWith("dotnet run --project src/DistTrain.Cli -c Release -- ", StringComparison.Ordinal)
            || command.StartsWith("src/DistTrain.Cli/bin/Release/net10.0/disttrain ", StringComparison.Ordinal) => Kind.Run,
        _ when ComposeLine().IsMatch(command) => Kind.Compose,
        _ => Kind.Unknown,
    };

    [GeneratedRegex(@"--min-workers (\d+)")]
    private static partial Regex MinWorkers();

    [GeneratedRegex(@"^([A-Z_]+=(\$\([^)]*\)|\S+) )*docker compose ")]
    private static partial Regex ComposeLine();
}

/// <summary>The command lines of a Markdown file: lines indented by four spaces, outside fenced blocks.</summary>
internal static class ReadmeCommands
{
    public static List<string> From(string markdown)
    {
        var commands = new List<string>();
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }
            if (!fenced && line.StartsWith("    ", StringComparison.Ordinal) && line.Trim().Length > 0)
            {
                commands.Add(line.Trim());
            }
        }
        return commands;
    }
}

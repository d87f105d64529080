using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DistTrain.EndToEnd.Tests;

/// <summary>Help and error messages of the real executable: what a new user reads first.</summary>
public class CommandLineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("train", "[default: 1]")]
    [InlineData("run", "[default: --workers]")]
    [InlineData("coordinator", "[default: --min-workers]")]
    public async Task Shards_help_shows_one_default_and_it_is_the_commands(string command, string expected)
    {
        var (exit, help) = await Disttrain.RunAsync([command, "--help"], Timeout);
        Assert.Equal(0, exit);
        var line = Assert.Single(help.Split('\n'), l => l.TrimStart().StartsWith("--shards", StringComparison.Ordinal));
        Assert.Equal(1, Occurrences(line, "default"));
        Assert.Contains(expected, line);
    }

    [Theory]
    [InlineData("train", "shards=1 ")]
    [InlineData("coordinator", "shards=3 ")]
    public async Task The_shards_default_shown_in_help_is_the_one_used(string command, string expected)
    {
        var data = await Disttrain.DataDirAsync();
        string[] args = command == "train"
            ? ["train", "--data-dir", data, "--out", Disttrain.TempDir("shards")]
            : ["coordinator", "--min-workers", "3", "--listen", $"http://127.0.0.1:{FreePort()}", "--data-dir", data, "--out", Disttrain.TempDir("shards")];
        var log = new StringBuilder();
        using var process = Disttrain.Start(args, log);
        try
        {
            // Both log the configuration they run with as they start.
            await WaitFor(log, "network=784-", TimeSpan.FromMinutes(1));
            lock (log)
            {
                Assert.Contains(expected, log.ToString());
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Theory]
    [InlineData("--lr", "abc", "'abc' is not a number")]
    [InlineData("--epochs", "2.5", "'2.5' is not a whole number")]
    [InlineData("--resume", "yes", "'yes' is not true or false")]
    public async Task A_value_of_the_wrong_kind_is_described_in_words(string option, string value, string expected)
    {
        var (exit, output) = await Disttrain.RunAsync(["train", option, value], Timeout);
        Assert.Equal(2, exit);
        Assert.Contains($"{option}: {expected}", output);
        Assert.DoesNotContain("System.", output);
        Assert.Single(ErrorLines(output));
    }

    [Fact]
    public async Task Help_documents_the_exit_codes()
    {
        var (exit, help) = await Disttrain.RunAsync(["--help"], Timeout);
        Assert.Equal(0, exit);
        Assert.Contains("Exit codes: 0", help);
        Assert.Contains("2 bad input", help);
        Assert.Contains("4 nothing answered", help);
    }

    [Fact]
    public async Task Health_of_an_address_where_nothing_answers_exits_4_not_the_bad_input_code()
    {
        var (exit, output) = await Disttrain.RunAsync(["health", "--address", $"http://127.0.0.1:{FreePort()}", "--timeout", "2"], Timeout);
        Assert.Equal(4, exit);
        Assert.Contains("UNREACHABLE", output);
    }

    [Theory]
    [InlineData("health", "--address", "foo")]
    [InlineData("health", "--address", "127.0.0.1:50051")]
    [InlineData("worker", "--coordinator", "coordinator:50051")]
    [InlineData("coordinator", "--listen", "foo")]
    [InlineData("coordinator", "--listen", "http://example.com:50051")]
    [InlineData("worker", "--listen", "http://127.0.0.1")]
    public async Task A_bad_address_says_what_is_wrong_and_exits_2(string command, string option, string address)
    {
        string[] args = command == "worker" && option == "--listen"
            ? [command, "--coordinator", "http://127.0.0.1:50051", option, address]
            : [command, option, address];
        var (exit, output) = await Disttrain.RunAsync(args, Timeout);
        Assert.Equal(2, exit);
        var error = Assert.Single(ErrorLines(output));
        Assert.Contains($"{option}: '", error);
        Assert.Contains("e.g.", error);
        Assert.DoesNotContain("(Parameter", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("worker")]
    public async Task A_port_already_in_use_is_one_line_without_a_stack_trace(string command)
    {
        var data = await Disttrain.DataDirAsync();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)holder.LocalEndpoint).Port}";
        string[] args = command == "coordinator"
            ? ["coordinator", "--listen", address, "--data-dir", data, "--out", Disttrain.TempDir("port")]
            : ["worker", "--coordinator", "http://127.0.0.1:1", "--listen", address];

        var (exit, output) = await Disttrain.RunAsync(args, Timeout);

        Assert.Equal(2, exit);
        var error = Assert.Single(ErrorLines(output));
        Assert.Contains(address, error);
        Assert.Contains("--listen", error);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Exception", output);
    }

    [Theory]
    [InlineData(new[] { "trian" }, "unknown command 'trian'; did you mean 'train'?")]
    [InlineData(new[] { "fetchdata", "--data-dir", "x" }, "did you mean 'fetch-data'?")]
    [InlineData(new string[0], "no command given")]
    public async Task A_missing_or_unknown_command_prints_one_error(string[] args, string expected)
    {
        var (exit, output) = await Disttrain.RunAsync(args, Timeout);
        Assert.Equal(2, exit);
        Assert.Contains(expected, Assert.Single(ErrorLines(output)));
    }

    [Theory]
    [InlineData("train", "--epoch 3", "did you mean '--epochs'?")]
    [InlineData("train", "--batch 64", "did you mean '--batch-size'?")]
    [InlineData("run", "--wrokers 2", "did you mean '--workers'?")]
    [InlineData("worker", "--coordinater http://127.0.0.1:1", "did you mean '--coordinator'?")]
    [InlineData("train", "--colour red", "'disttrain train --help' lists the options")]
    public async Task An_unknown_option_gets_one_error_with_a_suggestion(string command, string options, string expected)
    {
        var (exit, output) = await Disttrain.RunAsync([command, .. options.Split(' ')], Timeout);
        Assert.Equal(2, exit);
        Assert.Contains(expected, Assert.Single(ErrorLines(output)));
    }

    private static List<string> ErrorLines(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal))];

    private static int Occurrences(string text, string word)
    {
        var count = 0;
        for (var i = text.IndexOf(word, StringComparison.Ordinal); i >= 0; i = text.IndexOf(word, i + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static async Task WaitFor(StringBuilder log, string text, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (log)
            {
                if (log.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
                if (clock.Elapsed > limit)
                {
                    throw new TimeoutException($"'{text}' not logged within {limit}:\n{log}");
                }
            }
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

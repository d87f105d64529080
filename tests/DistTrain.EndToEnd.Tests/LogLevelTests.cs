namespace DistTrain.EndToEnd.Tests;

/// <summary>Log levels are set the way .NET users set them: Logging__LogLevel__* in the environment or appsettings.json.</summary>
public sealed class LogLevelTests
{
    [Fact]
    public async Task Logging_log_level_in_the_environment_silences_information_lines()
    {
        var data = await Disttrain.DataDirAsync();
        var (exit, chatty) = await Disttrain.RunAsync(["fetch-data", "--data-dir", data], TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, chatty);
        Assert.Contains(" info fetch-data:", chatty, StringComparison.Ordinal);

        var (quietExit, quiet) = await Disttrain.RunAsync(["fetch-data", "--data-dir", data], TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
        Assert.True(quietExit == 0, quiet);
        Assert.DoesNotContain(" info ", quiet, StringComparison.Ordinal);

        // One category back at Information, the rest quiet.
        var (_, oneCategory) = await Disttrain.RunAsync(["fetch-data", "--data-dir", data], TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning", ["Logging__LogLevel__fetch-data"] = "Information" });
        Assert.Contains(" info fetch-data:", oneCategory, StringComparison.Ordinal);
    }
}

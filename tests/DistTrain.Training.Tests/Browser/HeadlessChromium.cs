using System.Diagnostics;

namespace DistTrain.Training.Tests.Browser;

/// <summary>
/// Debian's Chromium, run headless as a separate process for each page: dumps the DOM after the
/// page's scripts ran, or takes a screenshot. Each run gets a fresh profile and no network.
/// </summary>
internal static class HeadlessChromium
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome"];

    public static string ExecutablePath { get; } = Find();

    /// <summary>The page's DOM once it has loaded and its scripts have run.</summary>
    public static Task<string> DumpDomAsync(string page) => RunAsync(["--dump-dom", new Uri(page).AbsoluteUri]);

    /// <summary>A PNG of the page's top-left <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static async Task ScreenshotAsync(string page, string png, int width, int height)
    {
        File.Delete(png);
        await RunAsync([$"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", new Uri(page).AbsoluteUri]);
        Assert.True(File.Exists(png), $"chromium wrote no screenshot to {png}");
    }

    private static async Task<string> RunAsync(string[] arguments)
    {
        var profile = Directory.CreateTempSubdirectory("disttrain-chromium-").FullName;
        try
        {
            var info = new ProcessStartInfo(ExecutablePath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--no-default-browser-check", $"--user-data-dir={profile}", .. arguments])
            {
                info.ArgumentList.Add(argument);
            }
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium {string.Join(' ', arguments)} ran for more than a minute:\n{await errors}");
            }
            Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}:\n{await errors}");
            return await output;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    private static string Find()
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in Names)
            {
                var path = Path.Combine(folder, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        throw new InvalidOperationException("No Chromium found on PATH (chromium, chromium-browser or google-chrome): install it, e.g. apt-get install chromium (.ci/run does).");
    }
}

using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace DistTrain.EndToEnd.Tests;

/// <summary>
/// The dashboard of a real `run --workers 2` in a real browser: Debian's chromium, driven by
/// Playwright through its executable path (nothing is downloaded). Screenshots go to TestResults/.
/// </summary>
public partial class DashboardBrowserTests
{
    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private static string ChromiumPath() =>
        new[] { Environment.GetEnvironmentVariable("DISTTRAIN_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
        ?? throw new InvalidOperationException("chromium not found: install Debian's chromium (apt-get install chromium; .ci/run does) or set DISTTRAIN_CHROMIUM");

    [Fact]
    public async Task The_dashboard_shows_a_live_run_with_curves_workers_and_changing_numbers()
    {
        var data = await Disttrain.DataDirAsync();
        var output = new StringBuilder();
        // Batch 32: four times the iterations per epoch, so the run lasts long enough to watch.
        using var run = Disttrain.Start(["run", "--workers", "2", "--data-dir", data, "--epochs", "4", "--batch-size", "32", "--out", Disttrain.TempDir("dashboard")], output);
        try
        {
            var address = await WaitForDashboardLine(output, TimeSpan.FromMinutes(1));
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath(), Headless = true, Args = ChromiumArgs });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 1100 } });
            await page.GotoAsync(address);
            Assert.Equal("DistTrain", await page.TitleAsync());

            // Both workers listed once they have joined.
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#workers tbody tr').length === 2", null, new() { Timeout = 120_000 });
            Assert.Equal(["worker-1", "worker-2"], (await page.Locator("#workers tbody tr td:first-child").AllTextContentsAsync()).Order());

            // The numbers move while it trains.
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent === 'training' && document.getElementById('iteration').textContent !== '0 / 1875'", null, new() { Timeout = 120_000 });
            var before = await Figures(page);
            await page.WaitForTimeoutAsync(2500);
            var after = await Figures(page);
            Assert.NotEqual(before, after);

            // Curves of at least two epochs, still training.
            await page.WaitForFunctionAsync("() => Number(document.getElementById('loss-chart').dataset.epochs) >= 2", null, new() { Timeout = 240_000 });
            Assert.True(await page.Locator("#loss-chart circle.epoch-point.test").CountAsync() >= 2);
            Assert.True(await page.Locator("#accuracy-chart circle.epoch-point.test").CountAsync() >= 2);
            Assert.True(await page.Locator("#loss-chart polyline.running").CountAsync() >= 2);
            Assert.True(await page.Locator("#epochs tbody tr").CountAsync() >= 2);
            var shards = await page.Locator("#workers tbody tr td:nth-child(3)").AllTextContentsAsync();
            Assert.All(shards, s => Assert.True(long.Parse(s.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) > 0, s));
            Assert.Matches(@"^\d+(\.\d+)? / \d+(\.\d+)? ms$", await page.Locator("#workers tbody tr:first-child td:nth-child(5)").TextContentAsync());
            Assert.Equal("mnist", await page.Locator("#configuration dt:text-is('dataset') + dd").TextContentAsync());
            // A little into the next epoch, so the picture shows its running loss too.
            await page.WaitForFunctionAsync("() => ['finished', 'stopped', 'offline'].includes(document.getElementById('status').textContent) || parseInt(document.getElementById('iteration').textContent) > 400", null, new() { Timeout = 120_000 });
            await page.WaitForTimeoutAsync(1100);
            await page.ScreenshotAsync(new() { Path = ScreenshotPath("dashboard.png"), FullPage = true });

            // A phone-sized window: nothing wider than the screen but the tables' own scroll boxes.
            await page.SetViewportSizeAsync(390, 844);
            await page.WaitForTimeoutAsync(1200);
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways on a phone-sized window");
            await page.ScreenshotAsync(new() { Path = ScreenshotPath("dashboard-phone.png"), FullPage = true });

            await run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, output.ToString());
        }
        finally
        {
            if (!run.HasExited)
            {
                run.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> Figures(IPage page) =>
        string.Join('|', await page.Locator("#iteration").TextContentAsync(), await page.Locator("#percent").TextContentAsync(),
            await page.Locator("#workers tbody").TextContentAsync());

    private static async Task<string> WaitForDashboardLine(StringBuilder output, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            lock (output)
            {
                if (DashboardLine().Match(output.ToString()) is { Success: true } m)
                {
                    return m.Groups[1].Value;
                }
            }
            await Task.Delay(100);
        }
        lock (output)
        {
            throw new TimeoutException($"run printed no dashboard address within {limit}:\n{output}");
        }
    }

    /// <summary>TestResults/ at the repository root (CI keeps it as an artifact).</summary>
    private static string ScreenshotPath(string name)
    {
        var folder = Path.Combine(Disttrain.RepositoryRoot, "TestResults");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    // The coordinator's own line, written once its web host listens (run's "Dashboard: URL" comes
    // before the coordinator has started, and a browser that fast is refused).
    [GeneratedRegex(@"Dashboard on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex DashboardLine();
}

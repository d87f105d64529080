using System.Xml.Linq;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Outputs;
using DistTrain.Training.Tests.Browser;

namespace DistTrain.Training.Tests;

/// <summary>
/// learning-curves.svg rendered in a real headless Chromium: no text may leave the canvas,
/// overlap other text or lie on the data, and the two panels must line up. A screenshot of the
/// default run's chart is kept under TestResults/learning-curves/ for people to look at.
/// </summary>
public sealed class LearningCurveBrowserTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("disttrain-chart-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // The shape of a default 10-epoch MNIST run: train loss falling fast, test loss flattening and rising slightly.
    private static readonly EpochMetrics[] TenEpochs =
    [
        new(1, 0.2631, 0.9212, 0.1287, 0.9603, 1.9, 31400), new(2, 0.1024, 0.9689, 0.0941, 0.9711, 1.8, 33000),
        new(3, 0.0702, 0.9784, 0.0822, 0.9748, 1.8, 33200), new(4, 0.0519, 0.9838, 0.0758, 0.9771, 1.8, 33100),
        new(5, 0.0398, 0.9875, 0.0739, 0.9784, 1.8, 33300), new(6, 0.0307, 0.9904, 0.0712, 0.9799, 1.8, 33000),
        new(7, 0.0241, 0.9926, 0.0731, 0.9801, 1.8, 33400), new(8, 0.0186, 0.9944, 0.0745, 0.9807, 1.8, 33100),
        new(9, 0.0149, 0.9957, 0.0760, 0.9812, 1.8, 33200), new(10, 0.0118, 0.9968, 0.0772, 0.9821, 1.8, 33300),
    ];

    private static string DefaultConfiguration => TrainingConfiguration.From(new TrainingOptions()).Describe();

    private static IEnumerable<(string Name, string Svg)> Charts()
    {
        yield return ("default run, 10 epochs", LearningCurveSvg.Render(TenEpochs, DefaultConfiguration));
        yield return ("one epoch", LearningCurveSvg.Render(TenEpochs[..1], DefaultConfiguration));
        var longConfiguration = TrainingConfiguration.From(new TrainingOptions
        {
            Hidden = "4096,2048,1024,800,800,512,256,128,64,32", Epochs = 40, Optimizer = "adam", LrSchedule = "cosine",
            Activation = "leaky-relu", WeightDecay = 0.0005f, Lr = 0.001f, Shards = 16, BatchSize = 1024, Dataset = "fashion-mnist",
        }).Describe();
        yield return ("40 epochs, long configuration", LearningCurveSvg.Render(
            [.. Enumerable.Range(1, 40).Select(e => new EpochMetrics(e, 1.0 / e, 1 - 0.3 / e, 1.1 / e + 0.002 * e, 1 - 0.35 / e, 2, 30000))],
            longConfiguration));
        yield return ("perfect fit: loss 0, accuracy 1", LearningCurveSvg.Render(
            [new(1, 0.05, 0.99, 0.04, 0.995, 1, 1), new(2, 0.0, 1.0, 0.0, 1.0, 1, 1), new(3, 0.0, 1.0, 0.0, 1.0, 1, 1)], DefaultConfiguration));
        yield return ("diverged", LearningCurveSvg.Render(
            [new(1, 2.3, 0.11, 2.31, 0.1, 1, 1), new(2, 1234567.0, 0.098, double.NaN, 0.098, 1, 1), new(3, double.NaN, 0.098, double.NaN, 0.098, 1, 1)],
            DefaultConfiguration));
    }

    [Fact]
    public async Task No_text_overflows_the_canvas_overlaps_other_text_or_lies_on_the_data()
    {
        var charts = Charts().ToList();
        foreach (var (name, svg) in charts)
        {
            XDocument.Parse(svg); // well-formed XML, as a file viewer needs
            Assert.False(string.IsNullOrEmpty(name));
        }

        var figures = await TextLayoutCheck.MeasureAsync(charts, folder);

        Assert.Equal(charts.Count, figures.Count);
        foreach (var figure in figures)
        {
            Assert.True(figure.Problems.Count == 0, $"{figure.Name}:\n  {string.Join("\n  ", figure.Problems)}");
            Assert.True(figure.Texts > 20, $"{figure.Name}: only {figure.Texts} text elements rendered");
            // Both panels line up: same top, height and width.
            Assert.Equal(2, figure.Plots.Count);
            Assert.Equal(figure.Plots[0].Top, figure.Plots[1].Top, 0.5);
            Assert.Equal(figure.Plots[0].Height, figure.Plots[1].Height, 0.5);
            Assert.Equal(figure.Plots[0].Width, figure.Plots[1].Width, 0.5);
            // No empty strip: the last line of text ends near the bottom edge.
            Assert.True(figure.Height - figure.LowestText < 24, $"{figure.Name}: {figure.Height - figure.LowestText:0} px empty below the last text");
        }
    }

    [Fact]
    public async Task The_check_fails_for_text_that_overflows_or_overlaps()
    {
        const string broken = """
            <svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" font-family="sans-serif" font-size="12">
            <rect class="plot-area" x="150" y="10" width="100" height="60" fill="none"/>
            <text x="250" y="50">this runs past the right edge</text>
            <text x="10" y="90">first label</text><text x="30" y="92">second label</text>
            <text x="160" y="40">on the data</text>
            </svg>
            """;

        var figure = Assert.Single(await TextLayoutCheck.MeasureAsync([("broken", broken)], folder));

        Assert.Contains(figure.Problems, p => p.Contains("'this runs past the right edge' overflows the canvas", StringComparison.Ordinal));
        Assert.Contains(figure.Problems, p => p.Contains("'first label' overlaps 'second label'", StringComparison.Ordinal));
        Assert.Contains(figure.Problems, p => p.Contains("'on the data' lies on the data", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_screenshot_of_the_default_runs_chart_is_kept_as_an_artifact()
    {
        var svg = LearningCurveSvg.Render(TenEpochs, DefaultConfiguration);
        var size = XDocument.Parse(svg).Root!;
        var width = (int)double.Parse(size.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var height = (int)double.Parse(size.Attribute("height")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        var artifacts = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), "TestResults", "learning-curves")).FullName;
        var svgPath = Path.Combine(artifacts, LearningCurveSvg.FileName);
        await File.WriteAllTextAsync(svgPath, svg);
        var page = Path.Combine(folder, "chart.html");
        await File.WriteAllTextAsync(page, $"<!DOCTYPE html><html><body style=\"margin:0\">{svg}</body></html>");
        var png = Path.Combine(artifacts, "learning-curves.png");

        await HeadlessChromium.ScreenshotAsync(page, png, width, height);

        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 10_000, $"{png} is only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        // PNG header: width and height, big-endian, at bytes 16-23.
        Assert.Equal(width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    private static string RepositoryRoot()
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

using System.Globalization;
using System.Text;
using DistTrain.Training.Loop;
using DistTrain.Training.Outputs.Charts;

namespace DistTrain.Training.Outputs;

/// <summary>
/// learning-curves.svg: loss and accuracy (train and test) against epoch, two aligned panels
/// with round ticks, gridlines and axis titles, a legend above the data and the run's
/// configuration as a wrapped caption. Written directly: no plotting library restores here.
/// </summary>
/// <remarks>
/// Layout, top to bottom: title and legend; panel titles; the two plot areas side by side; epoch
/// ticks and axis title; the caption. The height follows the caption, so there is no empty strip.
/// </remarks>
public static class LearningCurveSvg
{
    public const string FileName = "learning-curves.svg";

    private const int Width = 960;
    private const int Pad = 16;
    private const int Gutter = 72;      // y-axis title and tick labels, left of each plot
    private const int PanelGap = 40;
    private const int PlotWidth = (Width - 2 * Pad - PanelGap - 2 * Gutter) / 2;
    private const int PlotTop = 92;
    private const int PlotHeight = 250;
    private const int PlotBottom = PlotTop + PlotHeight;
    private const double CaptionFont = 11;
    private const double CaptionLine = 16;
    private const string TrainColor = "#1f77b4";
    private const string TestColor = "#d95f02";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="rows">The epochs so far, in order.</param>
    /// <param name="configuration">The run's configuration in one line (wrapped into the caption).</param>
    public static string Render(IReadOnlyList<EpochMetrics> rows, string configuration)
    {
        var caption = TextLayout.Wrap("Configuration: " + configuration, CaptionFont, Width - 2 * Pad);
        var captionTop = PlotBottom + 64;
        var height = (int)Math.Ceiling(captionTop + (caption.Count - 1) * CaptionLine + 12);

        var b = new StringBuilder();
        b.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" fill=\"#222\">\n");
        b.Append(Inv, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n");
        Header(b, rows);

        var epochs = new EpochAxis(rows.Count > 0 ? rows[0].Epoch : 1, rows.Count > 0 ? rows[^1].Epoch : 1);
        var lossScale = AxisScale.Covering(rows.SelectMany(r => new[] { r.TrainLoss, r.TestLoss }), 0, double.PositiveInfinity);
        var accuracyScale = AxisScale.Covering(rows.SelectMany(r => new[] { r.TrainAccuracy, r.TestAccuracy }), 0, 1);
        Panel(b, Pad + Gutter, "Loss", "loss per sample", epochs, lossScale, lossScale.Label, rows, r => r.TrainLoss, r => r.TestLoss);
        Panel(b, Pad + Gutter + PlotWidth + PanelGap + Gutter, "Accuracy", "accuracy", epochs, accuracyScale, accuracyScale.PercentLabel, rows,
            r => r.TrainAccuracy, r => r.TestAccuracy);

        for (var i = 0; i < caption.Count; i++)
        {
            b.Append(Inv, $"<text x=\"{Pad}\" y=\"{captionTop + i * CaptionLine:0.#}\" font-size=\"{CaptionFont:0.#}\" fill=\"#555\">{Escape(caption[i])}</text>\n");
        }
        b.Append("</svg>\n");
        return b.ToString();
    }

    /// <summary>Title and the final result on the left, the legend on the right.</summary>
    private static void Header(StringBuilder b, IReadOnlyList<EpochMetrics> rows)
    {
        b.Append(Inv, $"<text x=\"{Pad}\" y=\"30\" font-size=\"17\" font-weight=\"bold\">Learning curves</text>\n");
        var result = rows.Count == 0
            ? "no epoch finished yet"
            : string.Create(Inv, $"after epoch {rows[^1].Epoch}: test accuracy {Finite(rows[^1].TestAccuracy * 100, "0.00")}%, test loss {Finite(rows[^1].TestLoss, "0.0000")}");
        b.Append(Inv, $"<text x=\"{Pad}\" y=\"52\" font-size=\"12\" fill=\"#444\">{Escape(result)}</text>\n");

        // Stacked at the top right, left-aligned on the widest (generously estimated) label.
        (string Label, string Color, string Dash)[] entries =
            [("train (mean over the epoch)", TrainColor, "6 4"), ("test (at the end of the epoch)", TestColor, "")];
        var left = Width - Pad - 30 - entries.Max(e => TextLayout.Width(e.Label, 12));
        for (var i = 0; i < entries.Length; i++)
        {
            var (label, color, dash) = entries[i];
            var y = 26 + 20 * i;
            b.Append(Inv, $"<line x1=\"{left:0.#}\" y1=\"{y - 4}\" x2=\"{left + 24:0.#}\" y2=\"{y - 4}\" stroke=\"{color}\" stroke-width=\"2\"{DashAttribute(dash)}/>\n");
            b.Append(Inv, $"<circle cx=\"{left + 12:0.#}\" cy=\"{y - 4}\" r=\"3\" fill=\"{color}\"/>\n");
            b.Append(Inv, $"<text x=\"{left + 30:0.#}\" y=\"{y}\">{Escape(label)}</text>\n");
        }
    }

    private static void Panel(StringBuilder b, int left, string title, string axisTitle, EpochAxis epochs, AxisScale scale, Func<double, string> label,
        IReadOnlyList<EpochMetrics> rows, Func<EpochMetrics, double> train, Func<EpochMetrics, double> test)
    {
        // A few pixels inside the frame, so points on the first and last epoch are not cut by it.
        const double inset = 10;
        double X(int epoch) => left + inset + epochs.Fraction(epoch) * (PlotWidth - 2 * inset);
        double Y(double value) => PlotBottom - scale.Fraction(value) * PlotHeight;

        b.Append(Inv, $"<text x=\"{left}\" y=\"{PlotTop - 10}\" font-size=\"13\" font-weight=\"bold\">{title}</text>\n");
        b.Append(Inv, $"<rect class=\"plot-area\" x=\"{left}\" y=\"{PlotTop}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"none\"/>\n");
        foreach (var tick in scale.Ticks)
        {
            b.Append(Inv, $"<line x1=\"{left}\" y1=\"{Y(tick):0.#}\" x2=\"{left + PlotWidth}\" y2=\"{Y(tick):0.#}\" stroke=\"#e3e3e3\"/>\n");
            b.Append(Inv, $"<text x=\"{left - 7}\" y=\"{Y(tick) + 4:0.#}\" text-anchor=\"end\" font-size=\"11\">{label(tick)}</text>\n");
        }
        foreach (var epoch in epochs.Ticks)
        {
            b.Append(Inv, $"<line x1=\"{X(epoch):0.#}\" y1=\"{PlotTop}\" x2=\"{X(epoch):0.#}\" y2=\"{PlotBottom}\" stroke=\"#e3e3e3\"/>\n");
            b.Append(Inv, $"<text x=\"{X(epoch):0.#}\" y=\"{PlotBottom + 17}\" text-anchor=\"middle\" font-size=\"11\">{epoch}</text>\n");
        }
        b.Append(Inv, $"<rect x=\"{left}\" y=\"{PlotTop}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#999\"/>\n");
        b.Append(Inv, $"<text x=\"{left + PlotWidth / 2}\" y=\"{PlotBottom + 36}\" text-anchor=\"middle\">epoch</text>\n");
        var middle = PlotTop + PlotHeight / 2;
        b.Append(Inv, $"<text x=\"{left - Gutter + 14}\" y=\"{middle}\" text-anchor=\"middle\" transform=\"rotate(-90 {left - Gutter + 14} {middle})\">{axisTitle}</text>\n");

        Series(b, rows, train, TrainColor, "6 4", X, Y);
        Series(b, rows, test, TestColor, "", X, Y);
    }

    /// <summary>A line through the finite values (broken where a value is not finite) with a marker on each.</summary>
    private static void Series(StringBuilder b, IReadOnlyList<EpochMetrics> rows, Func<EpochMetrics, double> value, string color, string dash,
        Func<int, double> x, Func<double, double> y)
    {
        var segment = new List<string>();
        void Flush()
        {
            if (segment.Count > 1)
            {
                b.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{DashAttribute(dash)} points=\"{string.Join(' ', segment)}\"/>\n");
            }
            segment.Clear();
        }
        foreach (var row in rows)
        {
            if (!double.IsFinite(value(row)))
            {
                Flush();
                continue;
            }
            segment.Add(string.Create(Inv, $"{x(row.Epoch):0.#},{y(value(row)):0.#}"));
        }
        Flush();
        foreach (var row in rows.Where(r => double.IsFinite(value(r))))
        {
            b.Append(Inv, $"<circle cx=\"{x(row.Epoch):0.#}\" cy=\"{y(value(row)):0.#}\" r=\"3\" fill=\"{color}\"/>\n");
        }
    }

    private static string Finite(double value, string format) => double.IsFinite(value) ? value.ToString(format, Inv) : "not finite (diverged)";

    private static string DashAttribute(string dash) => dash.Length == 0 ? "" : $" stroke-dasharray=\"{dash}\"";

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}

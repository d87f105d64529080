using System.Globalization;
using System.Text;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Outputs;

/// <summary>
/// learning-curves.svg: loss (train and test) and accuracy (train and test) against epoch, two
/// panels side by side. Written directly: no plotting library restores here.
/// </summary>
public static class LearningCurveSvg
{
    public const string FileName = "learning-curves.svg";
    private const int PanelWidth = 420;
    private const int PanelHeight = 300;
    private const int Margin = 50;

    public static string Render(IReadOnlyList<EpochMetrics> rows, string title)
    {
        var b = new StringBuilder();
        var width = 2 * PanelWidth + 3 * Margin;
        var height = PanelHeight + 2 * Margin + 30;
        b.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        b.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        b.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n");
        Panel(b, Margin, Margin, "loss", rows, [("train", "#1f77b4", m => m.TrainLoss), ("test", "#d62728", m => m.TestLoss)]);
        Panel(b, 2 * Margin + PanelWidth, Margin, "accuracy", rows, [("train", "#1f77b4", m => m.TrainAccuracy), ("test", "#d62728", m => m.TestAccuracy)]);
        b.Append("</svg>\n");
        return b.ToString();
    }

    private static void Panel(StringBuilder b, int left, int top, string label, IReadOnlyList<EpochMetrics> rows, (string Name, string Color, Func<EpochMetrics, double> Value)[] series)
    {
        var inv = CultureInfo.InvariantCulture;
        var values = rows.SelectMany(r => series.Select(s => s.Value(r))).Where(double.IsFinite).ToList();
        var low = values.Count > 0 ? values.Min() : 0;
        var high = values.Count > 0 ? values.Max() : 1;
        if (high - low < 1e-9)
        {
            high = low + 1;
        }
        var pad = (high - low) * 0.05;
        low -= pad;
        high += pad;
        var lastEpoch = rows.Count > 0 ? rows[^1].Epoch : 1;
        var firstEpoch = rows.Count > 0 ? rows[0].Epoch : 0;
        var span = Math.Max(1, lastEpoch - firstEpoch);
        double X(int epoch) => left + (epoch - firstEpoch) * (double)PanelWidth / span;
        double Y(double v) => top + PanelHeight - (v - low) / (high - low) * PanelHeight;

        b.Append(inv, $"<rect x=\"{left}\" y=\"{top}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#888\"/>\n");
        for (int i = 0; i <= 4; i++)
        {
            var v = low + (high - low) * i / 4;
            b.Append(inv, $"<text x=\"{left - 4}\" y=\"{Y(v) + 4:0.#}\" text-anchor=\"end\">{v:0.####}</text>\n");
        }
        foreach (var r in rows)
        {
            b.Append(inv, $"<text x=\"{X(r.Epoch):0.#}\" y=\"{top + PanelHeight + 16}\" text-anchor=\"middle\">{r.Epoch}</text>\n");
        }
        b.Append(inv, $"<text x=\"{left + PanelWidth / 2}\" y=\"{top + PanelHeight + 34}\" text-anchor=\"middle\">epoch</text>\n");
        b.Append(inv, $"<text x=\"{left + PanelWidth / 2}\" y=\"{top - 8}\" text-anchor=\"middle\" font-weight=\"bold\">{label}</text>\n");
        for (int s = 0; s < series.Length; s++)
        {
            var (name, color, value) = series[s];
            var points = string.Join(' ', rows.Where(r => double.IsFinite(value(r))).Select(r => string.Create(inv, $"{X(r.Epoch):0.#},{Y(value(r)):0.#}")));
            b.Append(inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points}\"/>\n");
            foreach (var r in rows.Where(r => double.IsFinite(value(r))))
            {
                b.Append(inv, $"<circle cx=\"{X(r.Epoch):0.#}\" cy=\"{Y(value(r)):0.#}\" r=\"3\" fill=\"{color}\"/>\n");
            }
            b.Append(inv, $"<text x=\"{left + PanelWidth - 60}\" y=\"{top + 18 + 16 * s}\" fill=\"{color}\">{name} {label}</text>\n");
        }
    }

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}

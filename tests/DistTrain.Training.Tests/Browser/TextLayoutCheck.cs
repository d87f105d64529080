using System.Net;
using System.Text;
using System.Text.Json;

namespace DistTrain.Training.Tests.Browser;

/// <summary>
/// Renders SVGs in a real browser and measures every text element there: its box (after
/// transforms such as a rotated axis title) must lie inside the canvas, overlap no other text
/// and no element of class "plot-area" (the data).
/// </summary>
internal static class TextLayoutCheck
{
    // Runs in the page; writes one JSON result per SVG into #result.
    private const string Script = """
        const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
                               && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
        const box = r => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom });
        const results = [];
        for (const figure of document.querySelectorAll('figure')) {
          const svg = figure.querySelector('svg');
          const canvas = svg.getBoundingClientRect();
          const texts = [...svg.querySelectorAll('text')].map(t => ({ text: t.textContent, r: t.getBoundingClientRect() }));
          const plots = [...svg.querySelectorAll('.plot-area')].map(p => p.getBoundingClientRect());
          const problems = [];
          for (const t of texts) {
            if (!(t.r.width > 0 && t.r.height > 0)) problems.push(`'${t.text}' is not rendered`);
            if (t.r.left < canvas.left - 0.5 || t.r.right > canvas.right + 0.5 || t.r.top < canvas.top - 0.5 || t.r.bottom > canvas.bottom + 0.5)
              problems.push(`'${t.text}' overflows the canvas`);
            if (plots.some(p => overlap(t.r, p))) problems.push(`'${t.text}' lies on the data`);
          }
          for (let i = 0; i < texts.length; i++)
            for (let j = i + 1; j < texts.length; j++)
              if (overlap(texts[i].r, texts[j].r)) problems.push(`'${texts[i].text}' overlaps '${texts[j].text}'`);
          results.push({
            name: figure.dataset.name, width: canvas.width, height: canvas.height, texts: texts.length,
            lowestText: Math.max(...texts.map(t => t.r.bottom)) - canvas.top,
            plots: plots.map(p => ({ left: p.left - canvas.left, top: p.top - canvas.top, width: p.width, height: p.height })),
            problems });
        }
        document.getElementById('result').textContent = JSON.stringify(results);
        """;

    public static async Task<IReadOnlyList<Figure>> MeasureAsync(IReadOnlyList<(string Name, string Svg)> figures, string folder)
    {
        var page = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:0} figure{margin:0 0 20px 0}</style></head><body>\n");
        foreach (var (name, svg) in figures)
        {
            page.Append("<figure data-name=\"").Append(WebUtility.HtmlEncode(name)).Append("\">").Append(svg).Append("</figure>\n");
        }
        page.Append("<pre id=\"result\"></pre>\n<script>").Append(Script).Append("</script></body></html>\n");
        var path = Path.Combine(folder, "text-layout-check.html");
        await File.WriteAllTextAsync(path, page.ToString());

        var dom = await HeadlessChromium.DumpDomAsync(path);
        var start = dom.IndexOf("<pre id=\"result\">", StringComparison.Ordinal);
        var end = dom.IndexOf("</pre>", start + 1, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"the page produced no result:\n{dom[..Math.Min(dom.Length, 2000)]}");
        var json = WebUtility.HtmlDecode(dom[(start + "<pre id=\"result\">".Length)..end]);
        return JsonSerializer.Deserialize<List<Figure>>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new InvalidDataException("empty result");
    }

    /// <summary>What the browser measured for one SVG; sizes in CSS pixels.</summary>
    public sealed record Figure(string Name, double Width, double Height, int Texts, double LowestText, List<PlotArea> Plots, List<string> Problems);

    public sealed record PlotArea(double Left, double Top, double Width, double Height);
}

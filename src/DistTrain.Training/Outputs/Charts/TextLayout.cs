namespace DistTrain.Training.Outputs.Charts;

/// <summary>
/// Text sizes for a chart written without a renderer at hand. Widths are estimated generously
/// (wide sans-serif fonts such as DejaVu Sans average about 0.55 em per character), so text
/// laid out with them fits in any common font; a browser test checks the result.
/// </summary>
public static class TextLayout
{
    private const double EmPerCharacter = 0.62;

    public static double Width(string text, double fontSize) => text.Length * fontSize * EmPerCharacter;

    /// <summary>Splits <paramref name="text"/> at spaces into lines no wider than <paramref name="width"/>.</summary>
    public static IReadOnlyList<string> Wrap(string text, double fontSize, double width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries).SelectMany(w => Pieces(w, fontSize, width)))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && Width(candidate, fontSize) > width)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = candidate;
            }
        }
        if (line.Length > 0)
        {
            lines.Add(line);
        }
        return lines;
    }

    /// <summary>A word too wide for a line, cut into pieces that fit (a word that fits is its own piece).</summary>
    private static IEnumerable<string> Pieces(string word, double fontSize, double width)
    {
        var perLine = Math.Max(1, (int)(width / (fontSize * EmPerCharacter)));
        for (var start = 0; start < word.Length; start += perLine)
        {
            yield return word.Substring(start, Math.Min(perLine, word.Length - start));
        }
    }
}

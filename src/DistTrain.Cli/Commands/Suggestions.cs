namespace DistTrain.Cli.Commands;

/// <summary>"Did you mean": the known name closest to a misspelt one, when one is close enough.</summary>
public static class Suggestions
{
    /// <summary>The closest of <paramref name="known"/> to <paramref name="typed"/>, or null when none is plausibly meant.</summary>
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        var word = typed.TrimStart('-').ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var candidate = name.TrimStart('-').ToLowerInvariant();
            // A typo costs an edit or two; a cut-off name ("--batch" for "--batch-size") is a prefix.
            var distance = word.Length >= 3 && candidate.StartsWith(word, StringComparison.Ordinal) ? 1 : Distance(word, candidate);
            if (distance < bestDistance && distance <= Math.Max(2, candidate.Length / 4))
            {
                best = name;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>Edits (insert, delete, replace, swap of neighbours) that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}

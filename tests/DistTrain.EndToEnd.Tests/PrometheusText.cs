using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DistTrain.EndToEnd.Tests;

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4: # HELP and # TYPE lines, then
/// the family's samples, name{label="value",...} value. Anything else (a bad name, an unquoted or
/// badly escaped label, a sample before its TYPE or away from its family, a histogram whose buckets
/// are unordered, not cumulative or disagree with _count) throws, naming the line.
/// </summary>
internal static partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public sealed record Family(string Name, string Type, string Help, List<Sample> Samples);

    public static Dictionary<string, Family> Parse(string text)
    {
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        Family? current = null;
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            string Where() => $"line {lineNumber}: '{line}'";
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE")
                {
                    var name = parts[2];
                    Require(MetricName().IsMatch(name), $"bad metric name, {Where()}");
                    if (parts[1] == "TYPE")
                    {
                        var type = parts.Length == 4 ? parts[3] : "";
                        Require(type is "counter" or "gauge" or "histogram" or "summary" or "untyped", $"unknown type, {Where()}");
                        Require(!families.ContainsKey(name) || families[name].Samples.Count == 0, $"TYPE after samples, {Where()}");
                        current = families.TryGetValue(name, out var f) ? f with { Type = type } : new Family(name, type, "", []);
                        families[name] = current;
                    }
                    else
                    {
                        current = families.TryGetValue(name, out var f) ? f with { Help = parts.Length == 4 ? parts[3] : "" } : new Family(name, "untyped", parts.Length == 4 ? parts[3] : "", []);
                        families[name] = current;
                    }
                }
                continue;
            }
            var sample = ParseSample(line, Where);
            Require(current is not null && BelongsTo(sample.Name, current), $"sample outside its family (declared {current?.Name}), {Where()}");
            current!.Samples.Add(sample);
        }
        foreach (var family in families.Values.Where(f => f.Type == "histogram"))
        {
            CheckHistogram(family);
        }
        return families;
    }

    /// <summary>The sum of a family's samples named <paramref name="sample"/> (the family's name by default) whose labels include <paramref name="labels"/>.</summary>
    public static double Sum(this Dictionary<string, Family> families, string family, string? sample = null, params (string Key, string Value)[] labels)
    {
        Assert.True(families.TryGetValue(family, out var f), $"no metric family {family} in: {string.Join(", ", families.Keys.Order())}");
        return f!.Samples.Where(s => s.Name == (sample ?? family) && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);
    }

    private static bool BelongsTo(string sample, Family family) =>
        sample == family.Name || (family.Type is "histogram" or "summary" && (sample == family.Name + "_bucket" || sample == family.Name + "_sum" || sample == family.Name + "_count"));

    private static Sample ParseSample(string line, Func<string> where)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }
        var name = line[..i];
        Require(MetricName().IsMatch(name), $"bad sample name, {where()}");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                Require(eq > i, $"label without '=', {where()}");
                var key = line[i..eq];
                Require(LabelName().IsMatch(key), $"bad label name '{key}', {where()}");
                Require(eq + 1 < line.Length && line[eq + 1] == '"', $"unquoted label value, {where()}");
                var value = new StringBuilder();
                var j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        Require(j < line.Length && line[j] is '\\' or '"' or 'n', $"bad escape in label value, {where()}");
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }
                Require(j < line.Length, $"unterminated label value, {where()}");
                Require(labels.TryAdd(key, value.ToString()), $"label {key} twice, {where()}");
                i = j + 1;
                Require(i < line.Length && line[i] is ',' or '}', $"expected ',' or '}}' after a label, {where()}");
                if (line[i] == ',')
                {
                    i++;
                }
            }
            i++;
        }
        Require(i < line.Length && line[i] == ' ', $"no value, {where()}");
        var fields = line[(i + 1)..].Split(' ');
        Require(fields.Length is 1 or 2, $"expected a value and an optional timestamp, {where()}");
        var number = fields[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw new FormatException($"bad value, {where()}"),
        };
        if (fields.Length == 2)
        {
            Require(long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), $"bad timestamp, {where()}");
        }
        return new Sample(name, labels, number);
    }

    private static void CheckHistogram(Family family)
    {
        var series = family.Samples.GroupBy(s => string.Join(',', s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
        foreach (var group in series)
        {
            var buckets = group.Where(s => s.Name == family.Name + "_bucket").Select(s => (Le: ParseLe(s), s.Value)).ToList();
            Require(buckets.Count >= 2, $"{family.Name}{{{group.Key}}}: fewer than two buckets");
            Require(buckets.Zip(buckets.Skip(1)).All(p => p.First.Le < p.Second.Le && p.First.Value <= p.Second.Value), $"{family.Name}{{{group.Key}}}: buckets not ascending and cumulative");
            Require(double.IsPositiveInfinity(buckets[^1].Le), $"{family.Name}{{{group.Key}}}: no +Inf bucket");
            var count = group.SingleOrDefault(s => s.Name == family.Name + "_count") ?? throw new FormatException($"{family.Name}{{{group.Key}}}: no _count");
            Require(group.Any(s => s.Name == family.Name + "_sum"), $"{family.Name}{{{group.Key}}}: no _sum");
            Require(count.Value == buckets[^1].Value, $"{family.Name}{{{group.Key}}}: _count {count.Value} is not the +Inf bucket {buckets[^1].Value}");
        }
    }

    private static double ParseLe(Sample bucket)
    {
        Require(bucket.Labels.TryGetValue("le", out var le), $"{bucket.Name}: a bucket without le");
        return le == "+Inf" ? double.PositiveInfinity : double.Parse(le!, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new FormatException($"not Prometheus text format: {problem}");
        }
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();
}

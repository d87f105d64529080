using System.Reflection;

namespace DistTrain.Dashboard;

/// <summary>The page's files, embedded in this assembly (wwwroot/), with their content types.</summary>
internal static class DashboardAssets
{
    public static readonly IReadOnlyDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
    };

    public static byte[] Read(string file)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream($"dashboard/{file}")
            ?? throw new InvalidOperationException($"the dashboard file {file} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

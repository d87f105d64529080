using System.Text.Json;
using System.Text.Json.Serialization;
using DistTrain.Training.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DistTrain.Dashboard;

/// <summary>The dashboard's endpoints: the page and its files, the run as JSON (/api/run), and /metrics.</summary>
public static class DashboardEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (file, contentType) in DashboardAssets.ContentTypes)
        {
            var bytes = DashboardAssets.Read(file);
            endpoints.MapGet(file == "index.html" ? "/" : $"/{file}", () => Results.Bytes(bytes, contentType));
        }
        endpoints.MapGet("/api/run", (RunState state) => Results.Json(state.Snapshot(), Json));
        return endpoints.MapMetrics();
    }

    /// <summary>/metrics in Prometheus text format (needs <see cref="DashboardServices.AddMetricsExport"/>).</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        return endpoints;
    }

    /// <summary>The meter factory of a host built with these services, for the instruments.</summary>
    public static System.Diagnostics.Metrics.IMeterFactory MeterFactory(this IServiceProvider services) =>
        services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
}

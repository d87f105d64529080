using DistTrain.Training.Observability;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace DistTrain.Dashboard;

/// <summary>
/// Registration of the dashboard's and the metrics' services, for any ASP.NET Core host (the
/// dashboard's own, or one that also serves gRPC).
/// </summary>
public static class DashboardServices
{
    /// <summary>The run state the page shows, and the metrics export (<see cref="AddMetricsExport"/>).</summary>
    public static IServiceCollection AddDashboard(this IServiceCollection services, RunState state)
    {
        services.AddSingleton(state);
        return services.AddMetricsExport();
    }

    /// <summary>
    /// OpenTelemetry's meter provider with the "DistTrain" meter, the runtime's and ASP.NET Core's
    /// meters, exported in Prometheus text format by <see cref="DashboardEndpoints.MapMetrics"/>.
    /// </summary>
    public static IServiceCollection AddMetricsExport(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(TrainingMetrics.MeterName)
            .AddRuntimeInstrumentation()
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        return services;
    }
}

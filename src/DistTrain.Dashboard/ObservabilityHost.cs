using System.Net;
using DistTrain.Training.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistTrain.Dashboard;

/// <summary>
/// A small Kestrel host (HTTP/1.1) on its own port for the dashboard or /metrics alone, logging
/// through the command's logger factory.
/// </summary>
public sealed class ObservabilityHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private ObservabilityHost(WebApplication app, string address)
    {
        this.app = app;
        Address = address;
    }

    /// <summary>The address it listens on, with the real port when 0 was asked for.</summary>
    public string Address { get; }

    public IServiceProvider Services => app.Services;

    /// <summary>Starts listening on <paramref name="url"/> (http://HOST:PORT); the option's name goes into any error.</summary>
    public static async Task<ObservabilityHost> StartAsync(string option, string url, ILoggerFactory loggers,
        Action<IServiceCollection> addServices, Action<WebApplication> mapEndpoints, CancellationToken cancellationToken)
    {
        CheckUrl(option, url);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.WebHost.UseUrls(url);
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggers);
        addServices(builder.Services);
        var app = builder.Build();
        app.UseRouting();
        mapEndpoints(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new OptionsException($"{option}: cannot listen on {url}: {e.Message}");
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? url;
        return new ObservabilityHost(app, address.Replace("[::]", IPAddress.Loopback.ToString(), StringComparison.Ordinal));
    }

    /// <summary>Throws, naming <paramref name="option"/>, unless <paramref name="url"/> is http://HOST:PORT.</summary>
    public static void CheckUrl(string option, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
        {
            throw new OptionsException($"{option}: '{url}' is not an http://HOST:PORT address, e.g. {option} http://127.0.0.1:8080");
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await app.StopAsync(grace.Token);
        await app.DisposeAsync();
    }
}

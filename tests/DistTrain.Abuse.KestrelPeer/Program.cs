using DistTrain.Abuse.KestrelPeer;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// Usage: DistTrain.Abuse.KestrelPeer --listen http://127.0.0.1:PORT (cleartext HTTP/2, Kestrel's defaults).
var builder = WebApplication.CreateBuilder(args);
// As the ASP.NET Core templates configure production: no log line per request.
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseUrls(builder.Configuration["listen"] ?? "http://127.0.0.1:50061");
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc();
builder.Services.AddSingleton<HealthServiceImpl>();

var app = builder.Build();
app.Services.GetRequiredService<HealthServiceImpl>().SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
app.MapGrpcService<HealthServiceImpl>();
app.MapGrpcService<TrainerStandIn>();
app.Run();

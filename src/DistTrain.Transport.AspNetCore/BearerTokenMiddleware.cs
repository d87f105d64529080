using System.Globalization;
using DistTrain.Transport.Hosting;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// The bearer token, checked before routing so callers without it cannot probe which methods
/// exist; refused calls get a trailers-only UNAUTHENTICATED, as the engine answers. The token
/// is removed from the request, so handlers never see it.
/// </summary>
internal static class BearerTokenMiddleware
{
    public static Func<HttpContext, RequestDelegate, Task> Create(BearerTokenCheck check) => (context, next) =>
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var authorization = context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization[0] : null;
        if (!check.Admits(path, authorization))
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)StatusCode.Unauthenticated).ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = BearerTokenCheck.Refusal;
            return Task.CompletedTask;
        }
        context.Request.Headers.Remove(BearerTokenCheck.HeaderName);
        return next(context);
    };
}

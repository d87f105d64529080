using Grpc.Core;
using DistTrain.Transport.Http2.Wire;

namespace DistTrain.Transport.Tests;

public sealed class WireFormatTests
{
    [Theory]
    [InlineData("2H", 2 * TimeSpan.TicksPerHour)]
    [InlineData("3M", 3 * TimeSpan.TicksPerMinute)]
    [InlineData("10S", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("250m", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1500u", 1500 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("1000n", 10)]
    [InlineData("1n", 1)]
    [InlineData("99999999H", 99_999_999 * TimeSpan.TicksPerHour)]
    public void Timeout_parses_every_unit(string text, long expectedTicks)
    {
        Assert.True(GrpcTimeout.TryParse(text, out var timeout));
        Assert.Equal(expectedTicks, timeout.Ticks);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    [InlineData("123456789S")]
    [InlineData(" 1S")]
    public void Timeout_rejects_malformed_values(string? text) =>
        Assert.False(GrpcTimeout.TryParse(text, out _));

    [Theory]
    [InlineData(5L, "500n")]
    [InlineData(999_999L, "99999900n")]
    [InlineData(1_000_000L, "100000u")]
    [InlineData(TimeSpan.TicksPerSecond * 30, "30000000u")]
    [InlineData(TimeSpan.TicksPerMinute * 5, "300000m")]
    [InlineData(TimeSpan.TicksPerDay * 3, "259200S")]
    [InlineData(TimeSpan.TicksPerDay * 3650, "5256000M")]
    public void Timeout_formats_with_the_finest_unit_that_fits(long ticks, string expected) =>
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void Timeout_format_rounds_up_and_round_trips_within_one_unit()
    {
        var random = new Random(11);
        for (var i = 0; i < 1000; i++)
        {
            var timeout = TimeSpan.FromTicks((long)(Math.Pow(10, random.NextDouble() * 15) + 1));
            var text = GrpcTimeout.Format(timeout);
            Assert.InRange(text.Length, 2, 9);
            Assert.True(GrpcTimeout.TryParse(text, out var parsed), text);
            Assert.True(parsed >= timeout, $"{timeout} became {text}");
            // A unit is only coarsened when the finer one needs more than 8 digits, i.e. the
            // value is at least 10^5 of the coarser unit: rounding costs at most 10^-5.
            Assert.True(parsed - timeout <= (timeout / 100_000) + TimeSpan.FromTicks(1), $"{timeout} became {text}");
        }
        Assert.Equal("1n", GrpcTimeout.Format(TimeSpan.Zero));
        Assert.Equal("1n", GrpcTimeout.Format(TimeSpan.FromSeconds(-3)));
        Assert.Equal("99999999H", GrpcTimeout.Format(TimeSpan.MaxValue));
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("50% off", "50%25 off")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("größe", "gr%C3%B6%C3%9Fe")]
    public void Status_message_is_percent_encoded_utf8(string message, string encoded)
    {
        Assert.Equal(encoded, StatusMessageEncoding.Encode(message));
        Assert.Equal(message, StatusMessageEncoding.Decode(encoded));
    }

    [Theory]
    [InlineData("100%", "100%")]
    [InlineData("%zz", "%zz")]
    [InlineData("%4", "%4")]
    public void Status_message_keeps_malformed_escapes(string encoded, string decoded) =>
        Assert.Equal(decoded, StatusMessageEncoding.Decode(encoded));

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("APPLICATION/GRPC", true)]
    [InlineData("application/grpc; charset=binary", true)]
    [InlineData("application/grpc+json", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void Content_type_check(string? contentType, bool isGrpc) =>
        Assert.Equal(isGrpc, GrpcHeaders.IsGrpcContentType(contentType));

    [Fact]
    public void Frame_header_round_trip_and_limits()
    {
        Span<byte> header = stackalloc byte[MessageFrame.HeaderSize];
        MessageFrame.WriteHeader(header, 0x01020304);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, header.ToArray());
        Assert.Equal(0x01020304, MessageFrame.ReadLength(header, int.MaxValue));
        Assert.Equal(StatusCode.ResourceExhausted, Assert.Throws<RpcException>(() => MessageFrame.ReadLength(new byte[] { 0, 1, 2, 3, 4 }, 0x01020303)).StatusCode);
        Assert.Equal(StatusCode.Internal, Assert.Throws<RpcException>(() => MessageFrame.ReadLength(new byte[] { 1, 0, 0, 0, 1 }, 10)).StatusCode);
        Assert.Equal(StatusCode.Internal, Assert.Throws<RpcException>(() => MessageFrame.ReadLength(new byte[] { 2, 0, 0, 0, 1 }, 10)).StatusCode);
    }

    [Fact]
    public void Http_and_http2_errors_map_to_the_documented_statuses()
    {
        Assert.Equal(StatusCode.Internal, HttpStatusMapping.ToStatusCode(System.Net.HttpStatusCode.BadRequest));
        Assert.Equal(StatusCode.Unauthenticated, HttpStatusMapping.ToStatusCode(System.Net.HttpStatusCode.Unauthorized));
        Assert.Equal(StatusCode.PermissionDenied, HttpStatusMapping.ToStatusCode(System.Net.HttpStatusCode.Forbidden));
        Assert.Equal(StatusCode.Unimplemented, HttpStatusMapping.ToStatusCode(System.Net.HttpStatusCode.NotFound));
        Assert.Equal(StatusCode.Unavailable, HttpStatusMapping.ToStatusCode(System.Net.HttpStatusCode.ServiceUnavailable));
        Assert.Equal(StatusCode.Unknown, HttpStatusMapping.ToStatusCode(System.Net.HttpStatusCode.UnsupportedMediaType));
        Assert.Equal(StatusCode.Cancelled, HttpStatusMapping.FromHttp2ErrorCode(0x8));
        Assert.Equal(StatusCode.Unavailable, HttpStatusMapping.FromHttp2ErrorCode(0x7));
        Assert.Equal(StatusCode.Internal, HttpStatusMapping.FromHttp2ErrorCode(0x2));
    }
}

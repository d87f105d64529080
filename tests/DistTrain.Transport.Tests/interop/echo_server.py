"""Independent gRPC server (grpcio) for the interop tests: Echo, health, Trainer.Join, an
optional bearer-token check, and message size limits. Prints "PORT <n>" once listening and
serves until its standard input closes.
"""
import argparse
import sys
import time
from concurrent import futures

import grpc

import echo_pb2
import health_pb2
import training_pb2


def reversed_reply(request, sequence, context):
    text = request.text[::-1]
    tags = [value for key, value in context.invocation_metadata() if key == "x-tag"]
    if tags:
        text += "|tag=" + tags[0]
    return echo_pb2.EchoReply(text=text, payload=request.payload[::-1], sequence=sequence)


def echo_unary(request, context):
    if request.text == "remaining":
        remaining = context.time_remaining()
        return echo_pb2.EchoReply(text="%.3f" % (remaining if remaining is not None else -1))
    if request.text == "fail":
        context.abort(grpc.StatusCode.FAILED_PRECONDITION, "asked to fail")
    if request.text.startswith("big:"):
        return echo_pb2.EchoReply(text="big", payload=bytes(int(request.text[4:])))
    return reversed_reply(request, 0, context)


def echo_chat(requests, context):
    sequence = 0
    for request in requests:
        sequence += 1
        yield reversed_reply(request, sequence, context)


def echo_sleep(request, context):
    until = time.monotonic() + request.millis / 1000.0
    while time.monotonic() < until and context.is_active():
        time.sleep(0.01)
    return echo_pb2.EchoReply(text="slept")


def health_check(request, context):
    if request.service == "":
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
    context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")


def trainer_join(requests, context):
    for message in requests:
        if message.WhichOneof("kind") == "join":
            yield training_pb2.CoordinatorMessage(accepted=training_pb2.JoinAccepted(
                worker_id="py-" + message.join.worker_name,
                model=training_pb2.ModelSpec(layer_sizes=[784, 32, 10], activation=training_pb2.ACTIVATION_RELU, loss=training_pb2.LOSS_CROSS_ENTROPY),
                wire_precision=training_pb2.WIRE_PRECISION_FP32,
                heartbeat_interval_ms=1000))
        elif message.WhichOneof("kind") == "result":
            # The gradient comes back as weights, bytes reversed, version + 1: both tensor messages cross.
            yield training_pb2.CoordinatorMessage(weights=training_pb2.WeightsBroadcast(
                version=message.result.version + 1, precision=message.result.precision,
                parameters=message.result.gradient[::-1]))
        elif message.WhichOneof("kind") == "leave":
            return


def handlers(functions):
    return {name: kind(fn, request_deserializer=req.FromString, response_serializer=lambda m: m.SerializeToString())
            for name, (kind, fn, req) in functions.items()}


class TokenCheck(grpc.ServerInterceptor):
    def __init__(self, token):
        self._expected = "Bearer " + token

    def intercept_service(self, continuation, details):
        handler = continuation(details)
        if handler is None or details.method.startswith("/grpc.health.v1.Health/"):
            return handler
        if dict(details.invocation_metadata).get("authorization") == self._expected:
            return handler

        def deny(request_or_iterator, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad token")

        if handler.request_streaming and handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(deny)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(deny)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(deny)
        return grpc.unary_unary_rpc_method_handler(deny)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--token")
    parser.add_argument("--max-message", type=int, default=4 * 1024 * 1024)
    parser.add_argument("--cert", help="PEM certificate: serve TLS (with --key)")
    parser.add_argument("--key", help="PEM private key of --cert")
    args = parser.parse_args()

    interceptors = [TokenCheck(args.token)] if args.token else []
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", args.max_message),
            ("grpc.max_send_message_length", args.max_message),
        ],
    )
    echo = handlers({
        "Unary": (grpc.unary_unary_rpc_method_handler, echo_unary, echo_pb2.EchoRequest),
        "Chat": (grpc.stream_stream_rpc_method_handler, echo_chat, echo_pb2.EchoRequest),
        "Sleep": (grpc.unary_unary_rpc_method_handler, echo_sleep, echo_pb2.SleepRequest),
    })
    health = handlers({"Check": (grpc.unary_unary_rpc_method_handler, health_check, health_pb2.HealthCheckRequest)})
    trainer = handlers({"Join": (grpc.stream_stream_rpc_method_handler, trainer_join, training_pb2.WorkerMessage)})
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("disttrain.testing.Echo", echo),
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", health),
        grpc.method_handlers_generic_handler("disttrain.v1.Trainer", trainer),
    ))
    if args.cert:
        with open(args.key, "rb") as key, open(args.cert, "rb") as cert:
            credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
        port = server.add_secure_port("127.0.0.1:0", credentials)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("PORT %d" % port)
    sys.stdout.flush()
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()

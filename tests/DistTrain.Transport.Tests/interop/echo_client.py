"""Independent gRPC client (grpcio) for the interop tests.

Runs one scenario against a server and prints one JSON line: {"code": <status name>, ...}.
The Python stubs (echo_pb2, health_pb2, training_pb2) are compiled from the repository's
protos at test time and found through PYTHONPATH.
"""
import argparse
import hashlib
import json
import sys

import grpc

import echo_pb2
import health_pb2
import training_pb2

ECHO = "/disttrain.testing.Echo/"


def unary(channel, method, request, response_type, metadata, timeout=10):
    call = channel.unary_unary(
        method,
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString,
    )
    return call(request, metadata=metadata, timeout=timeout)


def run(channel, args, metadata):
    if args.scenario == "unary":
        reply = unary(channel, ECHO + "Unary", echo_pb2.EchoRequest(text=args.text, payload=bytes.fromhex(args.payload_hex)), echo_pb2.EchoReply, metadata)
        return {"text": reply.text, "payload_hex": reply.payload.hex()}
    if args.scenario == "large":
        payload = bytes(i * 7 % 251 for i in range(args.size))
        reply = unary(channel, ECHO + "Unary", echo_pb2.EchoRequest(text="large", payload=payload), echo_pb2.EchoReply, metadata)
        return {"payload_sha256": hashlib.sha256(reply.payload).hexdigest(), "payload_size": len(reply.payload)}
    if args.scenario == "chat":
        chat = channel.stream_stream(
            ECHO + "Chat",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=echo_pb2.EchoReply.FromString,
        )
        requests = (echo_pb2.EchoRequest(text="m%d" % i, payload=bytes([i] * (i + 1))) for i in range(args.count))
        replies = [{"text": r.text, "sequence": r.sequence, "payload_hex": r.payload.hex()} for r in chat(requests, metadata=metadata, timeout=10)]
        return {"replies": replies}
    if args.scenario == "health":
        reply = unary(channel, "/grpc.health.v1.Health/Check", health_pb2.HealthCheckRequest(service=args.service), health_pb2.HealthCheckResponse, metadata)
        return {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}
    if args.scenario == "unimplemented":
        unary(channel, ECHO + "NoSuchMethod", echo_pb2.EchoRequest(text="x"), echo_pb2.EchoReply, metadata)
        return {}
    if args.scenario == "sleep":
        reply = unary(channel, ECHO + "Sleep", echo_pb2.SleepRequest(millis=args.millis), echo_pb2.EchoReply, metadata, timeout=args.timeout)
        return {"text": reply.text}
    if args.scenario == "join":
        join = channel.stream_stream(
            "/disttrain.v1.Trainer/Join",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=training_pb2.CoordinatorMessage.FromString,
        )
        first = training_pb2.WorkerMessage(join=training_pb2.JoinRequest(worker_name=args.text, protocol_version=1, threads=2))
        replies = list(join(iter([first]), metadata=metadata, timeout=10))
        accepted = replies[0].accepted
        return {
            "kind": replies[0].WhichOneof("kind"),
            "worker_id": accepted.worker_id,
            "layer_sizes": list(accepted.model.layer_sizes),
        }
    raise SystemExit("unknown scenario " + args.scenario)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--token")
    parser.add_argument("--ca", help="PEM root to trust; makes the channel TLS")
    parser.add_argument("--server-name", default="localhost")
    parser.add_argument("--text", default="interop")
    parser.add_argument("--payload-hex", default="")
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--service", default="")
    parser.add_argument("--millis", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--max-message", type=int, default=64 * 1024 * 1024)
    args = parser.parse_args()

    options = [
        ("grpc.max_receive_message_length", args.max_message),
        ("grpc.max_send_message_length", args.max_message),
    ]
    if args.ca:
        with open(args.ca, "rb") as f:
            credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
        options.append(("grpc.ssl_target_name_override", args.server_name))
        channel = grpc.secure_channel(args.target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(args.target, options=options)
    metadata = [("authorization", "Bearer " + args.token)] if args.token is not None else []
    metadata.append(("x-tag", "from-python"))

    try:
        result = run(channel, args, metadata)
        result["code"] = "OK"
    except grpc.RpcError as error:
        result = {"code": error.code().name, "details": error.details() or ""}
    finally:
        channel.close()
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""gRPC over HTTP/2 as the attacks speak it: request header blocks and length-prefixed messages."""
import struct

import hpack

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
TRAINER_JOIN = "/disttrain.v1.Trainer/Join"
UNKNOWN_METHOD = "/disttrain.v1.NoSuchService/NoSuchMethod"

# A grpc.health.v1.HealthCheckRequest for the whole server (service "") is the empty message.
EMPTY_MESSAGE = b""


def request_headers(authority, path, content_type="application/grpc"):
    return [
        (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", authority),
        ("content-type", content_type), ("te", "trailers"), ("user-agent", "disttrain-abuse-suite"),
    ]


def encode_request(encoder, authority, path, content_type="application/grpc"):
    """One request header block from the connection's own HPACK encoder (its table must stay in step)."""
    return encoder.encode(request_headers(authority, path, content_type))


def new_encoder():
    return hpack.Encoder()


def message(payload, declared_length=None, compressed=False):
    """A length-prefixed gRPC message; declared_length may lie about the payload that follows."""
    length = len(payload) if declared_length is None else declared_length
    return struct.pack(">BI", 1 if compressed else 0, length) + payload

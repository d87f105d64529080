"""HTTP/2 frames (RFC 9113 section 6) encoded by hand, for attacks a conforming library refuses to send."""
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
FRAME_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
               "WINDOW_UPDATE", "CONTINUATION"]

END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8

HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, MAX_HEADER_LIST_SIZE = range(1, 7)
DEFAULT_MAX_FRAME_SIZE = 16384
DEFAULT_WINDOW = 65535
LARGEST_WINDOW = 2**31 - 1

ERROR_NAMES = {
    0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 4: "SETTINGS_TIMEOUT",
    5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR",
    10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED",
}
CANCEL = 8


def error_name(code):
    return ERROR_NAMES.get(code, f"0x{code:x}")


def frame_header(kind, flags, stream_id, length):
    """The 9-byte frame header alone: the declared length need not match what follows."""
    return struct.pack(">I", length)[1:] + bytes((kind, flags)) + struct.pack(">I", stream_id & 0x7FFFFFFF)


def frame(kind, flags, stream_id, payload=b""):
    return frame_header(kind, flags, stream_id, len(payload)) + payload


def settings(pairs=()):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", key, value) for key, value in pairs))


def settings_ack():
    return frame(SETTINGS, ACK, 0)


def ping(opaque=b"\0" * 8):
    return frame(PING, 0, 0, opaque)


def window_update(stream_id, increment):
    return frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment & 0x7FFFFFFF))


def rst_stream(stream_id, code=CANCEL):
    return frame(RST_STREAM, 0, stream_id, struct.pack(">I", code))


def headers(stream_id, block, end_stream=False, end_headers=True):
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    return frame(HEADERS, flags, stream_id, block)


def continuation(stream_id, block, end_headers=False):
    return frame(CONTINUATION, END_HEADERS if end_headers else 0, stream_id, block)


def data(stream_id, payload, end_stream=False):
    return frame(DATA, END_STREAM if end_stream else 0, stream_id, payload)


def header_block_frames(stream_id, block, max_frame, end_stream=False):
    """A header block cut into HEADERS and CONTINUATION frames of at most max_frame bytes each."""
    chunks = [block[i:i + max_frame] for i in range(0, len(block), max_frame)] or [b""]
    out = [headers(stream_id, chunks[0], end_stream, end_headers=len(chunks) == 1)]
    for i, chunk in enumerate(chunks[1:], start=2):
        out.append(continuation(stream_id, chunk, end_headers=i == len(chunks)))
    return b"".join(out)

"""Oversized DATA: a DATA frame longer than the server's SETTINGS_MAX_FRAME_SIZE (--mode frame-size,
expect GOAWAY FRAME_SIZE_ERROR), or DATA beyond the stream's flow-control window (--mode window,
expect FLOW_CONTROL_ERROR). Both modes alternate over new connections, --rate per second.
"""
import time

import attack
import grpc_wire
import h2frames as f


def overrun(connection, mode):
    block = grpc_wire.encode_request(grpc_wire.new_encoder(), connection.authority, grpc_wire.HEALTH_CHECK)
    if not connection.send(f.headers(1, block)):
        return
    max_frame = connection.max_frame_size()
    if mode == "frame-size":
        # The header declares one byte more than allowed; the start of the payload follows.
        connection.send(f.frame_header(f.DATA, 0, 1, max_frame + 1) + bytes(min(max_frame, 65536)), timeout=0.5)
        return
    window = (connection.settings or {}).get(f.INITIAL_WINDOW_SIZE, f.DEFAULT_WINDOW)
    # One message claiming the whole window, so a server that waits for whole messages has no
    # reason to return credit before the overrun arrives.
    body = grpc_wire.message(b"", declared_length=window) + bytes(window + 1 - 5)
    chunk = min(max_frame, 1 << 20)
    for offset in range(0, len(body), chunk):
        if not connection.usable or not connection.send(f.data(1, body[offset:offset + chunk]), timeout=0.5):
            break


def main():
    p = attack.parser(__doc__, duration=1.5, connections=0, rate=20.0, rate_help="connections per second")
    p.add_argument("--mode", choices=["both", "frame-size", "window"], default="both")
    args = p.parse_args()
    report = attack.Report("oversized-data", args)
    modes = ["frame-size", "window"] if args.mode == "both" else [args.mode]
    started = time.monotonic()
    count = 0
    while report.elapsed() < args.duration and (args.connections <= 0 or count < args.connections):
        mode = modes[count % len(modes)]
        count += 1
        connection = attack.connect(args.target, report, ack_settings=True)
        if connection is None:
            continue
        if connection.start():
            connection.wait_for_settings(timeout=1.0)
            overrun(connection, mode)
            connection.drain(wait=0.3)
        report.server[f"{mode}: {connection.reaction()}"] += 1
        connection.close()
        attack.pace(args.rate, started, count)
    report.finish()


if __name__ == "__main__":
    main()

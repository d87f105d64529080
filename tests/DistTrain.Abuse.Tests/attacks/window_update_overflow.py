"""WINDOW_UPDATE overflow: flow-control windows pushed past 2^31-1 (RFC 9113 section 6.9.1), and a
zero increment. Modes alternate over new connections, --rate per second:
connection (expect GOAWAY FLOW_CONTROL_ERROR), stream (expect RST_STREAM FLOW_CONTROL_ERROR),
settings (SETTINGS_INITIAL_WINDOW_SIZE overflowing an open stream's window: FLOW_CONTROL_ERROR),
zero (increment 0 on the connection: GOAWAY PROTOCOL_ERROR).
"""
import time

import attack
import grpc_wire
import h2frames as f

MODES = ["connection", "stream", "settings", "zero"]


def overflow(connection, mode):
    block = grpc_wire.encode_request(grpc_wire.new_encoder(), connection.authority, grpc_wire.HEALTH_CHECK)
    if mode == "connection":
        connection.send(f.window_update(0, f.LARGEST_WINDOW))
    elif mode == "zero":
        connection.send(f.window_update(0, 0))
    elif mode == "stream":
        connection.send(f.headers(1, block) + f.window_update(1, f.LARGEST_WINDOW))
    else:
        connection.send(f.headers(1, block) + f.window_update(1, f.LARGEST_WINDOW - f.DEFAULT_WINDOW)
                        + f.settings([(f.INITIAL_WINDOW_SIZE, f.LARGEST_WINDOW)]))


def main():
    p = attack.parser(__doc__, duration=1.5, connections=0, rate=40.0, rate_help="connections per second")
    args = p.parse_args()
    report = attack.Report("window-update-overflow", args)
    started = time.monotonic()
    count = 0
    while report.elapsed() < args.duration and (args.connections <= 0 or count < args.connections):
        mode = MODES[count % len(MODES)]
        count += 1
        connection = attack.connect(args.target, report, ack_settings=True)
        if connection is None:
            continue
        if connection.start():
            connection.wait_for_settings(timeout=1.0)
            overflow(connection, mode)
            connection.drain(wait=0.3)
        report.server[f"{mode}: {connection.reaction()}"] += 1
        connection.close()
        attack.pace(args.rate, started, count)
    report.finish()


if __name__ == "__main__":
    main()

"""A gRPC message whose length prefix claims 2 GB (0x7FFFFFFF) or 4 GB (0xFFFFFFFF), followed by
--payload bytes (cut to fit the server's frame size): to a health check and to Trainer.Join, over new connections, --rate per second.
A server must answer RESOURCE_EXHAUSTED (grpc-status 8) without allocating the claimed size.
"""
import time

import attack
import grpc_wire
import h2frames as f

CASES = [(grpc_wire.HEALTH_CHECK, 0x7FFFFFFF), (grpc_wire.TRAINER_JOIN, 0x7FFFFFFF), (grpc_wire.HEALTH_CHECK, 0xFFFFFFFF)]


def main():
    p = attack.parser(__doc__, duration=1.5, connections=0, rate=20.0, rate_help="connections per second")
    p.add_argument("--payload", type=int, default=16384, help="bytes sent after the prefix [16384]")
    args = p.parse_args()
    report = attack.Report("grpc-length-prefix-2gb", args)
    started = time.monotonic()
    count = 0
    while report.elapsed() < args.duration and (args.connections <= 0 or count < args.connections):
        count += 1
        connection = attack.connect(args.target, report, ack_settings=True)
        if connection is None:
            continue
        encoder = grpc_wire.new_encoder()
        if connection.start():
            payload = bytes(min(args.payload, connection.wait_for_settings(timeout=1.0).get(f.MAX_FRAME_SIZE, f.DEFAULT_MAX_FRAME_SIZE) - 5))
            for i, (path, claimed) in enumerate(CASES):
                stream_id = 1 + 2 * i
                block = grpc_wire.encode_request(encoder, connection.authority, path)
                connection.send(f.headers(stream_id, block)
                                + f.data(stream_id, grpc_wire.message(payload, declared_length=claimed)))
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline and len(connection.statuses) + len(connection.reset_streams) < len(CASES) and not connection.closed:
                connection.drain(wait=0.05)
            for i, (path, claimed) in enumerate(CASES):
                stream_id = 1 + 2 * i
                if stream_id in connection.statuses:
                    outcome = f"grpc-status {connection.statuses[stream_id]}"
                elif stream_id in connection.reset_streams:
                    outcome = "RST_STREAM"
                else:
                    outcome = connection.reaction()
                report.server[f"{path} claiming {claimed}: {outcome}"] += 1
        connection.close()
        attack.pace(args.rate, started, count)
    report.finish()


if __name__ == "__main__":
    main()

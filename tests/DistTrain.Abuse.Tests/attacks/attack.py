"""What every attack shares: its bounds on the command line, a connection that records what the
server answers, and the one JSON line of results that the harness reads.

An attack ends by itself after --duration seconds (and within its count limits); it reports what it
sent and what the server did (GOAWAY and RST_STREAM codes, grpc-status values, connections the
server closed). "violations" lists what a correct server must not do to a well-behaved client,
found by the attack itself; the harness fails the attack on any of them.
"""
import argparse
import collections
import json
import resource
import selectors
import socket
import statistics
import struct
import time

import hpack

import h2frames as f


def parser(description, duration=3.0, connections=1, rate=0.0, rate_help="per second (0 = as fast as possible)"):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--target", required=True, help="host:port of the gRPC server (cleartext HTTP/2)")
    p.add_argument("--duration", type=float, default=duration, help=f"seconds the attack lasts [{duration}]")
    p.add_argument("--connections", type=int, default=connections, help=f"connections [{connections}]")
    p.add_argument("--rate", type=float, default=rate, help=f"{rate_help} [{rate}]")
    return p


def raise_file_limit():
    """Thousands of sockets need more descriptors than the usual soft limit of 1024."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Report:
    def __init__(self, attack, args):
        self.attack = attack
        self.args = {k: v for k, v in vars(args).items() if k != "target"}
        self.started = time.monotonic()
        self.sent = collections.Counter()
        self.server = collections.Counter()
        self.server_settings = None
        self.close_ages = []
        self.notes = []
        self.violations = []

    def elapsed(self):
        return time.monotonic() - self.started

    def finish(self):
        result = {
            "attack": self.attack,
            "seconds": round(self.elapsed(), 3),
            "arguments": self.args,
            "sent": dict(self.sent),
            "server": dict(self.server),
            "server_settings": self.server_settings,
            "notes": self.notes,
            "violations": self.violations,
        }
        if self.close_ages:
            ages = sorted(self.close_ages)
            result["server_closed_after_seconds"] = {
                "count": len(ages), "first": round(ages[0], 3), "median": round(statistics.median(ages), 3),
                "last": round(ages[-1], 3)}
        print(json.dumps(result), flush=True)


class Connection:
    """One TCP connection to the server. What the server sends is read only when the attack asks
    (drain), so an attack can also leave it unread and let the server's replies back up."""

    def __init__(self, target, report, connect_timeout=5.0, ack_settings=False):
        host, port = target.rsplit(":", 1)
        self.authority = target
        self.report = report
        self.ack_settings = ack_settings
        self.sock = socket.create_connection((host, int(port)), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opened = time.monotonic()
        self.inbox = bytearray()
        self.closed = False
        self.stalled = False
        self.goaway = None
        self.settings = None
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = 1 << 20
        self.block = bytearray()
        self.statuses = {}
        self.reset_streams = set()
        self.last_reset_code = None
        self.ended_streams = set()
        report.sent["connections"] += 1

    @property
    def usable(self):
        return not self.closed and not self.stalled and self.goaway is None

    def start(self, settings=()):
        return self.send(f.PREFACE + f.settings(settings))

    def send(self, payload, timeout=2.0):
        """False when the server stopped reading (send timed out) or the connection is gone."""
        if self.closed or self.stalled:
            return False
        try:
            self.sock.settimeout(timeout)
            self.sock.sendall(payload)
            return True
        except socket.timeout:
            self.stalled = True
            self.report.sent["connections the server stopped reading"] += 1
            return False
        except OSError:
            self._ended("reset")
            return False

    def drain(self, wait=0.0):
        """Reads and parses whatever the server has sent; waits up to `wait` seconds for the first bytes."""
        if self.closed:
            return
        try:
            if wait > 0:
                self.sock.settimeout(wait)
            else:
                self.sock.setblocking(False)
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    self._ended("closed")
                    return
                self.inbox += chunk
                self._parse()
                self.sock.setblocking(False)
        except (BlockingIOError, socket.timeout):
            pass
        except OSError:
            self._ended("reset")

    def wait_for_settings(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while self.settings is None and not self.closed and time.monotonic() < deadline:
            self.drain(wait=min(0.2, max(0.01, deadline - time.monotonic())))
        return self.settings or {}

    def max_frame_size(self):
        return (self.settings or {}).get(f.MAX_FRAME_SIZE, f.DEFAULT_MAX_FRAME_SIZE)

    def reaction(self):
        """What the server did to this connection, in one phrase."""
        if self.goaway is not None:
            return f"GOAWAY {f.error_name(self.goaway)}"
        if self.last_reset_code is not None:
            return f"RST_STREAM {f.error_name(self.last_reset_code)}"
        if self.closed:
            return "closed without GOAWAY"
        return "no reaction"

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def _ended(self, how):
        if not self.closed:
            self.closed = True
            self.report.server[f"connections {how} by the server"] += 1
            self.report.close_ages.append(time.monotonic() - self.opened)
            try:
                self.sock.close()
            except OSError:
                pass

    def _parse(self):
        inbox = self.inbox
        offset = 0
        while len(inbox) - offset >= 9:
            length = int.from_bytes(inbox[offset:offset + 3], "big")
            if len(inbox) - offset < 9 + length:
                break
            kind, flags = inbox[offset + 3], inbox[offset + 4]
            stream_id = int.from_bytes(inbox[offset + 5:offset + 9], "big") & 0x7FFFFFFF
            payload = bytes(inbox[offset + 9:offset + 9 + length])
            offset += 9 + length
            self._on_frame(kind, flags, stream_id, payload)
        del inbox[:offset]

    def _on_frame(self, kind, flags, stream_id, payload):
        server = self.report.server
        if kind == f.SETTINGS and not flags & f.ACK:
            self.settings = {key: value for key, value in
                             (struct.unpack(">HI", payload[i:i + 6]) for i in range(0, len(payload), 6))}
            if self.report.server_settings is None:
                self.report.server_settings = {str(k): v for k, v in self.settings.items()}
            if self.ack_settings:
                self.send(f.settings_ack())
        elif kind == f.GOAWAY:
            self.goaway = struct.unpack(">I", payload[4:8])[0]
            server[f"GOAWAY {f.error_name(self.goaway)}"] += 1
        elif kind == f.RST_STREAM:
            server[f"RST_STREAM {f.error_name(struct.unpack('>I', payload)[0])}"] += 1
            self.reset_streams.add(stream_id)
            self.last_reset_code = struct.unpack(">I", payload)[0]
        elif kind == f.PING:
            server["PING ACK" if flags & f.ACK else "PING"] += 1
        elif kind == f.DATA:
            server["DATA bytes"] += len(payload)
            if flags & f.END_STREAM:
                self.ended_streams.add(stream_id)
        elif kind in (f.HEADERS, f.CONTINUATION):
            self._on_header_fragment(kind, flags, stream_id, payload)

    def _on_header_fragment(self, kind, flags, stream_id, payload):
        if kind == f.HEADERS:
            if flags & f.PADDED:
                payload = payload[1:len(payload) - payload[0]]
            if flags & 0x20:  # PRIORITY
                payload = payload[5:]
            self.block = bytearray(payload)
            self.block_ends_stream = bool(flags & f.END_STREAM)
        else:
            self.block += payload
        if not flags & f.END_HEADERS:
            return
        try:
            fields = self.decoder.decode(bytes(self.block), raw=True)
        except Exception:  # hpack raises several types; a server's bad block is itself a finding
            self.report.server["undecodable header blocks"] += 1
            return
        for name, value in fields:
            if name == b"grpc-status":
                status = int(value)
                self.statuses[stream_id] = status
                self.report.server[f"grpc-status {status}"] += 1
            elif name == b":status" and value != b"200":
                self.report.server[f"HTTP status {value.decode()}"] += 1
        if self.block_ends_stream:
            self.ended_streams.add(stream_id)


class Pool:
    """Many connections read through one selector: who has data, who was closed."""

    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.connections = []

    def add(self, connection):
        self.connections.append(connection)
        connection.sock.setblocking(False)
        self.selector.register(connection.sock, selectors.EVENT_READ, connection)

    def drain(self, wait=0.0):
        for key, _ in self.selector.select(timeout=wait):
            connection = key.data
            connection.drain()
            if connection.closed:
                self.selector.unregister(key.fileobj)

    def open_count(self):
        return sum(1 for c in self.connections if not c.closed)

    def close_all(self):
        for connection in self.connections:
            if not connection.closed:
                try:
                    self.selector.unregister(connection.sock)
                except (KeyError, ValueError):
                    pass
                connection.close()


def pace(rate, started, done):
    """Sleeps so that `done` events since `started` keep to `rate` per second (0 = no pacing)."""
    if rate > 0:
        ahead = done / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)


def connect(target, report, **kwargs):
    """A new connection, or None (counted) when the server does not accept one."""
    try:
        return Connection(target, report, **kwargs)
    except OSError as error:
        report.sent[f"connects refused or timed out ({type(error).__name__})"] += 1
        return None

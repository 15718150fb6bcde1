#!/usr/bin/env python3
"""Opens N FastCGI connections that each complete one request with FCGI_KEEP_CONN and then stay open, idle.

    benchmarks/fcgi-idle-connections.py --connect 127.0.0.1:9000 [--connections 1000] [--expect 'Hello, World!']
                                        [--script /path/hello.php] [--answer-timeout 10] [--hold 120]
                                        [--in-flight N] [--status FILE]

The connections are opened at once (non-blocking), or in waves of --in-flight (each wave answered before the next
opens: a server that refuses requests past a queue length sees at most that many at once). Each sends BEGIN_REQUEST (role RESPONDER, flags FCGI_KEEP_CONN),
PARAMS, an empty PARAMS and an empty STDIN, and reads until its END_REQUEST; an answer is "ok" when its END_REQUEST
has protocolStatus FCGI_REQUEST_COMPLETE and its STDOUT body (after the CGI headers) starts with --expect; a failed
answer is counted by its reason (closed, an errno name, overloaded, or the start of the body). After --answer-timeout seconds, or once every connection has
answered, one status line goes to --status (or stdout):

    connections=N connected=C answered=A ok=K failed=F unanswered=U elapsed_ms=T [failed:REASON=n ...]

where "connected" counts handshakes the kernel completed (a server that has not accepted them yet still counts),
and "unanswered" the connections that got no END_REQUEST in time (for php-fpm: those waiting in the listen backlog
behind children that each hold a kept connection). Then the connections stay open, idle, until SIGTERM/SIGINT or
--hold seconds, and one more line goes to the same place:

    held_s=S closed_by_peer=P

(P: connections the server closed while idle). Standard library only; raise `ulimit -n` above N first.
"""
import argparse
import errno
import selectors
import signal
import socket
import struct
import sys
import time

FCGI_VERSION_1 = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1
KEEP_CONN = 1
PROTOCOL_STATUS = {1: "cant_mpx_conn", 2: "overloaded", 3: "unknown_role"}


def record(kind, request_id, content=b""):
    padding = -len(content) % 8
    return struct.pack(">BBHHBx", FCGI_VERSION_1, kind, request_id, len(content), padding) + content + b"\0" * padding


def pair(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


def request_bytes(script):
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "GET",
        "SCRIPT_FILENAME": script, "SCRIPT_NAME": "/" + script.rsplit("/", 1)[-1], "REQUEST_URI": "/hello",
        "QUERY_STRING": "", "DOCUMENT_ROOT": script.rsplit("/", 1)[0] or "/", "SERVER_NAME": "localhost",
        "SERVER_PORT": "80", "SERVER_ADDR": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000",
        "CONTENT_LENGTH": "", "CONTENT_TYPE": "",
    }
    body = b"".join(pair(k, v) for k, v in params.items())
    return (record(BEGIN_REQUEST, 1, struct.pack(">HB5x", RESPONDER, KEEP_CONN)) + record(PARAMS, 1, body)
            + record(PARAMS, 1) + record(STDIN, 1))


class Connection:
    def __init__(self, sock, request):
        self.sock = sock
        self.out = request
        self.inp = b""
        self.stdout = b""
        self.connected = False
        self.done = False
        self.ok = False
        self.dead = False           # closed by the server, or failed
        self.why = ""               # why an answer is not ok: closed, an errno name, or the body's start


def parse(conn, expect):
    """Consumes whole records from conn.inp; sets done/ok at END_REQUEST."""
    while len(conn.inp) >= 8:
        _, kind, _, length, padding = struct.unpack(">BBHHBx", conn.inp[:8])
        if len(conn.inp) < 8 + length + padding:
            return
        content = conn.inp[8:8 + length]
        conn.inp = conn.inp[8 + length + padding:]
        if kind == STDOUT:
            conn.stdout += content
        elif kind == END_REQUEST:
            conn.done = True
            protocol_status = content[4] if len(content) >= 5 else -1
            if protocol_status != 0:
                conn.why = PROTOCOL_STATUS.get(protocol_status, "protocol_status=%d" % protocol_status)
                return
            head, sep, body = conn.stdout.partition(b"\r\n\r\n")
            if not sep:
                head, sep, body = conn.stdout.partition(b"\n\n")
            conn.ok = bool(sep) and body.startswith(expect)
            if not conn.ok:
                conn.why = "body:" + repr(conn.stdout[:60])
            return


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connect", required=True, help="host:port")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--expect", default="Hello, World!")
    parser.add_argument("--script", default="/nonexistent/hello.php", help="SCRIPT_FILENAME")
    parser.add_argument("--answer-timeout", type=float, default=10.0)
    parser.add_argument("--hold", type=float, default=120.0)
    parser.add_argument("--in-flight", type=int, default=0, help="requests at once (default: all)")
    parser.add_argument("--status", help="file for the status lines (default: stdout)")
    args = parser.parse_args()
    if not 1 <= args.connections <= 100000 or not 0 < args.hold <= 3600 or not 0 < args.answer_timeout <= 600:
        parser.error("--connections 1..100000, --hold 0..3600 s, --answer-timeout 0..600 s")
    host, port = args.connect.rsplit(":", 1)
    address = (host.strip("[]"), int(port))
    expect = args.expect.encode()
    request = request_bytes(args.script)

    def report(line):
        if args.status:
            with open(args.status, "a") as f:
                f.write(line + "\n")
        else:
            print(line, flush=True)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    selector = selectors.DefaultSelector()
    conns = []
    start = time.monotonic()
    deadline = start + args.answer_timeout
    wave = args.in_flight if args.in_flight > 0 else args.connections
    opened = 0
    while opened < args.connections and not stop and time.monotonic() < deadline:
        batch = []
        for _ in range(min(wave, args.connections - opened)):
            opened += 1
            sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            status = sock.connect_ex(address)
            if status not in (0, errno.EINPROGRESS):
                sock.close()
                continue
            conn = Connection(sock, request)
            batch.append(conn)
            selector.register(sock, selectors.EVENT_WRITE | selectors.EVENT_READ, conn)
        conns.extend(batch)
        pending = len(batch)
        while pending and not stop and time.monotonic() < deadline:
            for key, events in selector.select(timeout=min(0.2, max(0.0, deadline - time.monotonic()))):
                conn = key.data
                if conn.done:
                    continue
                try:
                    if events & selectors.EVENT_WRITE:
                        conn.connected = True
                        if conn.out:
                            conn.out = conn.out[conn.sock.send(conn.out):]
                        if not conn.out:
                            selector.modify(conn.sock, selectors.EVENT_READ, conn)
                    if events & selectors.EVENT_READ:
                        conn.connected = True
                        data = conn.sock.recv(65536)
                        if not data:
                            conn.done, conn.ok, conn.why, conn.dead = True, False, "closed", True
                        conn.inp += data
                        parse(conn, expect)
                except OSError as e:
                    conn.done, conn.ok, conn.dead = True, False, True
                    conn.why = errno.errorcode.get(e.errno, str(e))
                if conn.done:
                    pending -= 1
                    selector.unregister(conn.sock)      # until the hold phase
    elapsed_ms = (time.monotonic() - start) * 1000
    # a handshake the kernel completed shows as writable even when nobody accepted it
    for key, events in selector.select(timeout=0):
        if events & selectors.EVENT_WRITE:
            key.data.connected = True
    answered = sum(c.done for c in conns)
    ok = sum(c.ok for c in conns)
    reasons = {}
    for c in conns:
        if c.done and not c.ok:
            reasons[c.why] = reasons.get(c.why, 0) + 1
    report("connections=%d connected=%d answered=%d ok=%d failed=%d unanswered=%d elapsed_ms=%.0f%s" % (
        args.connections, sum(c.connected for c in conns), answered, ok, answered - ok, len(conns) - answered,
        elapsed_ms, "".join(" failed:%s=%d" % (why, n) for why, n in sorted(reasons.items()))))

    # hold every connection open, idle; count those the server closes meanwhile (of those it answered)
    for key in list(selector.get_map().values()):
        selector.unregister(key.fileobj)
    for conn in conns:
        if conn.done and not conn.dead:
            selector.register(conn.sock, selectors.EVENT_READ, conn)
    closed = 0
    held_from = time.monotonic()
    while not stop and time.monotonic() - held_from < args.hold:
        for key, _ in selector.select(timeout=0.2):
            conn = key.data
            try:
                data = conn.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                closed += 1
                selector.unregister(conn.sock)
    report("held_s=%.1f closed_by_peer=%d" % (time.monotonic() - held_from, closed))
    for conn in conns:
        conn.sock.close()


if __name__ == "__main__":
    sys.exit(main())

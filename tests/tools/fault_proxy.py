#!/usr/bin/env python3
"""A reverse proxy in front of a test registry that injects faults into blob downloads.

usage: fault_proxy.py --upstream 127.0.0.1:PORT [--log FILE] [FAULT] [--times K]
                      [--blob sha256:HEX] [--max-seconds S]

Listens on 127.0.0.1 on a port the kernel picks and prints that port on
stdout as its first line, then serves until --max-seconds (default 60) have
passed. Every request is forwarded to the upstream registry (plain HTTP, on
127.0.0.1 only) with its headers, Range included, and the upstream's answer is
sent back. Faults apply only to blob downloads: GET requests whose path
contains /blobs/sha256: (and, with --blob, only to that blob). Manifests,
HEAD requests and uploads always pass unchanged.

FAULT is one of:
  --corrupt-byte      flip one byte in the middle of the body (same length)
  --truncate N        answer with only the first N bytes of the body, with a
                      consistent Content-Length N (a well-formed but short
                      response)
  --drop-after N      send the full headers and N body bytes, then close the
                      connection (a broken transfer; a client can resume with
                      Range)
  --status CODE       answer with CODE without asking the upstream (429 and
                      503 carry Retry-After: 0), with a registry-style JSON
                      error body
--times K applies the fault to the first K eligible blob GETs only (default:
every one). A blob GET is eligible for --truncate/--drop-after only when the
answer is longer than N bytes.

It also works as a plain-HTTP forward proxy (http_proxy=http://127.0.0.1:PORT):
requests in absolute form are sent to the same upstream, whatever host they
name (the log keeps that host); CONNECT is refused with 405.

--log FILE gets one JSON object per line for every request:
  {"method", "path", "host" (Host header or the absolute URI's host),
  "blob" (digest or null), "range" (request header or
  null), "status", "length" (body bytes the upstream had), "sent" (body bytes
  sent), "fault" (name or null), "sent_sha256" (digest of what was sent, for
  blob GETs)}
"""

import argparse
import hashlib
import http.client
import http.server
import json
import re
import socket
import time
import sys
import urllib.parse

from loopback_server import RequestLog, serve

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailers", "transfer-encoding", "upgrade", "content-length",
}
BLOB_RE = re.compile(r"/blobs/(sha256:[0-9a-f]{64})")
ERROR_CODES = {429: "TOOMANYREQUESTS", 500: "UNKNOWN", 502: "UNAVAILABLE",
               503: "UNAVAILABLE", 404: "BLOB_UNKNOWN", 401: "UNAUTHORIZED"}


class State(RequestLog):
    def __init__(self, args):
        super().__init__(args.log)
        self.args = args
        self.faults_left = args.times  # None: unlimited

    def take_fault(self):
        """Consumes one fault if any is left; True if this request gets it."""
        with self.lock:
            if self.faults_left is None:
                return True
            if self.faults_left > 0:
                self.faults_left -= 1
                return True
            return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault_proxy"
    state = None  # set in main

    def log_message(self, fmt, *args):  # the JSON log replaces stderr noise
        pass

    def handle(self):
        # A client that tries HTTPS first (as registry clients do) gets a
        # prompt plain-HTTP error instead of a read that waits for a newline.
        try:
            first = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first == b"\x16":
            self.state.record({"method": "TLS-HANDSHAKE", "path": None, "host": None, "blob": None,
                               "range": None, "status": 400, "length": None,
                               "sent": 0, "fault": None, "sent_sha256": None})
            try:
                self.connection.sendall(b"HTTP/1.1 400 Bad Request\r\n"
                                        b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        super().handle()

    def do_GET(self):
        self.forward()

    def do_HEAD(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def do_PUT(self):
        self.forward()

    def do_PATCH(self):
        self.forward()

    def do_DELETE(self):
        self.forward()

    def do_CONNECT(self):
        # No tunnels: as a forward proxy this serves plain-HTTP requests only.
        self.state.record({"method": "CONNECT", "path": self.path, "host": None,
                           "blob": None, "range": None, "status": 405, "length": None,
                           "sent": 0, "fault": None, "sent_sha256": None})
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def read_request_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def forward(self):
        st = self.state
        args = st.args
        # Absolute-form ("GET http://registry-1.docker.io/v2/..."): the client
        # uses us as its http_proxy; the request goes to the upstream all the same.
        host = self.headers.get("Host")
        if self.path.startswith("http://"):
            url = urllib.parse.urlsplit(self.path)
            host = url.netloc
            self.path = url.path + ("?" + url.query if url.query else "")
        m = BLOB_RE.search(self.path)
        blob = m.group(1) if m else None
        is_blob_get = self.command == "GET" and blob is not None and (
            args.blob is None or args.blob == blob)
        entry = {"method": self.command, "path": self.path, "host": host, "blob": blob,
                 "range": self.headers.get("Range"), "status": None,
                 "length": None, "sent": 0, "fault": None, "sent_sha256": None}
        try:
            self.forward_inner(st, args, is_blob_get, entry)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            st.record(entry)

    def forward_inner(self, st, args, is_blob_get, entry):
        body = self.read_request_body()
        if is_blob_get and args.status is not None and st.take_fault():
            self.send_status_fault(args.status, entry)
            return

        conn = http.client.HTTPConnection(args.upstream_host, args.upstream_port,
                                          timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()

        entry["status"] = resp.status
        entry["length"] = len(data)
        fault = None
        if is_blob_get and resp.status in (200, 206):
            fault = self.choose_fault(st, args, len(data))
        entry["fault"] = fault

        send_len = len(data)
        if fault == "corrupt-byte":
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            data = bytes(data)
        elif fault == "truncate":
            data = data[:args.truncate]
            send_len = len(data)

        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(send_len))
        if fault == "drop-after":
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault == "drop-after":
            data = data[:args.drop_after]
        if fault == "stall-after":
            data = data[:args.stall_after]
        if is_blob_get:
            entry["sent_sha256"] = "sha256:" + hashlib.sha256(data).hexdigest()
        self.wfile.write(data)
        self.wfile.flush()
        entry["sent"] = len(data)
        if fault == "stall-after":
            # Hang until the client goes away (it is killed) or time is up.
            deadline = time.monotonic() + args.max_seconds
            self.connection.settimeout(0.5)
            while time.monotonic() < deadline:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
            self.close_connection = True
            return
        if fault == "drop-after":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def choose_fault(self, st, args, length):
        if args.corrupt_byte and length > 0:
            name = "corrupt-byte"
        elif args.truncate is not None and length > args.truncate:
            name = "truncate"
        elif args.drop_after is not None and length > args.drop_after:
            name = "drop-after"
        elif args.stall_after is not None and length > args.stall_after:
            name = "stall-after"
        else:
            return None
        return name if st.take_fault() else None

    def send_status_fault(self, code, entry):
        payload = json.dumps({"errors": [{
            "code": ERROR_CODES.get(code, "UNKNOWN"),
            "message": "fault_proxy: injected %d" % code}]}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if code in (429, 503):
            self.send_header("Retry-After", "0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        entry.update(status=code, fault="status", sent=len(payload))


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True, help="127.0.0.1:PORT of the registry")
    ap.add_argument("--log", help="append one JSON line per request")
    ap.add_argument("--blob", help="apply faults only to this blob (sha256:HEX)")
    faults = ap.add_mutually_exclusive_group()
    faults.add_argument("--corrupt-byte", action="store_true")
    faults.add_argument("--truncate", type=int, metavar="N")
    faults.add_argument("--drop-after", type=int, metavar="N")
    faults.add_argument("--stall-after", type=int, metavar="N",
                        help="send N body bytes, then hang without closing (to kill the client mid-blob)")
    faults.add_argument("--status", type=int, metavar="CODE")
    ap.add_argument("--times", type=int, metavar="K",
                    help="fault only the first K eligible blob GETs (default: all)")
    ap.add_argument("--max-seconds", type=float, default=60.0)
    args = ap.parse_args(argv)
    host, _, port = args.upstream.rpartition(":")
    if host not in ("127.0.0.1", "localhost") or not port.isdigit():
        ap.error("--upstream must be 127.0.0.1:PORT")
    args.upstream_host, args.upstream_port = "127.0.0.1", int(port)
    return args


def main(argv):
    args = parse_args(argv)
    Handler.state = State(args)
    return serve(Handler, args.max_seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

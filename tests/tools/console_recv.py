#!/usr/bin/env python3
"""Receiver for an OCI runtime's --console-socket.

Listens on a unix socket, takes the pty master the runtime sends with
SCM_RIGHTS, and copies what the container writes to stdout (or OUTFILE)
until EOF/EIO, that is until every copy of the pty slave is closed.

usage: console_recv.py SOCKET [OUTFILE] [--timeout SECONDS] [--input TEXT]

--input TEXT is typed into the terminal (written to the master) first.

The socket appears at SOCKET only once it is listening, so a caller can
wait for the path to exist and then pass it to the runtime. Exit status:
0 after EOF/EIO, 1 on a protocol error, 2 on timeout.
"""

import argparse
import errno
import os
import select
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("outfile", nargs="?")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--input", help="text to write to the terminal once received")
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout

    def remaining():
        left = deadline - time.monotonic()
        if left <= 0:
            print("console_recv: timeout", file=sys.stderr)
            sys.exit(2)
        return left

    tmp = args.socket + ".tmp"
    for p in (tmp, args.socket):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(tmp)
    srv.listen(1)
    os.rename(tmp, args.socket)  # ready: the path exists and accepts

    srv.settimeout(remaining())
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print("console_recv: nobody connected", file=sys.stderr)
        sys.exit(2)
    conn.settimeout(remaining())
    msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
    conn.close()
    srv.close()
    os.unlink(args.socket)
    if len(fds) != 1:
        print(f"console_recv: expected 1 fd, got {len(fds)} (msg {msg!r})", file=sys.stderr)
        sys.exit(1)
    master = fds[0]
    if args.input is not None:
        os.write(master, args.input.encode())

    out = open(args.outfile, "wb") if args.outfile else sys.stdout.buffer
    while True:
        ready, _, _ = select.select([master], [], [], remaining())
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # the slave side is closed
                break
            raise
        if not data:
            break
        out.write(data)
        out.flush()
    os.close(master)
    return 0


if __name__ == "__main__":
    sys.exit(main())

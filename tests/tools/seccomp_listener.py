#!/usr/bin/env python3
"""A seccomp user-notification listener, as runtime-spec's listenerPath names.

Usage: seccomp_listener.py SOCKET STATE_OUT [CONNECTIONS]

Accepts CONNECTIONS (default 1) connections on the unix socket SOCKET; each
brings a container process state (JSON) with a notification fd attached,
written to STATE_OUT (the first), STATE_OUT.2, ... Every notified syscall is
answered with success (return value 0) without running it, and logged as
"SYSCALL_NR PID" in STATE_OUT.log. Ends once every connection has come and
every fd has hung up (all processes under its filter have exited).
"""
import array
import fcntl
import json
import os
import select
import socket
import struct
import sys

# From <linux/seccomp.h>: _IOWR('!', 0, struct seccomp_notif) and
# _IOWR('!', 1, struct seccomp_notif_resp) on x86_64.
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_SIZE = 80   # id u64, pid u32, flags u32, data {nr i32, arch u32, ip u64, args u64[6]}
RESP_FMT = "=QqiI"  # id, val, error, flags


def receive(conn):
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        sys.exit("listener: no fd in the message")
    return json.loads(msg), fds[0]


def answer(fd, log):
    buf = bytearray(NOTIF_SIZE)
    try:
        fcntl.ioctl(fd, NOTIF_RECV, buf)
    except OSError:
        return  # the process went away before we took its notification
    notif_id, pid, _flags, nr = struct.unpack_from("=QIIi", buf)
    log.write(f"{nr} {pid}\n")
    log.flush()
    resp = bytearray(struct.pack(RESP_FMT, notif_id, 0, 0, 0))
    try:
        fcntl.ioctl(fd, NOTIF_SEND, resp)
    except OSError:
        pass


def save_state(state, path):
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(path + ".tmp", path)


def main():
    path, out = sys.argv[1], sys.argv[2]
    want = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(want)
    poller = select.poll()
    poller.register(srv, select.POLLIN)
    got, live = 0, set()
    with open(out + ".log", "a") as log:
        while got < want or live:
            events = poller.poll(60000)
            if not events:
                sys.exit("listener: nothing happened for 60 s")
            for fd, ev in events:
                if fd == srv.fileno():
                    conn, _ = srv.accept()
                    state, nfd = receive(conn)
                    conn.close()
                    got += 1
                    save_state(state, out if got == 1 else f"{out}.{got}")
                    live.add(nfd)
                    poller.register(nfd, select.POLLIN)
                    if got == want:
                        poller.unregister(srv)
                elif ev & select.POLLHUP:
                    poller.unregister(fd)
                    live.discard(fd)
                    os.close(fd)
                else:
                    answer(fd, log)


if __name__ == "__main__":
    main()

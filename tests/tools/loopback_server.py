"""What the test servers (fault_proxy.py, token_server.py) share: a
thread-safe JSON-lines request log, and serving on a free 127.0.0.1 port
for a bounded time, printing the port first."""

import http.server
import json
import os
import threading


class RequestLog:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.log = open(path, "a", buffering=1) if path else None

    def record(self, entry):
        if not self.log:
            return
        with self.lock:
            self.log.write(json.dumps(entry, sort_keys=True) + "\n")
            self.log.flush()


def serve(handler, max_seconds):
    """Serves handler on 127.0.0.1, on a port the kernel picks (printed
    first on stdout), until max_seconds have passed."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # Bounded life: the process ends even if nobody stops it.
    timer = threading.Timer(max_seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0

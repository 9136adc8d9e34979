// `run` or `exec` without --detach: ctr-run stays the process's parent, forwards
// signals to it, proxies its terminal, and returns its exit status.
#pragma once

#include <sys/types.h>

namespace ctr::rt {

// A child of ctr-run to wait for: a container's init, or an exec'd process.
struct Foreground {
    pid_t pid = 0;
    int pidfd = -1;
    int pty_master = -1;  // proxied to our stdio when >= 0
};

// Waits for child pid; returns the shell-style status (exit code, or
// 128+N when killed by signal N).
int reap_exit_code(pid_t pid);

// Returns the shell-style status: the exit code, or 128+N when killed by signal N.
int wait_foreground(const Foreground& f);

} // namespace ctr::rt

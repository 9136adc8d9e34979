// The container's terminal: a pty made inside the container's devpts, its
// master handed to the caller (--console-socket) or proxied by `run`.
#pragma once

#include <optional>
#include <string>

#include "fd.hpp"
#include "spec.hpp"

namespace ctr::rt {

struct Pty {
    UniqueFd master;
    UniqueFd slave;
};

// In the container, after pivot_root: opens /dev/ptmx and its peer.
Pty open_pty(const std::optional<ConsoleSize>& size);

// Makes slave the controlling terminal and stdin/stdout/stderr (after setsid).
void attach_to_terminal(int slave);

// Sends the pty master over the --console-socket, as runc does (SCM_RIGHTS).
void send_console(int console_socket, int master);

} // namespace ctr::rt

// Unix socket helpers: connect by path, and passing fds with SCM_RIGHTS.
#pragma once

#include <string>

#include "fd.hpp"

namespace ctr {

UniqueFd unix_connect(const std::string& path);

// Sends data plus, when fd >= 0, that fd as SCM_RIGHTS in one message.
void send_with_fd(int sock, const void* data, size_t len, int fd);

// Receives one message; a passed fd (if any) is stored in *fd. Returns bytes
// read (0 on EOF).
size_t recv_with_fd(int sock, void* data, size_t len, UniqueFd* fd);

} // namespace ctr

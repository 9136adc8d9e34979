// `exec`: one more process in a running container. It joins the namespaces
// and cgroup of the container's init, gets its own process settings (a
// process JSON, or the container's process with the flags over it), and
// ctr-run waits for it unless --detach.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "json_view.hpp"
#include "spec.hpp"
#include "state.hpp"

namespace ctr::rt {

struct ExecOptions {
    std::string id;
    std::string process_file;  // a process JSON; "-" is stdin
    std::vector<std::string> args;
    bool tty = false;
    std::vector<std::string> env;  // NAME=VALUE, over the container's
    std::string cwd;
    std::string user;              // UID[:GID]
    std::vector<gid_t> additional_gids;
    std::vector<std::string> caps;
    bool no_new_privs = false;
    bool detach = false;
    std::string pid_file;
    std::string console_socket;
    int preserve_fds = 0;
    bool ignore_paused = false;
};

// The process to run: from --process, or the container's config.json
// process with the flags over it.
Process exec_process_spec(const ExecOptions& o, const Json& config);

// Returns the process's shell-style exit status, or 0 once it runs with --detach.
int exec_in_container(const StateStore& store, const ExecOptions& o);

} // namespace ctr::rt

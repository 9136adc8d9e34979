// The lifecycle operations of ctr-run, shared by its commands: create,
// start, kill, delete. Each keeps the on-disk state consistent: an operation
// that fails leaves no state dir, cgroup, mount or process behind.
#pragma once

#include <string>

#include "fd.hpp"
#include "state.hpp"

namespace ctr::rt {

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    bool systemd_cgroup = false;
    // `run` in the foreground: keep the pty master instead of requiring a console socket.
    bool foreground = false;
    // `run --detach`: the calling process stays init's parent, as its monitor.
    bool monitored = false;
};

struct Created {
    ContainerState state;
    UniqueFd pidfd;       // of init
    UniqueFd pty_master;  // foreground run with process.terminal
};

Created create_container(const StateStore& store, const CreateOptions& opts);
void start_container(const StateStore& store, const ContainerState& st);
void kill_container(const StateStore& store, const std::string& id, int sig, bool all);
void delete_container(const StateStore& store, const std::string& id, bool force);
// Freezes (pause) or thaws a container's processes with the cgroup freezer.
void pause_container(const StateStore& store, const std::string& id, bool pause);

// `run --detach`: create and start under a monitor process that outlives
// ctr-run, reaps init and records its exit status for `wait` and `state`.
void run_monitored(const StateStore& store, CreateOptions opts);
// Blocks until the container has stopped; returns its recorded exit status.
int wait_container(const StateStore& store, const std::string& id);

} // namespace ctr::rt

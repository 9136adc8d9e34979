// The container's init: runs in the forked child, sets the container up
// step by step under the parent's direction, waits on exec.fifo, then execs
// the user's process. Never returns.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cgroup.hpp"
#include "fd.hpp"
#include "spec.hpp"
#include "sync.hpp"

namespace ctr::rt {

struct InitArgs {
    const Spec* spec = nullptr;
    const Cgroup* cgroup = nullptr;
    SyncSocket sync;                       // init's end of the socketpair
    int state_dir = -1;                    // O_PATH fd of ROOT/ID: exec.fifo after pivot_root
    std::vector<std::pair<int, int>> join; // (fd, CLONE_NEW*) to setns into, mount last
    bool new_cgroup_ns = false;            // unshared after the cgroup is joined
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    std::string id;
    int unshare_flags = 0;                 // new namespaces init makes (in its user namespace)
    bool new_user = false;                 // init was cloned into a new user namespace
    int join_user = -1;                    // or joins this one first
    std::vector<UniqueFd> idmapped;        // per spec.mounts: a detached idmapped tree, or empty
    bool entered_user = false;             // cloned inside the joined user namespace already
};

[[noreturn]] void run_init(InitArgs& args);

} // namespace ctr::rt

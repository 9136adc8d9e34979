// Resource usage of a container's cgroup, in the shape of runc's `events`
// data (cpu, memory, pids, blkio), read from v1 or v2 files alike.
#pragma once

#include <cstdint>

#include "cgroup.hpp"
#include "json_view.hpp"

namespace ctr::rt {

Json container_stats(const Cgroup& cg);
// How many processes the OOM killer has killed in the cgroup.
uint64_t oom_kill_count(const Cgroup& cg);
// "blkio" where a v1 hierarchy has it, else v2's "io".
const char* io_controller_name(const Cgroup& cg);

} // namespace ctr::rt

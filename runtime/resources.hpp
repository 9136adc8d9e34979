// linux.resources beyond devices: memory, cpu (and cpuset) and pids limits,
// written to the container's cgroup on v1, v2 and hybrid hosts. Each
// controller goes to the hierarchy that has it: a v1 one if mounted (hybrid
// hosts keep memory, cpu and pids there), else the unified one, where the
// controller is first enabled down the path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "json_view.hpp"

namespace ctr::rt {

class Cgroup;

struct MemoryLimits {
    std::optional<int64_t> limit, reservation, swap;  // bytes; -1 is unlimited; swap is memory+swap
    std::optional<uint64_t> swappiness;
    bool disable_oom_killer = false;
};

struct CpuLimits {
    std::optional<uint64_t> shares, period, realtime_period;
    std::optional<int64_t> quota, realtime_runtime;  // -1: no quota
    std::string cpus, mems;                          // cpuset lists: "0-1", "0"
};

struct Resources {
    MemoryLimits memory;
    CpuLimits cpu;
    std::optional<int64_t> pids_limit;  // <= 0: unlimited
};

// linux.resources' memory, cpu and pids members (devices are parsed apart).
Resources parse_resources(const JsonView& resources);

void apply_resources(const Cgroup& cgroup, const Resources& r);

} // namespace ctr::rt

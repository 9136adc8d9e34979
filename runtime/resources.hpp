// linux.resources beyond devices: memory, cpu (and cpuset), pids, block IO,
// huge pages, network class and priorities, rdma and raw v2 files, written
// to the container's cgroup on v1, v2 and hybrid hosts. Each
// controller goes to the hierarchy that has it: a v1 one if mounted (hybrid
// hosts keep memory, cpu and pids there), else the unified one, where the
// controller is first enabled down the path.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

struct DeviceWeight {
    int64_t major = 0, minor = 0;
    std::optional<uint64_t> weight, leaf_weight;
};

struct DeviceRate {
    int64_t major = 0, minor = 0;
    uint64_t rate = 0;  // bytes or operations per second
};

struct BlockIoLimits {
    std::optional<uint64_t> weight, leaf_weight;  // 10 to 1000
    std::vector<DeviceWeight> weight_devices;
    std::vector<DeviceRate> read_bps, write_bps, read_iops, write_iops;
};

struct HugepageLimit {
    std::string page_size;  // "2MB", "1GB"
    uint64_t limit = 0;     // bytes
};

struct NetworkLimits {
    std::optional<uint32_t> class_id;
    std::vector<std::pair<std::string, uint32_t>> priorities;  // interface, priority
};

struct RdmaLimit {
    std::string device;
    std::optional<uint32_t> hca_handles, hca_objects;
};

struct Resources {
    MemoryLimits memory;
    CpuLimits cpu;
    std::optional<int64_t> pids_limit;  // <= 0: unlimited
    std::optional<BlockIoLimits> block_io;
    std::vector<HugepageLimit> hugepages;
    std::optional<NetworkLimits> network;
    std::vector<RdmaLimit> rdma;
    std::map<std::string, std::string> unified;  // cgroup v2 file -> value
};

// linux.resources (devices are parsed apart).
Resources parse_resources(const JsonView& resources);

void apply_resources(const Cgroup& cgroup, const Resources& r);

} // namespace ctr::rt

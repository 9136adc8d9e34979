// linux.timeOffsets: clock offsets of a new time namespace. Init unshares
// the namespace with the others and writes the offsets before any process
// is in it; init itself enters it at execve (the kernel moves a process to
// its children's time namespace there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "json_view.hpp"

namespace ctr::rt {

struct TimeOffset {
    std::string clock;  // "monotonic" or "boottime"
    int64_t secs = 0;
    uint32_t nanosecs = 0;
};

std::vector<TimeOffset> parse_time_offsets(const JsonView& v);
// To /proc/self/timens_offsets, right after unshare(CLONE_NEWTIME).
void write_time_offsets(const std::vector<TimeOffset>& offsets);

} // namespace ctr::rt

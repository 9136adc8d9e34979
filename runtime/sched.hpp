// process.scheduler and process.ioPriority: checked with config.json, set
// by init and exec'd processes before the user switch (raising a priority
// needs CAP_SYS_NICE, which the user may not keep).
#pragma once

#include <cstdint>
#include <optional>

#include "json_view.hpp"

namespace ctr::rt {

struct Scheduler {
    int policy = 0;  // SCHED_*
    int nice = 0;
    int priority = 0;
    uint64_t flags = 0;  // SCHED_FLAG_*
    uint64_t runtime = 0, deadline = 0, period = 0;  // nanoseconds, SCHED_DEADLINE only
};

struct IoPriority {
    int klass = 0;  // IOPRIO_CLASS_*
    int priority = 0;
};

Scheduler parse_scheduler(const JsonView& v);
IoPriority parse_io_priority(const JsonView& v);

void set_scheduler(const Scheduler& s);
void set_io_priority(const IoPriority& p);

} // namespace ctr::rt

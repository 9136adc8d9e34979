#include "sched.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <string>

#include "error.hpp"

namespace ctr::rt {

namespace {

// From <linux/sched/types.h> and <linux/ioprio.h>, which glibc 2.36 does not wrap.
struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

constexpr int kSchedDeadline = 6;
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassShift = 13;

template <typename T>
T lookup(const std::map<std::string, T>& names, const JsonView& v)
{
    auto it = names.find(v.str());
    if (it == names.end())
        fail("{}: unknown value \"{}\"", v.path(), v.str());
    return it->second;
}

int64_t in_range(const JsonView& v, int64_t lo, int64_t hi)
{
    int64_t n = v.i64();
    if (n < lo || n > hi)
        fail("{}: {} is out of range {}..{}", v.path(), n, lo, hi);
    return n;
}

} // namespace

Scheduler parse_scheduler(const JsonView& v)
{
    static const std::map<std::string, int> kPolicies = {
        {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO},   {"SCHED_RR", SCHED_RR},
        {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_ISO", 4},             {"SCHED_IDLE", SCHED_IDLE},
        {"SCHED_DEADLINE", kSchedDeadline},
    };
    static const std::map<std::string, uint64_t> kFlags = {
        {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
        {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
        {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
    };
    v.expect_object();
    Scheduler s;
    s.policy = lookup(kPolicies, v.at("policy"));
    if (auto n = v.get("nice"))
        s.nice = static_cast<int>(in_range(*n, -20, 19));
    bool realtime = s.policy == SCHED_FIFO || s.policy == SCHED_RR;
    if (auto p = v.get("priority"))
        s.priority = static_cast<int>(in_range(*p, realtime ? 1 : 0, realtime ? 99 : 0));
    else if (realtime)
        fail("{}.priority: {} needs a priority of 1..99", v.path(), v.at("policy").str());
    if (auto f = v.get("flags"))
        for (const auto& item : f->items())
            s.flags |= lookup(kFlags, item);
    for (const char* key : {"runtime", "deadline", "period"})
        if (v.get(key) && s.policy != kSchedDeadline)
            fail("{}.{}: only for SCHED_DEADLINE", v.path(), key);
    s.runtime = v.get("runtime") ? v.at("runtime").u64() : 0;
    s.deadline = v.get("deadline") ? v.at("deadline").u64() : 0;
    s.period = v.get("period") ? v.at("period").u64() : 0;
    return s;
}

IoPriority parse_io_priority(const JsonView& v)
{
    static const std::map<std::string, int> kClasses = {
        {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
    v.expect_object();
    IoPriority p;
    p.klass = lookup(kClasses, v.at("class"));
    if (auto n = v.get("priority"))
        p.priority = static_cast<int>(in_range(*n, 0, 7));
    return p;
}

void set_scheduler(const Scheduler& s)
{
    SchedAttr attr{};
    attr.size = sizeof attr;
    attr.sched_policy = static_cast<uint32_t>(s.policy);
    attr.sched_flags = s.flags;
    attr.sched_nice = s.nice;
    attr.sched_priority = static_cast<uint32_t>(s.priority);
    attr.sched_runtime = s.runtime;
    attr.sched_deadline = s.deadline;
    attr.sched_period = s.period;
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        throw_errno("process.scheduler: sched_setattr");
}

void set_io_priority(const IoPriority& p)
{
    int value = (p.klass << kIoprioClassShift) | p.priority;
    if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) < 0)
        throw_errno("process.ioPriority: ioprio_set");
}

} // namespace ctr::rt

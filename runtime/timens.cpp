#include "timens.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "error.hpp"
#include "file.hpp"

namespace ctr::rt {

std::vector<TimeOffset> parse_time_offsets(const JsonView& v)
{
    v.expect_object();
    std::vector<TimeOffset> out;
    for (const auto& [clock, o] : v.members()) {
        if (clock != "monotonic" && clock != "boottime")
            fail("{}: unknown clock \"{}\" (expected monotonic or boottime)", v.path(), clock);
        o.expect_object();
        TimeOffset t;
        t.clock = clock;
        t.secs = o.opt_i64("secs").value_or(0);
        t.nanosecs = o.opt_u32("nanosecs").value_or(0);
        if (t.nanosecs >= 1000000000)
            fail("{}.nanosecs: must be below 1000000000", o.path());
        out.push_back(t);
    }
    return out;
}

void write_time_offsets(const std::vector<TimeOffset>& offsets)
{
    UniqueFd fd(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
    if (!fd)
        throw_errno("linux.timeOffsets: open /proc/self/timens_offsets");
    // One write per clock: the kernel takes a line at a time.
    for (const auto& t : offsets) {
        std::string line = t.clock + " " + std::to_string(t.secs) + " " + std::to_string(t.nanosecs) + "\n";
        if (::write(fd.get(), line.data(), line.size()) < 0)
            throw_errno("linux.timeOffsets: set the " + t.clock + " offset");
    }
}

} // namespace ctr::rt

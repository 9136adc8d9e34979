#include "stats.hpp"

#include <unistd.h>

#include <sstream>

#include "file.hpp"

namespace ctr::rt {

namespace {

// Reads DIR/NAME of the hierarchy holding controller; nullopt when the
// controller or the file is not there.
class Reader {
public:
    Reader(const Cgroup& cg, const char* controller) : dir_(cg.controller_dir(controller)) {}

    bool present() const { return dir_ != nullptr; }
    bool v2() const { return dir_ && dir_->v2; }

    std::optional<std::string> text(const std::string& name) const
    {
        return dir_ ? try_read_file(dir_->path() + "/" + name) : std::nullopt;
    }
    // A number file; "max" (no limit) reads as max_value.
    uint64_t number(const std::string& name, uint64_t max_value = 0) const
    {
        auto t = text(name);
        if (!t)
            return 0;
        if (t->rfind("max", 0) == 0)
            return max_value;
        try {
            return std::stoull(*t);
        } catch (const std::exception&) {
            return 0;
        }
    }
    // "key value" lines (memory.stat, cpu.stat, memory.events).
    Json keyed(const std::string& name) const
    {
        Json out = Json::object();
        std::istringstream in(text(name).value_or(""));
        std::string key;
        uint64_t value;
        while (in >> key >> value)
            out[key] = value;
        return out;
    }

private:
    const Cgroup::Dir* dir_;
};

uint64_t get(const Json& j, const char* key)
{
    return j.contains(key) ? j[key].get<uint64_t>() : 0;
}

Json cpu_stats(const Cgroup& cg)
{
    Json usage = Json::object(), throttling = Json::object();
    Reader cpu(cg, "cpu");
    if (cpu.v2()) {
        Json s = cpu.keyed("cpu.stat");
        usage = {{"total", get(s, "usage_usec") * 1000},
                 {"user", get(s, "user_usec") * 1000},
                 {"kernel", get(s, "system_usec") * 1000}};
        throttling = {{"periods", get(s, "nr_periods")},
                      {"throttledPeriods", get(s, "nr_throttled")},
                      {"throttledTime", get(s, "throttled_usec") * 1000}};
        return {{"usage", usage}, {"throttling", throttling}};
    }
    Reader acct(cg, "cpuacct");
    if (acct.present()) {
        auto numbers = [&](const char* file) {
            std::vector<uint64_t> out;
            std::istringstream in(acct.text(file).value_or(""));
            for (uint64_t v; in >> v;)
                out.push_back(v);
            return out;
        };
        // cpuacct.stat counts USER_HZ ticks.
        Json ticks = acct.keyed("cpuacct.stat");
        uint64_t ns_per_tick = 1000000000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
        usage = {{"total", acct.number("cpuacct.usage")},
                 {"percpu", numbers("cpuacct.usage_percpu")},
                 {"percpu_kernel", numbers("cpuacct.usage_percpu_sys")},
                 {"percpu_user", numbers("cpuacct.usage_percpu_user")},
                 {"user", get(ticks, "user") * ns_per_tick},
                 {"kernel", get(ticks, "system") * ns_per_tick}};
    }
    if (cpu.present()) {
        Json s = cpu.keyed("cpu.stat");
        throttling = {{"periods", get(s, "nr_periods")},
                      {"throttledPeriods", get(s, "nr_throttled")},
                      {"throttledTime", get(s, "throttled_time")}};
    }
    return {{"usage", usage}, {"throttling", throttling}};
}

Json memory_entry(uint64_t usage, uint64_t max, uint64_t limit, uint64_t failcnt)
{
    return {{"usage", usage}, {"max", max}, {"limit", limit}, {"failcnt", failcnt}};
}

Json memory_stats(const Cgroup& cg)
{
    Reader mem(cg, "memory");
    if (!mem.present())
        return Json::object();
    constexpr uint64_t kNoLimit = UINT64_MAX;
    if (mem.v2()) {
        Json events = mem.keyed("memory.events");
        return {{"usage", memory_entry(mem.number("memory.current"), mem.number("memory.peak"),
                                       mem.number("memory.max", kNoLimit), get(events, "max"))},
                {"swap", memory_entry(mem.number("memory.swap.current"), mem.number("memory.swap.peak"),
                                      mem.number("memory.swap.max", kNoLimit), 0)},
                {"raw", mem.keyed("memory.stat")}};
    }
    Json out = {
        {"usage", memory_entry(mem.number("memory.usage_in_bytes"), mem.number("memory.max_usage_in_bytes"),
                               mem.number("memory.limit_in_bytes"), mem.number("memory.failcnt"))},
        {"raw", mem.keyed("memory.stat")},
    };
    if (mem.text("memory.memsw.usage_in_bytes"))
        out["swap"] = memory_entry(mem.number("memory.memsw.usage_in_bytes"),
                                   mem.number("memory.memsw.max_usage_in_bytes"),
                                   mem.number("memory.memsw.limit_in_bytes"), mem.number("memory.memsw.failcnt"));
    return out;
}

Json pids_stats(const Cgroup& cg)
{
    Reader pids(cg, "pids");
    if (!pids.present())
        return Json::object();
    return {{"current", pids.number("pids.current")}, {"limit", pids.number("pids.max", 0)}};
}

Json blkio_entry(const std::string& dev, const std::string& op, uint64_t value)
{
    unsigned major = 0, minor = 0;
    std::sscanf(dev.c_str(), "%u:%u", &major, &minor);
    return {{"major", major}, {"minor", minor}, {"op", op}, {"value", value}};
}

// v1 blkio.throttle.io_service_bytes_recursive "8:0 Read 4096", or v2
// io.stat "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 ...".
Json blkio_stats(const Cgroup& cg)
{
    Json bytes = Json::array(), ios = Json::array();
    Reader io(cg, io_controller_name(cg));
    if (io.v2()) {
        std::istringstream in(io.text("io.stat").value_or(""));
        for (std::string line; std::getline(in, line);) {
            std::istringstream fields(line);
            std::string dev, kv;
            fields >> dev;
            while (fields >> kv) {
                size_t eq = kv.find('=');
                std::string key = kv.substr(0, eq);
                uint64_t v = std::stoull(kv.substr(eq + 1));
                if (key == "rbytes" || key == "wbytes")
                    bytes.push_back(blkio_entry(dev, key == "rbytes" ? "Read" : "Write", v));
                else if (key == "rios" || key == "wios")
                    ios.push_back(blkio_entry(dev, key == "rios" ? "Read" : "Write", v));
            }
        }
    } else if (io.present()) {
        for (auto [file, out] : {std::pair{"blkio.throttle.io_service_bytes_recursive", &bytes},
                                 std::pair{"blkio.throttle.io_serviced_recursive", &ios}}) {
            std::istringstream in(io.text(file).value_or(""));
            for (std::string line; std::getline(in, line);) {
                std::istringstream fields(line);
                std::string dev, op;
                uint64_t v;
                if (fields >> dev >> op >> v)  // not the closing "Total N"
                    out->push_back(blkio_entry(dev, op, v));
            }
        }
    }
    return {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
}

} // namespace

const char* io_controller_name(const Cgroup& cg)
{
    return cg.controller_dir("blkio") ? "blkio" : "io";
}

Json container_stats(const Cgroup& cg)
{
    return {{"cpu", cpu_stats(cg)}, {"memory", memory_stats(cg)}, {"pids", pids_stats(cg)},
            {"blkio", blkio_stats(cg)}};
}

uint64_t oom_kill_count(const Cgroup& cg)
{
    Reader mem(cg, "memory");
    if (mem.v2())
        return get(mem.keyed("memory.events"), "oom_kill");
    return get(mem.keyed("memory.oom_control"), "oom_kill");
}

} // namespace ctr::rt

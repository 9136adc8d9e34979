#include "resources.hpp"

#include <algorithm>
#include <cstdint>

#include "cgroup.hpp"
#include "error.hpp"
#include "file.hpp"

namespace ctr::rt {

namespace {

MemoryLimits parse_memory(const JsonView& v)
{
    v.expect_object();
    MemoryLimits m;
    m.limit = v.opt_i64("limit");
    m.reservation = v.opt_i64("reservation");
    m.swap = v.opt_i64("swap");
    if (auto s = v.get("swappiness")) {
        m.swappiness = s->u64();
        if (*m.swappiness > 100)
            fail("{}: expected 0 to 100, got {}", s->path(), *m.swappiness);
    }
    m.disable_oom_killer = v.opt_bool("disableOOMKiller").value_or(false);
    for (const auto& [name, value] : {std::pair{"limit", m.limit}, {"reservation", m.reservation}, {"swap", m.swap}})
        if (value && *value < -1)
            fail("{}.{}: expected bytes or -1 (unlimited), got {}", v.path(), name, *value);
    if (m.limit && m.swap && *m.limit > 0 && *m.swap > 0 && *m.swap < *m.limit)
        fail("{}.swap: {} is memory plus swap, so it cannot be below the limit {}", v.path(), *m.swap, *m.limit);
    // kernel and kernelTCP are deprecated by the runtime-spec and ignored, as runc does.
    return m;
}

CpuLimits parse_cpu(const JsonView& v)
{
    v.expect_object();
    CpuLimits c;
    if (auto s = v.get("shares"))
        c.shares = s->u64();
    if (auto s = v.get("period"))
        c.period = s->u64();
    if (auto s = v.get("realtimePeriod"))
        c.realtime_period = s->u64();
    c.quota = v.opt_i64("quota");
    c.realtime_runtime = v.opt_i64("realtimeRuntime");
    c.cpus = v.opt_str("cpus").value_or("");
    c.mems = v.opt_str("mems").value_or("");
    if (c.period && (*c.period < 1000 || *c.period > 1000000))
        fail("{}.period: expected 1000 to 1000000 microseconds, got {}", v.path(), *c.period);
    if (c.quota && *c.quota != -1 && *c.quota < 1000)
        fail("{}.quota: expected at least 1000 microseconds or -1, got {}", v.path(), *c.quota);
    return c;
}

// A v2 controller works in a cgroup only once every ancestor enables it.
void enable_v2(const Cgroup::Dir& d, const std::string& controller)
{
    std::string cur = d.mountpoint;
    for (size_t pos = 1; pos < d.rel.size();) {
        size_t end = std::min(d.rel.find('/', pos), d.rel.size());
        write_existing_file(cur + "/cgroup.subtree_control", "+" + controller);
        cur.append("/").append(d.rel, pos, end - pos);
        pos = end + 1;
    }
}

class Writer {
public:
    Writer(const Cgroup& cg, const std::string& controller, const std::string& field)
        : field_(field)
    {
        dir_ = cg.controller_dir(controller);
        if (!dir_)
            fail("linux.resources.{}: no cgroup hierarchy on this host has the {} controller", field, controller);
        if (dir_->v2)
            enable_v2(*dir_, controller);
    }
    bool v2() const { return dir_->v2; }
    bool has(const std::string& file) const { return path_exists(dir_->path() + "/" + file); }
    int64_t read_i64(const std::string& file) const
    {
        std::string v = read_file(dir_->path() + "/" + file);
        try {
            return std::stoll(v);
        } catch (const std::exception&) {
            fail("{}/{}: not a number: {}", dir_->path(), file, v);
        }
    }

    void write(const std::string& file, const std::string& value) const
    {
        try {
            write_existing_file(dir_->path() + "/" + file, value);
        } catch (const Error& e) {
            throw Error(fmt::format("linux.resources.{}: write {} to {}", field_, value, file), e.err());
        }
    }
    template <typename T>
    void write(const std::string& file, const std::optional<T>& value) const
    {
        if (value)
            write(file, std::to_string(*value));
    }

private:
    std::string field_;
    const Cgroup::Dir* dir_;
};

std::string max_or(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

void apply_memory(const Cgroup& cg, const MemoryLimits& m)
{
    Writer w(cg, "memory", "memory");
    if (w.v2()) {
        if (m.limit)
            w.write("memory.max", max_or(*m.limit));
        if (m.reservation)
            w.write("memory.low", max_or(*m.reservation));
        // v2 limits swap alone; the spec's swap is memory plus swap.
        if (m.swap)
            w.write("memory.swap.max",
                    *m.swap < 0 || !m.limit || *m.limit < 0 ? std::string("max") : std::to_string(*m.swap - *m.limit));
        if (m.swappiness || m.disable_oom_killer)
            fail("linux.resources.memory: swappiness and disableOOMKiller do not exist on cgroup v2");
        return;
    }
    if (m.swap && !w.has("memory.memsw.limit_in_bytes"))
        fail("linux.resources.memory.swap: this kernel does not account swap (no memory.memsw.limit_in_bytes)");
    // memsw may never be below the limit: when raising (update), memsw goes first.
    auto bytes = [](int64_t v) { return v < 0 ? INT64_MAX : v; };
    bool raising = m.limit && m.swap && bytes(*m.limit) > bytes(w.read_i64("memory.limit_in_bytes"));
    if (raising)
        w.write("memory.memsw.limit_in_bytes", m.swap);
    w.write("memory.limit_in_bytes", m.limit);
    if (!raising)
        w.write("memory.memsw.limit_in_bytes", m.swap);
    w.write("memory.soft_limit_in_bytes", m.reservation);
    w.write("memory.swappiness", m.swappiness);
    if (m.disable_oom_killer)
        w.write("memory.oom_control", "1");
}

void apply_cpu(const Cgroup& cg, const CpuLimits& c)
{
    if (c.shares || c.quota || c.period || c.realtime_runtime || c.realtime_period) {
        Writer w(cg, "cpu", "cpu");
        if (w.v2()) {
            // runc's mapping of shares [2, 262144] onto weight [1, 10000].
            if (c.shares)
                w.write("cpu.weight", std::to_string(1 + ((std::clamp<uint64_t>(*c.shares, 2, 262144) - 2) * 9999) / 262142));
            if (c.quota || c.period)
                w.write("cpu.max", (c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max") + " " +
                                       std::to_string(c.period.value_or(100000)));
            if (c.realtime_runtime || c.realtime_period)
                fail("linux.resources.cpu: realtime limits do not exist on cgroup v2");
        } else {
            w.write("cpu.shares", c.shares);
            w.write("cpu.cfs_period_us", c.period);  // the period first: a quota is checked against it
            w.write("cpu.cfs_quota_us", c.quota);
            w.write("cpu.rt_period_us", c.realtime_period);
            w.write("cpu.rt_runtime_us", c.realtime_runtime);
        }
    }
    if (!c.cpus.empty() || !c.mems.empty()) {
        Writer w(cg, "cpuset", "cpu");
        if (!c.cpus.empty())
            w.write("cpuset.cpus", c.cpus);
        if (!c.mems.empty())
            w.write("cpuset.mems", c.mems);
    }
}

} // namespace

Resources parse_resources(const JsonView& v)
{
    Resources r;
    if (auto m = v.get("memory"))
        r.memory = parse_memory(*m);
    if (auto c = v.get("cpu"))
        r.cpu = parse_cpu(*c);
    if (auto p = v.get("pids")) {
        p->expect_object();
        r.pids_limit = p->at("limit").i64();
    }
    return r;
}

void apply_resources(const Cgroup& cg, const Resources& r)
{
    const MemoryLimits& m = r.memory;
    if (m.limit || m.reservation || m.swap || m.swappiness || m.disable_oom_killer)
        apply_memory(cg, m);
    apply_cpu(cg, r.cpu);
    if (r.pids_limit)
        Writer(cg, "pids", "pids").write("pids.max", *r.pids_limit <= 0 ? "max" : std::to_string(*r.pids_limit));
}

} // namespace ctr::rt

#include "resources.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include <fmt/ranges.h>

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

DeviceRate parse_rate(const JsonView& v)
{
    DeviceRate d;
    d.major = v.at("major").i64();
    d.minor = v.at("minor").i64();
    d.rate = v.at("rate").u64();
    return d;
}

std::optional<uint64_t> parse_weight(const JsonView& v, const char* key)
{
    auto w = v.get(key);
    if (!w)
        return std::nullopt;
    uint64_t value = w->u64();
    if (value != 0 && (value < 10 || value > 1000))
        fail("{}: expected 10 to 1000, got {}", w->path(), value);
    return value;
}

BlockIoLimits parse_block_io(const JsonView& v)
{
    v.expect_object();
    BlockIoLimits b;
    b.weight = parse_weight(v, "weight");
    b.leaf_weight = parse_weight(v, "leafWeight");
    if (auto list = v.get("weightDevice"))
        for (const auto& item : list->items()) {
            DeviceWeight d;
            d.major = item.at("major").i64();
            d.minor = item.at("minor").i64();
            d.weight = parse_weight(item, "weight");
            d.leaf_weight = parse_weight(item, "leafWeight");
            b.weight_devices.push_back(d);
        }
    for (auto [key, out] : {std::pair{"throttleReadBpsDevice", &b.read_bps},
                            std::pair{"throttleWriteBpsDevice", &b.write_bps},
                            std::pair{"throttleReadIOPSDevice", &b.read_iops},
                            std::pair{"throttleWriteIOPSDevice", &b.write_iops}})
        if (auto list = v.get(key))
            for (const auto& item : list->items())
                out->push_back(parse_rate(item));
    return b;
}

std::vector<HugepageLimit> parse_hugepages(const JsonView& v)
{
    std::vector<HugepageLimit> out;
    for (const auto& item : v.items()) {
        HugepageLimit h;
        h.page_size = item.at("pageSize").str();
        h.limit = item.at("limit").u64();
        out.push_back(h);
    }
    return out;
}

NetworkLimits parse_network(const JsonView& v)
{
    v.expect_object();
    NetworkLimits n;
    if (auto id = v.get("classID"))
        n.class_id = id->u32();
    if (auto list = v.get("priorities"))
        for (const auto& item : list->items())
            n.priorities.emplace_back(item.at("name").str(), item.at("priority").u32());
    return n;
}

std::vector<RdmaLimit> parse_rdma(const JsonView& v)
{
    std::vector<RdmaLimit> out;
    for (const auto& [device, limits] : v.members()) {
        RdmaLimit r;
        r.device = device;
        if (auto h = limits.get("hcaHandles"))
            r.hca_handles = h->u32();
        if (auto o = limits.get("hcaObjects"))
            r.hca_objects = o->u32();
        out.push_back(r);
    }
    return out;
}

std::map<std::string, std::string> parse_unified(const JsonView& v)
{
    auto files = v.string_map();
    for (const auto& [name, value] : files)
        if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
            fail("{}: \"{}\" is not a cgroup file name", v.path(), name);
    return files;
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

std::string device(int64_t major, int64_t minor) { return fmt::format("{}:{}", major, minor); }

// runc's mapping of blkio weight [10, 1000] onto io.weight [1, 10000].
uint64_t io_weight(uint64_t blkio) { return 1 + (blkio - 10) * 9999 / 990; }

void apply_block_io_v1(const Writer& w, const BlockIoLimits& b)
{
    std::string weight = w.has("blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    bool weights = b.weight || b.leaf_weight || !b.weight_devices.empty();
    if (weights && !w.has(weight))
        fail("linux.resources.blockIO: this kernel has no blkio weight files (they need the BFQ or CFQ I/O scheduler)");
    w.write(weight, b.weight);
    w.write("blkio.leaf_weight", b.leaf_weight);
    for (const auto& d : b.weight_devices) {
        if (d.weight)
            w.write(weight + "_device", device(d.major, d.minor) + " " + std::to_string(*d.weight));
        if (d.leaf_weight)
            w.write("blkio.leaf_weight_device", device(d.major, d.minor) + " " + std::to_string(*d.leaf_weight));
    }
    for (auto [file, list] : {std::pair{"blkio.throttle.read_bps_device", &b.read_bps},
                              std::pair{"blkio.throttle.write_bps_device", &b.write_bps},
                              std::pair{"blkio.throttle.read_iops_device", &b.read_iops},
                              std::pair{"blkio.throttle.write_iops_device", &b.write_iops}})
        for (const auto& d : *list)
            w.write(file, device(d.major, d.minor) + " " + std::to_string(d.rate));
}

void apply_block_io_v2(const Writer& w, const BlockIoLimits& b)
{
    if (b.leaf_weight || std::any_of(b.weight_devices.begin(), b.weight_devices.end(),
                                     [](const DeviceWeight& d) { return d.leaf_weight.has_value(); }))
        fail("linux.resources.blockIO: leafWeight does not exist on cgroup v2");
    bool bfq = w.has("io.bfq.weight");
    auto value = [&](uint64_t weight) { return std::to_string(bfq ? weight : io_weight(weight)); };
    std::string weight_file = bfq ? "io.bfq.weight" : "io.weight";
    if (b.weight)
        w.write(weight_file, "default " + value(*b.weight));
    for (const auto& d : b.weight_devices)
        if (d.weight)
            w.write(weight_file, device(d.major, d.minor) + " " + value(*d.weight));
    for (auto [key, list] : {std::pair{"rbps", &b.read_bps}, std::pair{"wbps", &b.write_bps},
                             std::pair{"riops", &b.read_iops}, std::pair{"wiops", &b.write_iops}})
        for (const auto& d : *list)
            w.write("io.max", fmt::format("{} {}={}", device(d.major, d.minor), key, d.rate));
}

void apply_block_io(const Cgroup& cg, BlockIoLimits b)
{
    // A weight of 0 means "not set", as in runc.
    for (auto* w : {&b.weight, &b.leaf_weight})
        if (*w == 0U)
            w->reset();
    bool v1 = cg.controller_dir("blkio") != nullptr;
    Writer w(cg, v1 ? "blkio" : "io", "blockIO");
    if (w.v2())
        apply_block_io_v2(w, b);
    else
        apply_block_io_v1(w, b);
}

// "2MB" for the kernel's hugepages-2048kB.
std::string page_size_name(uint64_t kb)
{
    if (kb % (1024 * 1024) == 0)
        return std::to_string(kb / (1024 * 1024)) + "GB";
    if (kb % 1024 == 0)
        return std::to_string(kb / 1024) + "MB";
    return std::to_string(kb) + "KB";
}

std::vector<std::string> host_page_sizes()
{
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
        unsigned long kb = 0;
        if (std::sscanf(e.path().filename().c_str(), "hugepages-%lukB", &kb) == 1)
            out.push_back(page_size_name(kb));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void apply_hugepages(const Cgroup& cg, const std::vector<HugepageLimit>& limits)
{
    // Sizes first: a refused config must not leave hugetlb enabled on the way down.
    std::vector<std::string> sizes = host_page_sizes();
    for (const auto& h : limits)
        if (std::find(sizes.begin(), sizes.end(), h.page_size) == sizes.end())
            fail("linux.resources.hugepageLimits: this host has no {} huge pages (it has: {})", h.page_size,
                 fmt::join(sizes, ", "));
    Writer w(cg, "hugetlb", "hugepageLimits");
    for (const auto& h : limits) {
        std::string prefix = "hugetlb." + h.page_size;
        w.write(prefix + (w.v2() ? ".max" : ".limit_in_bytes"), std::to_string(h.limit));
        if (w.v2() && w.has(prefix + ".rsvd.max"))
            w.write(prefix + ".rsvd.max", std::to_string(h.limit));
    }
}

void apply_network(const Cgroup& cg, const NetworkLimits& n)
{
    if (n.class_id)
        Writer(cg, "net_cls", "network").write("net_cls.classid", std::to_string(*n.class_id));
    if (n.priorities.empty())
        return;
    Writer w(cg, "net_prio", "network");
    for (const auto& [iface, prio] : n.priorities)
        w.write("net_prio.ifpriomap", iface + " " + std::to_string(prio));
}

void apply_rdma(const Cgroup& cg, const std::vector<RdmaLimit>& limits)
{
    Writer w(cg, "rdma", "rdma");
    auto value = [](const std::optional<uint32_t>& v) { return v ? std::to_string(*v) : std::string("max"); };
    for (const auto& r : limits)
        w.write("rdma.max", fmt::format("{} hca_handle={} hca_object={}", r.device, value(r.hca_handles),
                                        value(r.hca_objects)));
}

void apply_unified(const Cgroup& cg, const std::map<std::string, std::string>& files)
{
    const Cgroup::Dir* d = cg.unified_dir();
    if (!d)
        fail("linux.resources.unified: this host has no cgroup v2 hierarchy");
    for (const auto& [name, value] : files) {
        std::string controller = name.substr(0, name.find('.'));
        if (controller != "cgroup" && cg.controller_dir(controller) == d)
            enable_v2(*d, controller);
        std::string path = d->path() + "/" + name;
        if (!path_exists(path))
            fail("linux.resources.unified.{}: no such file in the container's cgroup v2 directory "
                 "(this host's unified hierarchy may lack the {} controller)", name, controller);
        try {
            write_existing_file(path, value);
        } catch (const Error& e) {
            throw Error(fmt::format("linux.resources.unified.{}: write {}", name, value), e.err());
        }
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
    if (auto b = v.get("blockIO"))
        r.block_io = parse_block_io(*b);
    if (auto h = v.get("hugepageLimits"))
        r.hugepages = parse_hugepages(*h);
    if (auto n = v.get("network"))
        r.network = parse_network(*n);
    if (auto rd = v.get("rdma"))
        r.rdma = parse_rdma(*rd);
    if (auto u = v.get("unified"))
        r.unified = parse_unified(*u);
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
    if (r.block_io)
        apply_block_io(cg, *r.block_io);
    if (!r.hugepages.empty())
        apply_hugepages(cg, r.hugepages);
    if (r.network)
        apply_network(cg, *r.network);
    if (!r.rdma.empty())
        apply_rdma(cg, r.rdma);
    if (!r.unified.empty())
        apply_unified(cg, r.unified);
}

} // namespace ctr::rt

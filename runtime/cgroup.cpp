#include "cgroup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "error.hpp"
#include "file.hpp"
#include "mountinfo.hpp"
#include "systemd.hpp"

namespace ctr::rt {

namespace {

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, sep))
        out.push_back(item);
    return out;
}

bool is_cgroup_knob(const std::string& name)
{
    return name == "rw" || name == "ro" || name == "nsdelegate" || name == "memory_recursiveprot" ||
           name == "memory_localevents" || name == "favordynmods" || name == "clone_children" ||
           name == "noprefix" || name == "xattr" || name.rfind("release_agent=", 0) == 0;
}

void copy_cpuset(const std::string& dir)
{
    std::string parent = dir.substr(0, dir.rfind('/'));
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
        std::string mine = read_file(dir + "/" + file);
        if (mine.find_first_not_of(" \n") != std::string::npos)
            continue;
        write_existing_file(dir + "/" + file, read_file(parent + "/" + file));
    }
}

// mkdir every missing level below the mountpoint; v1 cpuset levels need their
// cpus and mems filled in before a task may join.
void make_dirs(const std::string& mountpoint, const std::string& rel, bool cpuset)
{
    std::string cur = mountpoint;
    for (const auto& comp : split(rel, '/')) {
        if (comp.empty())
            continue;
        cur += "/" + comp;
        if (::mkdir(cur.c_str(), 0755) < 0) {
            if (errno != EEXIST)
                throw_errno("create cgroup " + cur);
        }
        if (cpuset)
            copy_cpuset(cur);
    }
}

} // namespace

std::vector<CgroupHierarchy> discover_cgroup_hierarchies(const std::string& mountinfo)
{
    std::vector<CgroupHierarchy> out;
    std::set<std::string> seen;
    for (const auto& m : mnt::parse_mountinfo(mountinfo)) {
        if (m.fstype != "cgroup" && m.fstype != "cgroup2")
            continue;
        CgroupHierarchy h;
        h.mountpoint = m.mountpoint;
        h.name = h.mountpoint.substr(h.mountpoint.rfind('/') + 1);
        h.v2 = m.fstype == "cgroup2";
        if (!h.v2)
            for (const auto& opt : split(m.super_options, ','))
                if (!is_cgroup_knob(opt))
                    h.controllers.push_back(opt);
        std::string key = h.v2 ? "cgroup2" : "";
        for (const auto& c : h.controllers)
            key += c + ",";
        // The same hierarchy may be mounted twice; the first mount is the one to use.
        if (seen.insert(key).second)
            out.push_back(h);
    }
    return out;
}

CgroupMode cgroup_mode(const std::vector<CgroupHierarchy>& hierarchies)
{
    bool v1 = std::any_of(hierarchies.begin(), hierarchies.end(), [](auto& h) { return !h.v2; });
    bool v2 = std::any_of(hierarchies.begin(), hierarchies.end(), [](auto& h) { return h.v2; });
    if (v1 && v2)
        return CgroupMode::Hybrid;
    return v1 ? CgroupMode::V1 : CgroupMode::V2;
}

namespace {

// cgroupsPath as a directory below each hierarchy ("" means /ctr/ID).
std::string cgroupfs_path(const std::string& cgroups_path, const std::string& id)
{
    if (cgroups_path.find(':') != std::string::npos)
        fail("linux.cgroupsPath: \"{}\" is a systemd slice:prefix:name path; it needs --systemd-cgroup",
             cgroups_path);
    std::string rel = cgroups_path.empty() ? "/ctr/" + id : cgroups_path;
    if (rel[0] != '/')
        rel = "/" + rel;
    for (const auto& comp : split(rel, '/'))
        if (comp == "..")
            fail("linux.cgroupsPath: \"{}\" must not contain ..", cgroups_path);
    while (rel.size() > 1 && rel.back() == '/')
        rel.pop_back();
    if (rel == "/")
        fail("linux.cgroupsPath: the root cgroup cannot be a container's cgroup");
    return rel;
}

} // namespace

Cgroup Cgroup::plan(const std::string& cgroups_path, const std::string& id, bool systemd)
{
    Cgroup cg;
    std::string rel;
    if (systemd) {
        cg.scope_ = parse_systemd_path(cgroups_path, id);
        rel = cg.scope_.rel;
    } else {
        rel = cgroupfs_path(cgroups_path, id);
    }
    auto hierarchies = discover_cgroup_hierarchies(read_file("/proc/self/mountinfo"));
    if (hierarchies.empty())
        fail("cgroups: no cgroup filesystem is mounted");
    cg.mode_ = cgroup_mode(hierarchies);
    for (const auto& h : hierarchies) {
        auto has = [&](const char* c) {
            return std::find(h.controllers.begin(), h.controllers.end(), c) != h.controllers.end();
        };
        Dir d;
        d.name = cg.mode_ == CgroupMode::V2 ? "" : h.name;
        d.mountpoint = h.mountpoint;
        d.rel = rel;
        d.v2 = h.v2;
        d.devices = has("devices");
        d.cpuset = has("cpuset");
        if (!h.v2)
            d.controllers = h.controllers;
        cg.dirs_.push_back(d);
    }
    return cg;
}

Cgroup Cgroup::from_json(const Json& j)
{
    Cgroup cg;
    std::string mode = j.value("mode", "v2");
    cg.mode_ = mode == "v1" ? CgroupMode::V1 : mode == "hybrid" ? CgroupMode::Hybrid : CgroupMode::V2;
    for (const auto& d : j.value("dirs", Json::array()))
        cg.dirs_.push_back({d.value("name", ""), d.value("mountpoint", ""), d.value("rel", ""),
                            d.value("v2", false), d.value("devices", false), d.value("cpuset", false),
                            d.value("controllers", std::vector<std::string>{})});
    cg.scope_.unit = j.value("systemd_unit", "");
    return cg;
}

Json Cgroup::to_json() const
{
    Json dirs = Json::array();
    for (const auto& d : dirs_)
        dirs.push_back({{"name", d.name}, {"mountpoint", d.mountpoint}, {"rel", d.rel},
                        {"v2", d.v2}, {"devices", d.devices}, {"cpuset", d.cpuset},
                        {"controllers", d.controllers}});
    const char* mode = mode_ == CgroupMode::V1 ? "v1" : mode_ == CgroupMode::Hybrid ? "hybrid" : "v2";
    Json j = {{"mode", mode}, {"dirs", dirs}};
    if (systemd())
        j["systemd_unit"] = scope_.unit;
    return j;
}

void Cgroup::create()
{
    for (const auto& d : dirs_)
        make_dirs(d.mountpoint, d.rel, d.cpuset);
}

std::vector<DeviceRule> default_device_rules()
{
    auto c = [](int64_t major, std::optional<int64_t> minor) {
        return DeviceRule{true, 'c', major, minor, "rwm"};
    };
    return {
        c(1, 3), c(1, 5), c(1, 7), c(1, 8), c(1, 9), // null zero full random urandom
        c(5, 0), c(5, 1), c(5, 2),                   // tty console ptmx
        c(136, std::nullopt),                        // /dev/pts/*
    };
}

std::string device_rule_line(const DeviceRule& r)
{
    auto num = [](const std::optional<int64_t>& n) { return n ? std::to_string(*n) : std::string("*"); };
    if (r.type == 'a')
        return "a *:* " + r.access;
    return fmt::format("{} {}:{} {}", r.type, num(r.major), num(r.minor), r.access);
}

void Cgroup::apply_device_rules(const std::vector<DeviceRule>& rules,
                                const std::vector<mnt::DeviceNode>& allowed)
{
    std::vector<DeviceRule> all = rules;
    if (all.empty())
        return;  // no rules asked for: leave the device cgroup as inherited
    for (const auto& d : allowed)
        if (d.type != 'p')
            all.push_back(DeviceRule{true, d.type == 'b' ? 'b' : 'c', d.major, d.minor, "rwm"});
    auto defaults = default_device_rules();
    all.insert(all.end(), defaults.begin(), defaults.end());
    bool applied = false;
    for (const auto& d : dirs_) {
        if (!d.devices)
            continue;
        applied = true;
        std::string dir = d.path();
        for (const auto& r : all)
            write_existing_file(dir + (r.allow ? "/devices.allow" : "/devices.deny"),
                                device_rule_line(r));
    }
    if (!applied)
        fail("linux.resources.devices: device rules on cgroup v2 (an eBPF program) are not "
             "supported by ctr-run yet");
}

const Cgroup::Dir* Cgroup::controller_dir(const std::string& controller) const
{
    for (const auto& d : dirs_)
        if (!d.v2 && std::find(d.controllers.begin(), d.controllers.end(), controller) != d.controllers.end())
            return &d;
    for (const auto& d : dirs_) {
        if (!d.v2)
            continue;
        std::istringstream in(read_file(d.mountpoint + "/cgroup.controllers"));
        for (std::string c; in >> c;)
            if (c == controller)
                return &d;
    }
    return nullptr;
}

namespace {

// v2 reports freezing done as "frozen 1" in cgroup.events.
bool v2_frozen(const std::string& dir)
{
    auto events = try_read_file(dir + "/cgroup.events");
    return events && events->find("frozen 1") != std::string::npos;
}

} // namespace

// The v1 freezer hierarchy of the container, if the host mounts one; else
// freezing is cgroup v2's (cgroup.freeze is core there, not a controller).
const Cgroup::Dir* Cgroup::v1_freezer() const
{
    for (const auto& d : dirs_)
        if (!d.v2 && std::find(d.controllers.begin(), d.controllers.end(), "freezer") != d.controllers.end())
            return &d;
    return nullptr;
}

const Cgroup::Dir* Cgroup::unified_dir() const
{
    for (const auto& d : dirs_)
        if (d.v2)
            return &d;
    return nullptr;
}

bool Cgroup::frozen() const
{
    if (const Dir* v1 = v1_freezer()) {
        auto state = try_read_file(v1->path() + "/freezer.state");
        return state && state->rfind("FROZEN", 0) == 0;
    }
    const Dir* v2 = unified_dir();
    return v2 && v2_frozen(v2->path());
}

void Cgroup::freeze(bool frozen) const
{
    const Dir* v1 = v1_freezer();
    const Dir* v2 = v1 ? nullptr : unified_dir();
    if (!v1 && (!v2 || !path_exists(v2->path() + "/cgroup.freeze")))
        fail("cgroups: no freezer: neither a v1 freezer hierarchy nor cgroup.freeze on v2");
    // The kernel freezes asynchronously: ask again until it says it is done,
    // as runc does (a task in a vfork or an uninterruptible sleep delays it).
    for (int attempt = 0; attempt < 1000; attempt++) {
        if (v1) {
            write_existing_file(v1->path() + "/freezer.state", frozen ? "FROZEN" : "THAWED");
            auto state = try_read_file(v1->path() + "/freezer.state");
            if (state && state->rfind(frozen ? "FROZEN" : "THAWED", 0) == 0)
                return;
        } else {
            write_existing_file(v2->path() + "/cgroup.freeze", frozen ? "1" : "0");
            if (v2_frozen(v2->path()) == frozen)
                return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + attempt, 10)));
    }
    fail("cgroups: the container's tasks did not {} within 10 seconds", frozen ? "freeze" : "thaw");
}

void Cgroup::join(pid_t pid) const
{
    for (const auto& d : dirs_)
        write_existing_file(d.path() + "/cgroup.procs", std::to_string(pid));
}

std::vector<pid_t> Cgroup::pids() const
{
    std::vector<pid_t> out;
    if (dirs_.empty())
        return out;
    // Every hierarchy holds every task of the container: the first will do.
    std::string path = dirs_.front().path() + "/cgroup.procs";
    auto text = try_read_file(path);
    if (!text) {
        // ENODEV: a systemd scope removed as its last task went.
        if (errno == ENOENT || errno == ENODEV)
            return out;
        throw_errno("read " + path);
    }
    std::istringstream in(*text);
    pid_t pid;
    while (in >> pid)
        out.push_back(pid);
    return out;
}

namespace {

// rmdir of a cgroup and the ones the container made below it (systemd in a
// container makes its own), deepest first. A task that has just exited can
// keep a directory busy for a moment.
void remove_cgroup_tree(const std::string& dir)
{
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.is_directory(ec) && !e.is_symlink(ec))
            remove_cgroup_tree(e.path().string());
    for (int attempt = 0;; attempt++) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT)
            return;
        if (errno != EBUSY || attempt == 50)
            throw_errno("remove cgroup " + dir);
        std::this_thread::sleep_for(std::chrono::milliseconds(2 * (attempt + 1)));
    }
}

} // namespace

void Cgroup::destroy() const
{
    if (systemd())
        stop_unit(scope_.unit);
    for (const auto& d : dirs_)
        remove_cgroup_tree(d.path());
}

} // namespace ctr::rt

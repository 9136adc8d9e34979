// A container's own cgroup, behind one interface for cgroup v1, v2 and hybrid
// hosts. The mode is discovered from /proc/self/mountinfo at run time.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "json_view.hpp"
#include "spec.hpp"
#include "systemd.hpp"

namespace ctr::rt {

enum class CgroupMode { V1, V2, Hybrid };

// One mounted hierarchy: "memory" at /sys/fs/cgroup/memory, or the unified one.
struct CgroupHierarchy {
    std::string mountpoint;
    std::string name;                      // basename of the mountpoint: "memory", "unified"
    std::vector<std::string> controllers;  // v1 controllers or "name=systemd"; empty for v2
    bool v2 = false;
};

std::vector<CgroupHierarchy> discover_cgroup_hierarchies(const std::string& mountinfo);
CgroupMode cgroup_mode(const std::vector<CgroupHierarchy>& hierarchies);

// The cgroup of one container: a directory in every hierarchy.
class Cgroup {
public:
    struct Dir {
        std::string name;        // hierarchy name, "" on a pure v2 host
        std::string mountpoint;  // where the hierarchy is mounted on the host
        std::string rel;         // the container's cgroup below it: "/ctr/ID"
        bool v2 = false;
        bool devices = false;    // the v1 devices controller lives here
        bool cpuset = false;     // the v1 cpuset controller lives here
        std::vector<std::string> controllers;  // v1: the hierarchy's; v2: read when needed

        std::string path() const { return mountpoint + rel; }
    };

    // cgroupsPath from the spec ("" means /ctr/ID); with systemd, a
    // slice:prefix:name path whose scope systemd makes (see systemd.hpp).
    static Cgroup plan(const std::string& cgroups_path, const std::string& id, bool systemd = false);
    static Cgroup from_json(const Json& j);
    Json to_json() const;

    const std::vector<Dir>& dirs() const { return dirs_; }
    bool systemd() const { return !scope_.unit.empty(); }
    const SystemdScope& scope() const { return scope_; }
    CgroupMode mode() const { return mode_; }

    // Makes the directories (and ancestors), initialising v1 cpuset ones.
    void create();
    // No directories at all: a container of a user without a cgroup to delegate.
    void forget() { dirs_.clear(); }
    void apply_device_rules(const std::vector<DeviceRule>& rules,
                            const std::vector<mnt::DeviceNode>& allowed);
    // The directory of the hierarchy that holds a controller: a v1 one that
    // has it, else the unified one if its root offers it; nullptr if none.
    const Dir* controller_dir(const std::string& controller) const;
    // Freezes (or thaws) every task of the cgroup; returns once the kernel
    // reports it done (v1 freezer.state, v2 cgroup.events).
    void freeze(bool frozen) const;
    bool frozen() const;
    // The directory in the v2 (unified) hierarchy, if the host has one.
    const Dir* unified_dir() const;
    void join(pid_t pid) const;
    std::vector<pid_t> pids() const;
    // Removes the directories; waits out the short EBUSY after the last task exits.
    void destroy() const;

private:
    const Dir* v1_freezer() const;

    CgroupMode mode_ = CgroupMode::V2;
    SystemdScope scope_;  // with --systemd-cgroup
    std::vector<Dir> dirs_;
};

// The rules every container gets after its own: the default devices and /dev/pts.
std::vector<DeviceRule> default_device_rules();
std::string device_rule_line(const DeviceRule& r);

} // namespace ctr::rt

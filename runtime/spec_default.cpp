#include "spec_default.hpp"

namespace ctr::rt {

namespace {

Json default_capabilities()
{
    Json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    return {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}};
}

Json default_mounts()
{
    return Json::array({
        {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/sys/fs/cgroup"}, {"type", "cgroup"}, {"source", "cgroup"},
         {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
    });
}

Json masked_paths()
{
    return {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi"};
}

Json readonly_paths()
{
    return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

} // namespace

Json default_spec()
{
    return {
        {"ociVersion", kOciVersion},
        {"process",
         {{"terminal", true},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"sh"}},
          {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
          {"cwd", "/"},
          {"capabilities", default_capabilities()},
          {"rlimits", Json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "ctr"},
        {"mounts", default_mounts()},
        {"linux",
         {{"resources", {{"devices", Json::array({{{"allow", false}, {"access", "rwm"}}})}}},
          {"namespaces", Json::array({{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}},
                                      {{"type", "uts"}}, {{"type", "mount"}}, {{"type", "cgroup"}}})},
          {"maskedPaths", masked_paths()},
          {"readonlyPaths", readonly_paths()}}},
    };
}

Json rootless_spec(uid_t uid, gid_t gid)
{
    Json spec = default_spec();
    spec["root"]["readonly"] = true;
    Json& mounts = spec["mounts"];
    for (auto it = mounts.begin(); it != mounts.end();) {
        std::string dest = (*it)["destination"];
        if (dest == "/sys/fs/cgroup") {
            it = mounts.erase(it);
            continue;
        }
        if (dest == "/sys")
            *it = {{"destination", "/sys"}, {"type", "none"}, {"source", "/sys"},
                   {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
        if (dest == "/dev/pts")
            (*it)["options"] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
        ++it;
    }
    Json& linux = spec["linux"];
    linux.erase("resources");
    linux["uidMappings"] = Json::array({{{"containerID", 0}, {"hostID", uid}, {"size", 1}}});
    linux["gidMappings"] = Json::array({{{"containerID", 0}, {"hostID", gid}, {"size", 1}}});
    linux["namespaces"] = Json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}},
                                       {{"type", "mount"}}, {{"type", "cgroup"}}, {{"type", "user"}}});
    return spec;
}

} // namespace ctr::rt

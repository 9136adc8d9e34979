// --systemd-cgroup: the container's cgroup is a transient scope unit that
// systemd makes (StartTransientUnit over its private D-Bus socket, with
// Delegate=yes), as runc's systemd driver does. linux.cgroupsPath is then
// "slice:prefix:name"; limits are still written through cgroupfs.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace ctr::rt {

struct SystemdScope {
    std::string slice;  // "system.slice"
    std::string unit;   // "ctr-ID.scope"
    std::string rel;    // "/system.slice/ctr-ID.scope", the cgroup below each hierarchy
};

// "slice:prefix:name" (empty: "system.slice:ctr:ID"); "a-b.slice" nests as /a.slice/a-b.slice.
SystemdScope parse_systemd_path(const std::string& cgroups_path, const std::string& id);

// Fails clearly where systemd does not run (no /run/systemd/system).
void require_systemd();

// A connection to systemd, subscribed to job events: made before the
// container's init is forked, so a systemd that cannot be reached fails
// create before anything runs.
class SystemdSession {
public:
    SystemdSession();
    ~SystemdSession();
    SystemdSession(const SystemdSession&) = delete;
    SystemdSession& operator=(const SystemdSession&) = delete;

    // Asks for the scope holding pid and waits until its job is done.
    void start_scope(const SystemdScope& scope, pid_t pid, const std::string& id);

private:
    struct Bus;
    std::unique_ptr<Bus> bus_;
};

// Best effort: the scope goes by itself once empty.
void stop_unit(const std::string& unit);

} // namespace ctr::rt

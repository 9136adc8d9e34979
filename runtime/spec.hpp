// The OCI runtime-spec config.json of a Linux container, parsed into typed
// structs. Every field ctr-run reads is checked here, before anything is
// created; fields it does not implement yet are refused by name.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "devices.hpp"
#include "json_view.hpp"
#include "resources.hpp"
#include "sched.hpp"
#include "seccomp.hpp"
#include "timens.hpp"

namespace ctr::rt {

// One line of uid_map or gid_map.
struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct User {
    uid_t uid = 0;
    gid_t gid = 0;
    std::optional<mode_t> umask;
    std::vector<gid_t> additional_gids;
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    int resource = 0;
    uint64_t soft = 0;
    uint64_t hard = 0;
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
    unsigned short height = 0;
    unsigned short width = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
    std::optional<Scheduler> scheduler;
    std::optional<IoPriority> io_priority;
    std::string apparmor_profile;
    std::string selinux_label;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;  // absolute for binds (relative ones are taken from the bundle)
    std::vector<std::string> options;  // without idmap/ridmap
    // Idmapped bind: empty mappings with idmap take the container's.
    bool idmap = false, idmap_recursive = false;
    std::vector<IdMapping> uid_mappings, gid_mappings;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;  // seconds
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
};

struct Namespace {
    std::string type;  // "pid", "network", "mount", "ipc", "uts", "cgroup", "user", "time"
    std::string path;  // join this one instead of creating a new one
};

struct DeviceRule {
    bool allow = false;
    char type = 'a';               // 'a', 'c', 'b'
    std::optional<int64_t> major;  // nullopt is "*"
    std::optional<int64_t> minor;
    std::string access = "rwm";
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<mnt::DeviceNode> devices;
    std::vector<DeviceRule> device_rules;
    Resources resources;
    bool has_resources = false;  // linux.resources asks for limits or device rules
    std::string cgroups_path;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::string rootfs_propagation;
    std::optional<SeccompProfile> seccomp;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::optional<unsigned long> personality;
    std::vector<TimeOffset> time_offsets;
    bool intel_rdt = false;  // asked for; refused at create where resctrl is missing

    const Namespace* find_namespace(const std::string& type) const;
};

struct Spec {
    std::string oci_version;
    std::string bundle;  // absolute
    Process process;
    std::string root_path;  // absolute
    bool root_readonly = false;
    std::string hostname;
    std::optional<std::string> domainname;
    std::vector<Mount> mounts;
    Hooks hooks;
    Json hooks_json = Json::object();  // as written, kept in the state for poststart/poststop
    std::map<std::string, std::string> annotations;
    Linux linux;
};

// The namespace types ctr-run can create or join.
const std::vector<std::string>& supported_namespaces();

// Parses a config.json document; relative paths are taken from bundle (absolute).
Spec parse_spec(const Json& doc, const std::string& bundle);
// Reads BUNDLE/config.json.
Spec load_spec(const std::string& bundle);

// A process object: config.json's "process", or `exec --process FILE`.
Process parse_process(const JsonView& v);
Hook parse_hook(const JsonView& v);
Hooks parse_hooks(const JsonView& v);

} // namespace ctr::rt

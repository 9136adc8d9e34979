// Runtime state: ROOT/ID/state.json plus exec.fifo. The status shown to
// users is derived from the real init process, not stored.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroup.hpp"
#include "json_view.hpp"

namespace ctr::rt {

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* status_name(Status s);

struct ContainerState {
    std::string id;
    pid_t pid = 0;
    uint64_t start_time = 0;  // of the init process, to survive pid reuse
    std::string bundle;
    std::string rootfs;
    std::string created;      // RFC 3339
    std::string owner;
    std::map<std::string, std::string> annotations;
    Json hooks = Json::object();  // "hooks" of config.json, for poststart and poststop
    Cgroup cgroup;
    bool own_pid_ns = true;   // init's exit takes every container process with it
    pid_t monitor = 0;        // `run --detach`: the process waiting for init (0: none)
    uint64_t monitor_start = 0;

    // The OCI state document ("ociVersion", "id", "status", "pid", "bundle", ...).
    Json oci(Status status) const;
};

// The state directory tree under --root.
class StateStore {
public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}

    const std::string& root() const { return root_; }
    std::string dir(const std::string& id) const { return root_ + "/" + id; }
    std::string fifo(const std::string& id) const { return dir(id) + "/exec.fifo"; }
    // Written by the monitor of a `run --detach` container when init exits.
    std::string exit_file(const std::string& id) const { return dir(id) + "/exit"; }

    // mkdir ROOT/ID; fails clearly when the id is taken.
    void reserve(const std::string& id) const;
    void save(const ContainerState& st) const;
    // Throws "container ID does not exist" for unknown ids.
    ContainerState load(const std::string& id) const;
    std::vector<std::string> ids() const;
    void remove(const std::string& id) const;

    Status status(const ContainerState& st) const;
    // The shell-style exit status the monitor recorded, if any.
    std::optional<int> exit_status(const std::string& id) const;
    // state's document: the OCI state, plus "exitStatus" once it is known.
    Json describe(const ContainerState& st) const;

private:
    std::string root_;
};

// Container ids: letters, digits, and _ + - . (not "." or ".."), as runc.
void validate_id(const std::string& id);

} // namespace ctr::rt

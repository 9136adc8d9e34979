// One function per ctr-run subcommand; main.cpp only parses flags.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "container.hpp"
#include "events.hpp"
#include "exec.hpp"

namespace ctr::rt {

struct GlobalOptions {
    std::string root = "/run/ctr";
    std::string log_file;
    std::string log_format = "text";
    bool debug = false;
    bool systemd_cgroup = false;
};

// /run/ctr for root; $XDG_RUNTIME_DIR/ctr for other users, as runc does.
std::string default_state_root();

int cmd_spec(const std::string& bundle, bool rootless);
int cmd_create(const GlobalOptions& g, CreateOptions opts);
int cmd_start(const GlobalOptions& g, const std::string& id);
int cmd_run(const GlobalOptions& g, CreateOptions opts, bool detach);
int cmd_events(const GlobalOptions& g, const std::string& id, const EventsOptions& o);
int cmd_wait(const GlobalOptions& g, const std::string& id);
int cmd_state(const GlobalOptions& g, const std::string& id);
int cmd_list(const GlobalOptions& g, const std::string& format, bool quiet);
int cmd_kill(const GlobalOptions& g, const std::string& id, const std::string& signal, bool all);
int cmd_delete(const GlobalOptions& g, const std::vector<std::string>& ids, bool force);
int cmd_features();
int cmd_exec(const GlobalOptions& g, const ExecOptions& o);

// update: limits from a linux.resources JSON (FILE, or - for stdin) with
// single limits given as flags over it.
struct UpdateOptions {
    std::string resources_file;
    std::optional<int64_t> memory, memory_reservation, memory_swap, cpu_quota, pids_limit;
    std::optional<uint64_t> cpu_shares, cpu_period;
    std::string cpuset_cpus, cpuset_mems;
};
int cmd_update(const GlobalOptions& g, const std::string& id, const UpdateOptions& u);
int cmd_pause(const GlobalOptions& g, const std::string& id, bool pause);
// ps: the container's pids as JSON, or the lines of ps(1) ARGS (default -ef) for them.
int cmd_ps(const GlobalOptions& g, const std::string& id, const std::string& format,
           const std::vector<std::string>& ps_args);

// Formats the runc-style `list` table.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

} // namespace ctr::rt

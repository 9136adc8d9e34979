// Processes: identity that survives pid reuse (pid + start time), pidfds,
// liveness.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"

namespace ctr {

struct ProcStat {
    char state;            // R, S, D, Z, X, ...
    uint64_t start_time;   // field 22 of /proc/PID/stat, clock ticks since boot
};

std::optional<ProcStat> read_proc_stat(pid_t pid);

// True when pid names the same, not yet exited, process that started at start_time.
bool process_alive(pid_t pid, uint64_t start_time);

UniqueFd pidfd_open(pid_t pid);  // throws on failure
// A pidfd of the process pid that started at start_time, or an empty fd when
// that process has exited (the pidfd then pins it against pid reuse).
UniqueFd pidfd_open_alive(pid_t pid, uint64_t start_time);
int pidfd_send_signal(int pidfd, int sig);  // returns -1 and errno on failure

// Waits until the process behind pidfd has exited; false on timeout.
bool pidfd_wait_exit(int pidfd, int timeout_ms);

// argv/envp for execve: pointers into v, null-terminated (v must outlive them).
std::vector<char*> exec_array(std::vector<std::string>& v);

// Signal name ("KILL", "SIGKILL", "kill") or number ("9") to a number; throws on unknown.
int parse_signal(const std::string& s);
std::string signal_name(int sig);

} // namespace ctr

// CVE-2019-5736 for containers that can ptrace. Init and exec'd processes
// are forks of ctr-run until their execve; non-dumpable, their
// /proc/PID/exe is out of reach, except for a process with CAP_SYS_PTRACE
// in their user namespace, which could open it and later write the host's
// binary through it. When such a process may exist, ctr-run first
// re-executes itself through a detached read-only bind mount of its binary
// (a sealed memfd copy where the kernel lacks open_tree), so that
// /proc/PID/exe names a file nobody can write. It costs an execve, so only then.
#pragma once

#include <sys/types.h>

#include "spec.hpp"

namespace ctr::rt {

// main() hands its argv over, for the re-exec.
void save_command_line(char** argv);

// CAP_SYS_PTRACE is in the process's bounding set.
bool bounds_ptrace(const Process& p);
// Container processes of spec could reach the host's binary: no user
// namespace of its own that leaves host root unmapped, and CAP_SYS_PTRACE
// in the bounding set.
bool may_reach_binary(const Spec& spec);
// Any process of the container has CAP_SYS_PTRACE in its bounding set.
bool any_may_ptrace(const std::vector<pid_t>& pids);

// Re-executes the command from the protected binary, unless it already
// runs from one (then it returns).
void reexec_protected();

} // namespace ctr::rt

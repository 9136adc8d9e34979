// What the container's process gets just before execve, shared by init
// (the container's first process) and exec (one more in a running container).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "seccomp.hpp"
#include "spec.hpp"
#include "sync.hpp"

namespace ctr::rt {

void set_rlimits(const Process& p);
void set_oom_score_adj(const Process& p);
// process.scheduler and process.ioPriority.
void set_scheduling(const Process& p);
// Joins (creating if needed) the session keyring "_ses.ID", unless turned off.
void join_session_keyring(const std::string& id, bool no_new_keyring);
// fork() with the child in another pid namespace: enter (if set) moves
// this process's children there (unshare or setns CLONE_NEWPID); the parent
// goes back to its own right after the fork, so its later children (hooks)
// stay outside. clone_flags (CLONE_NEWUSER, CLONE_NEWPID) make namespaces
// for the child alone, owned by its new user namespace. what names the fork
// in errors.
pid_t fork_in_pid_namespace(const std::function<void()>& enter, const std::string& what,
                            int clone_flags = 0);

// Loads the filter; a notifying one's fd goes to the parent (Msg::SeccompFd)
// for the listener.
void load_seccomp(SeccompFilter& filter, const SyncSocket& sync);
// Bounding set, uid/gids, then the other capability sets and the umask.
void switch_user(const Process& p);
// Only stdio and the preserved fds (3 .. 3+N-1) may reach the process.
void seal_fds(int preserve_fds);
// process.args[0] looked up in the PATH of process.env, as execvp would.
std::string find_executable(const std::string& name, const std::vector<std::string>& env);
// chdir to process.cwd, find the executable, set no_new_privs and the LSM labels, seal the fds;
// returns the executable's path.
std::string prepare_exec(const Process& p, int preserve_fds);
// Returns only by throwing.
[[noreturn]] void execve_process(const std::string& exe, const Process& p);

} // namespace ctr::rt

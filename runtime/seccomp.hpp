// linux.seccomp: the profile parsed and checked with config.json, then
// compiled with libseccomp in the container's init and loaded just before
// the process runs (before the uid switch when no_new_privs is off, since
// loading then needs CAP_SYS_ADMIN; else last, so fewer syscalls need
// allowing).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "json_view.hpp"

namespace ctr::rt {

struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0, value_two = 0;
    int op = 0;  // enum scmp_compare
};

struct SeccompRule {
    std::vector<std::string> names;
    uint32_t action = 0;  // libseccomp action, errno folded in
    std::vector<SeccompArg> args;
};

struct SeccompProfile {
    uint32_t default_action = 0;
    std::vector<uint32_t> architectures;  // libseccomp SCMP_ARCH_* tokens
    bool log = false, spec_allow = false, tsync = false;
    std::vector<SeccompRule> rules;
    // SCMP_ACT_NOTIFY: the filter's notification fd goes to the process
    // listening on listener_path, with the container's state.
    bool notify = false;
    std::string listener_path;
    std::string listener_metadata;
};

// Checks every name (actions, operators, architectures, flags) now, so a
// bad profile fails create before anything runs.
SeccompProfile parse_seccomp(const JsonView& v);

// Names libseccomp knows, for `features`.
std::vector<std::string> seccomp_action_names();
std::vector<std::string> seccomp_operator_names();
std::vector<std::string> seccomp_arch_names();

// A compiled filter, loaded by load(). Syscall names this kernel's libseccomp
// does not know are skipped, as runc does.
class SeccompFilter {
public:
    explicit SeccompFilter(const SeccompProfile& p);
    ~SeccompFilter();
    SeccompFilter(const SeccompFilter&) = delete;
    SeccompFilter& operator=(const SeccompFilter&) = delete;

    void load();
    bool loaded() const { return loaded_; }
    bool notify() const { return notify_; }
    // After load(), for a profile with SCMP_ACT_NOTIFY rules.
    UniqueFd notify_fd() const;
    // Writes the compiled BPF program to fd (for tests and the fuzz harness).
    void export_bpf(int fd) const;

private:
    void* ctx_;
    bool loaded_ = false;
    bool notify_ = false;
};

// Sends the notification fd to the listener at listenerPath with the
// runtime-spec's container process state: {"ociVersion", "fds":
// ["seccompFd"], "pid", "metadata", "state"} in one message, fd attached.
// pid is the process the filter is on (init, or an exec'd process).
void send_to_listener(const SeccompProfile& p, const std::string& state_json, pid_t pid, int notify_fd);

} // namespace ctr::rt

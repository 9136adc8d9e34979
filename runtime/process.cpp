#include "process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <sstream>

#include "caps.hpp"
#include "error.hpp"
#include "file.hpp"
#include "lsm.hpp"
#include "proc.hpp"

namespace ctr::rt {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

} // namespace

void set_rlimits(const Process& p)
{
    for (const auto& r : p.rlimits) {
        struct rlimit lim = {r.soft, r.hard};
        if (::setrlimit(r.resource, &lim) == 0)
            continue;
        int err = errno;
        struct rlimit cur = {};
        ::getrlimit(r.resource, &cur);
        if (err == EPERM && r.hard > cur.rlim_max)
            throw Error(fmt::format("process.rlimits: {} hard limit {} is above this host's limit {} "
                                    "(raising it needs CAP_SYS_RESOURCE)", r.type, r.hard, cur.rlim_max),
                        err);
        throw Error(fmt::format("process.rlimits: set {} to {}/{}", r.type, r.soft, r.hard), err);
    }
}

void set_oom_score_adj(const Process& p)
{
    if (!p.oom_score_adj)
        return;
    try {
        write_existing_file("/proc/self/oom_score_adj", std::to_string(*p.oom_score_adj));
    } catch (const Error& e) {
        std::string cur = read_file("/proc/self/oom_score_adj");
        while (!cur.empty() && cur.back() == '\n')
            cur.pop_back();
        throw Error(fmt::format("process.oomScoreAdj: set {} (current value {}; lowering it needs "
                                "CAP_SYS_RESOURCE)", *p.oom_score_adj, cur), e.err());
    }
}

void set_scheduling(const Process& p)
{
    if (p.scheduler)
        set_scheduler(*p.scheduler);
    if (p.io_priority)
        set_io_priority(*p.io_priority);
}

void join_session_keyring(const std::string& id, bool no_new_keyring)
{
    if (no_new_keyring)
        return;
    constexpr int kJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING
    std::string name = "_ses." + id;
    if (::syscall(SYS_keyctl, kJoinSessionKeyring, name.c_str()) < 0 && errno != ENOSYS)
        throw_errno("join session keyring " + name);
}

void load_seccomp(SeccompFilter& filter, const SyncSocket& sync)
{
    filter.load();
    if (filter.notify())
        sync.send(Msg::SeccompFd, "", 0, filter.notify_fd().get());
}

void switch_user(const Process& p)
{
    const Capabilities none;
    const Capabilities& caps = p.capabilities ? *p.capabilities : none;
    apply_bounding_set(caps);
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        throw_errno("prctl PR_SET_KEEPCAPS");
    const User& u = p.user;
    // A user namespace made without privilege has setgroups denied: the
    // groups stay as inherited, which is all a rootless container can have.
    if (::setgroups(u.additional_gids.size(), u.additional_gids.data()) < 0 &&
        !(errno == EPERM && u.additional_gids.empty()))
        throw_errno("process.user.additionalGids: setgroups");
    if (::setresgid(u.gid, u.gid, u.gid) < 0)
        throw_errno(fmt::format("process.user.gid: setgid {}", u.gid));
    if (::setresuid(u.uid, u.uid, u.uid) < 0)
        throw_errno(fmt::format("process.user.uid: setuid {}", u.uid));
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        throw_errno("prctl PR_SET_KEEPCAPS");
    apply_capability_sets(caps);
    ::umask(u.umask.value_or(022));
}

void seal_fds(int preserve_fds)
{
    unsigned first = 3 + static_cast<unsigned>(preserve_fds);
    if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        throw_errno("close_range");
    for (int fd = 3; fd < static_cast<int>(first); fd++) {
        int flags = ::fcntl(fd, F_GETFD);
        if (flags < 0)
            throw_errno(fmt::format("--preserve-fds: fd {}", fd));
        ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
}


std::string find_executable(const std::string& name, const std::vector<std::string>& env)
{
    auto usable = [](const std::string& path) {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
    };
    if (name.find('/') != std::string::npos) {
        struct stat st;
        if (::stat(name.c_str(), &st) < 0)
            throw_errno("process.args[0]: exec " + name);
        if (!S_ISREG(st.st_mode) || ::access(name.c_str(), X_OK) < 0)
            throw_errno("process.args[0]: exec " + name, S_ISREG(st.st_mode) ? errno : EACCES);
        return name;
    }
    std::string path = kDefaultPath;
    for (const auto& e : env)
        if (e.rfind("PATH=", 0) == 0)
            path = e.substr(5);
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (usable(candidate))
            return candidate;
    }
    fail("process.args[0]: executable \"{}\" not found in $PATH ({})", name, path);
}

pid_t fork_in_pid_namespace(const std::function<void()>& enter, const std::string& what,
                            int clone_flags)
{
    UniqueFd own;
    if (enter) {
        own = open_or_throw("/proc/self/ns/pid", O_RDONLY);
        enter();
    }
    // A raw clone (as crun does) where namespaces come with the child: glibc's
    // fork has no flags. ctr-run is single-threaded, so nothing glibc caches
    // per thread matters in the child.
    pid_t pid = clone_flags ? static_cast<pid_t>(::syscall(SYS_clone, clone_flags | SIGCHLD, 0, 0, 0, 0))
                            : ::fork();
    if (pid != 0 && own && ::setns(own.get(), CLONE_NEWPID) < 0)
        throw_errno("return to own pid namespace");
    if (pid < 0)
        throw_errno(what);
    return pid;
}

std::string prepare_exec(const Process& p, int preserve_fds)
{
    if (::chdir(p.cwd.c_str()) < 0)
        throw_errno("process.cwd: chdir to " + p.cwd);
    // CVE-2024-21626: a cwd like /proc/self/fd/N can name a directory of the
    // host through an fd we still hold; the kernel then has no path for it
    // below our root (getcwd says "(unreachable)" or ENOENT).
    char here[PATH_MAX];
    long n = ::syscall(SYS_getcwd, here, sizeof here);
    if (n <= 0 || here[0] != '/')
        fail("process.cwd: {} is outside the container's root", p.cwd);
    std::string exe = find_executable(p.args[0], p.env);
    if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        throw_errno("process.noNewPrivileges");
    set_exec_labels(p);
    seal_fds(preserve_fds);
    return exe;
}

void execve_process(const std::string& exe, const Process& p)
{
    std::vector<std::string> args = p.args;
    std::vector<std::string> env = p.env;
    auto argv = exec_array(args);
    auto envp = exec_array(env);
    ::execve(exe.c_str(), argv.data(), envp.data());
    throw_errno("exec " + exe);
}

} // namespace ctr::rt

#include "init.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sstream>

#include "caps.hpp"
#include "console.hpp"
#include "error.hpp"
#include "file.hpp"
#include "hooks.hpp"
#include "json_view.hpp"
#include "log.hpp"
#include "proc.hpp"
#include "rootfs.hpp"

namespace ctr::rt {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void join_namespaces(const InitArgs& a)
{
    for (const auto& [fd, type] : a.join)
        if (::setns(fd, type) < 0)
            throw_errno("linux.namespaces: join namespace");
}

void set_names(const Spec& spec)
{
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
        throw_errno("hostname: set \"" + spec.hostname + "\"");
    if (spec.domainname && ::setdomainname(spec.domainname->data(), spec.domainname->size()) < 0)
        throw_errno("domainname: set \"" + *spec.domainname + "\"");
}

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

void join_session_keyring(const InitArgs& a)
{
    if (a.no_new_keyring)
        return;
    constexpr int kJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING
    std::string name = "_ses." + a.id;
    if (::syscall(SYS_keyctl, kJoinSessionKeyring, name.c_str()) < 0 && errno != ENOSYS)
        throw_errno("join session keyring " + name);
}

void switch_user(const Process& p)
{
    const Capabilities none;
    const Capabilities& caps = p.capabilities ? *p.capabilities : none;
    apply_bounding_set(caps);
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        throw_errno("prctl PR_SET_KEEPCAPS");
    const User& u = p.user;
    if (::setgroups(u.additional_gids.size(), u.additional_gids.data()) < 0)
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

// Only stdio and the preserved fds (3 .. 3+N-1) may reach the container's process.
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

// Blocks until `ctr-run start` opens exec.fifo for reading. The fifo stays
// open (close-on-exec): start reads until EOF, which comes when execve has
// succeeded, or finds the error text written there when it has not.
UniqueFd wait_for_start(int state_dir)
{
    UniqueFd fifo(::openat(state_dir, "exec.fifo", O_WRONLY | O_CLOEXEC));
    if (!fifo)
        throw_errno("open exec.fifo");
    if (::write(fifo.get(), "0", 1) != 1)
        throw_errno("write exec.fifo");
    return fifo;
}

// Hooks run inside the container see the pid as the container sees it, as runc does.
std::string state_seen_inside(const std::string& state_json)
{
    Json state = Json::parse(state_json);
    state["pid"] = ::getpid();
    return state.dump();
}

// Up to the point where create returns: failures go back to the parent.
// Waits until the parent has put init in the container's cgroup; a new
// cgroup namespace must be made after that, to be rooted there.
std::string enter_cgroup(InitArgs& a)
{
    std::string state_json = state_seen_inside(a.sync.expect(Msg::CgroupJoined).text);
    if (a.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) < 0)
        throw_errno("linux.namespaces: new cgroup namespace");
    return state_json;
}

// Up to the point where create returns: failures go back to the parent.
std::string setup(InitArgs& a, std::string& state_json)
{
    const Spec& spec = *a.spec;
    const Hooks& hooks = spec.hooks;
    join_namespaces(a);
    if (::setsid() < 0)
        throw_errno("setsid");
    ::umask(022);
    set_names(spec);
    prepare_rootfs(spec, *a.cgroup);
    // The parent's cgroup join overlaps with this setup: on v1 its first write
    // can wait out an RCU grace period. Hook processes forked here must start
    // inside the cgroup, so with hooks init waits for the join before them.
    bool early_hooks = !hooks.prestart.empty() || !hooks.create_runtime.empty() ||
                       !hooks.create_container.empty();
    if (early_hooks) {
        state_json = enter_cgroup(a);
        if (!hooks.prestart.empty() || !hooks.create_runtime.empty()) {
            a.sync.send(Msg::CreateHooks);
            a.sync.expect(Msg::HooksDone);
        }
        run_hooks(hooks.create_container, "createContainer", state_json);
    }
    enter_rootfs(spec, a.no_pivot);
    write_sysctls(spec);
    if (spec.process.terminal) {
        Pty pty = open_pty(spec.process.console_size);
        bind_console(pty.slave.get());
        a.sync.send(Msg::Pty, "", 0, pty.master.get());
        attach_to_terminal(pty.slave.get());
    }
    finish_rootfs(spec);
    set_rlimits(spec.process);
    set_oom_score_adj(spec.process);
    join_session_keyring(a);
    if (!early_hooks)
        state_json = enter_cgroup(a);
    switch_user(spec.process);
    if (::chdir(spec.process.cwd.c_str()) < 0)
        throw_errno("process.cwd: chdir to " + spec.process.cwd);
    std::string exe = find_executable(spec.process.args[0], spec.process.env);
    if (spec.process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        throw_errno("process.noNewPrivileges");
    seal_fds(a.preserve_fds);
    return exe;
}

} // namespace

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

void run_init(InitArgs& a)
{
    bool created = false;
    UniqueFd fifo;
    try {
        // Until create returns, init must not outlive a ctr-run that died.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        std::string state_json;
        std::string exe = setup(a, state_json);
        ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        a.sync.send(Msg::Created);
        created = true;
        a.sync.close();
        fifo = wait_for_start(a.state_dir);
        run_hooks(a.spec->hooks.start_container, "startContainer", state_json);
        std::vector<std::string> args = a.spec->process.args;
        std::vector<std::string> env = a.spec->process.env;
        auto argv = exec_array(args);
        auto envp = exec_array(env);
        ::execve(exe.c_str(), argv.data(), envp.data());
        throw_errno("exec " + exe);
    } catch (const Error& e) {
        if (!created) {
            try {
                a.sync.send_error(e);
            } catch (...) {
            }
            _exit(1);
        }
        log::error(e.what());
        if (fifo)
            write_all(fifo.get(), e.what(), "exec.fifo");
        _exit(127);
    } catch (const std::exception& e) {
        if (!created) {
            try {
                a.sync.send_error(Error(e.what()));
            } catch (...) {
            }
        }
        _exit(1);
    }
}

} // namespace ctr::rt

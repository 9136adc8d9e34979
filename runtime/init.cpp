#include "init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>


#include "console.hpp"
#include "error.hpp"
#include "file.hpp"
#include "hooks.hpp"
#include "json_view.hpp"
#include "log.hpp"
#include "process.hpp"
#include "personality.hpp"
#include "rootfs.hpp"
#include "seccomp.hpp"
#include "userns.hpp"

namespace ctr::rt {

namespace {

// User namespace first: the namespaces made after it belong to it, so
// init has privilege over them.
void make_namespaces(const InitArgs& a)
{
    if (a.join_user >= 0 && ::setns(a.join_user, CLONE_NEWUSER) < 0)
        throw_errno("linux.namespaces: join user namespace");
    if (a.new_user)
        a.sync.expect(Msg::UsernsMapped);
    if (a.new_user || a.join_user >= 0 || a.entered_user) {
        become_namespace_root();
        // Non-dumpable, our /proc/self files stay owned by the host's root,
        // which this namespace cannot reach (timens_offsets, oom_score_adj).
        // ctr-run's binary is safe from the container here anyway: its owner
        // is not mapped, so nothing in the namespace can write it.
        ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    }
    if (a.unshare_flags && ::unshare(a.unshare_flags) < 0)
        throw_errno("linux.namespaces: unshare");
    if (a.unshare_flags & CLONE_NEWTIME)
        write_time_offsets(a.spec->linux.time_offsets);
}

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
std::string setup(InitArgs& a, std::string& state_json, SeccompFilter* filter)
{
    const Spec& spec = *a.spec;
    const Hooks& hooks = spec.hooks;
    make_namespaces(a);
    join_namespaces(a);
    if (::setsid() < 0)
        throw_errno("setsid");
    ::umask(022);
    set_names(spec);
    // A systemd scope's directories exist only once the parent has had
    // systemd make it: the /sys/fs/cgroup binds must wait for that.
    bool joined = a.cgroup->systemd();
    if (joined)
        state_json = enter_cgroup(a);
    prepare_rootfs(spec, *a.cgroup, a.idmapped);
    // The parent's cgroup join overlaps with this setup: on v1 its first write
    // can wait out an RCU grace period. Hook processes forked here must start
    // inside the cgroup, so with hooks init waits for the join before them.
    bool early_hooks = !hooks.prestart.empty() || !hooks.create_runtime.empty() ||
                       !hooks.create_container.empty();
    if (early_hooks) {
        if (!joined)
            state_json = enter_cgroup(a);
        joined = true;
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
    set_scheduling(spec.process);
    if (spec.linux.personality)
        set_personality(*spec.linux.personality);
    join_session_keyring(a.id, a.no_new_keyring);
    if (!joined)
        state_json = enter_cgroup(a);
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the uid switch.
    if (filter && !spec.process.no_new_privileges)
        load_seccomp(*filter, a.sync);
    switch_user(spec.process);
    std::string exe = prepare_exec(spec.process, a.preserve_fds);
    // A notifying filter's fd must reach the listener through the parent,
    // which is gone once create returns: loaded now.
    if (filter && filter->notify() && !filter->loaded())
        load_seccomp(*filter, a.sync);
    return exe;
}

} // namespace

void run_init(InitArgs& a)
{
    bool created = false;
    UniqueFd fifo;
    try {
        // Until create returns, init must not outlive a ctr-run that died.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        std::string state_json;
        std::optional<SeccompFilter> filter;
        if (a.spec->linux.seccomp)
            filter.emplace(*a.spec->linux.seccomp);
        std::string exe = setup(a, state_json, filter ? &*filter : nullptr);
        ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        a.sync.send(Msg::Created);
        created = true;
        a.sync.close();
        fifo = wait_for_start(a.state_dir);
        // With no_new_privs, as late as can be: fewer syscalls need allowing.
        if (filter && !filter->loaded())
            filter->load();
        run_hooks(a.spec->hooks.start_container, "startContainer", state_json);
        execve_process(exe, a.spec->process);
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

// `create`: reserve the state, make the cgroup, fork init into its
// namespaces, answer its requests until it reports "created".
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

#include "caps.hpp"
#include "console.hpp"
#include "container.hpp"
#include "error.hpp"
#include "file.hpp"
#include "hooks.hpp"
#include "init.hpp"
#include "log.hpp"
#include "lsm.hpp"
#include "mount.hpp"
#include "proc.hpp"
#include "process.hpp"
#include "scope.hpp"
#include "seccomp.hpp"
#include "selfexe.hpp"
#include "spec.hpp"
#include "systemd.hpp"
#include "unix_socket.hpp"
#include "userns.hpp"

namespace ctr::rt {

namespace {

struct NamespaceKind {
    const char* type;
    int flag;
};

// In the order they are joined: user first (the others may belong to it),
// mount last (the paths of the others are host paths).
const NamespaceKind kNamespaces[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},
    {"network", CLONE_NEWNET}, {"pid", CLONE_NEWPID},     {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME}, {"mount", CLONE_NEWNS},
};

std::string absolute_dir(const std::string& path)
{
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf))
        throw_errno("bundle " + path);
    return buf;
}

UniqueFd open_namespace(const Namespace& ns, int flag)
{
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw_errno("linux.namespaces: " + ns.type + " namespace " + ns.path);
    int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type < 0)
        throw_errno("linux.namespaces: " + ns.path + " is not a namespace file");
    if (type != flag)
        fail("linux.namespaces: {} is not a {} namespace", ns.path, ns.type);
    return fd;
}

struct NamespacePlan {
    int unshare_flags = 0;          // new namespaces made by init itself
    bool new_user = false;          // made with init (clone), so it owns the others
    UniqueFd join_user;             // entered by init first
    bool new_pid = false;
    UniqueFd join_pid;              // entered by the parent around fork()
    std::vector<UniqueFd> join_fds; // entered by init, mount last
    std::vector<std::pair<int, int>> join;
    bool new_cgroup = false;
};

NamespacePlan plan_namespaces(const Spec& spec)
{
    NamespacePlan plan;
    for (const auto& kind : kNamespaces) {
        const Namespace* ns = spec.linux.find_namespace(kind.type);
        if (!ns)
            continue;
        if (ns->path.empty()) {
            if (kind.flag == CLONE_NEWUSER)
                plan.new_user = true;
            else if (kind.flag == CLONE_NEWPID)
                plan.new_pid = true;
            else if (kind.flag == CLONE_NEWCGROUP)
                plan.new_cgroup = true;
            else
                plan.unshare_flags |= kind.flag;
            continue;
        }
        UniqueFd fd = open_namespace(*ns, kind.flag);
        if (kind.flag == CLONE_NEWPID) {
            plan.join_pid = std::move(fd);
            continue;
        }
        if (kind.flag == CLONE_NEWUSER) {
            plan.join_user = std::move(fd);
            continue;
        }
        plan.join.emplace_back(fd.get(), kind.flag);
        plan.join_fds.push_back(std::move(fd));
    }
    return plan;
}

// fork() with the child placed in the container's pid namespace.
pid_t fork_into_pid_namespace(NamespacePlan& plan)
{
    std::function<void()> enter;
    if (plan.new_pid)
        enter = [] {
            if (::unshare(CLONE_NEWPID) < 0)
                throw_errno("linux.namespaces: new pid namespace");
        };
    else if (plan.join_pid)
        enter = [&] {
            if (::setns(plan.join_pid.get(), CLONE_NEWPID) < 0)
                throw_errno("linux.namespaces: join pid namespace");
        };
    int clone_flags = 0;
    if (plan.new_user)
        clone_flags = CLONE_NEWUSER | (plan.new_pid ? CLONE_NEWPID : 0);
    if (clone_flags & CLONE_NEWPID)
        enter = nullptr;
    return fork_in_pid_namespace(enter, "fork container init", clone_flags);
}

void make_fifo(const std::string& path)
{
    if (::mkfifo(path.c_str(), 0622) < 0)
        throw_errno("mkfifo " + path);
    // Writable by the container's user, whoever it is; the umask would hide that.
    if (::chmod(path.c_str(), 0622) < 0)
        throw_errno("chmod " + path);
}

void check_options(const Spec& spec, const CreateOptions& opts)
{
    if (opts.preserve_fds < 0)
        fail("--preserve-fds: must not be negative");
    if (opts.systemd_cgroup)
        require_systemd();
    if (spec.process.terminal && opts.console_socket.empty() && !opts.foreground)
        fail("process.terminal is true: --console-socket is required to receive the pty");
    if (!spec.process.terminal && !opts.console_socket.empty())
        fail("--console-socket: process.terminal is false, there is no pty to send");
    struct stat st;
    if (::stat(spec.root_path.c_str(), &st) < 0)
        throw_errno("root.path: " + spec.root_path);
    if (!S_ISDIR(st.st_mode))
        fail("root.path: {} is not a directory", spec.root_path);
    if (spec.process.capabilities)
        validate_capabilities(*spec.process.capabilities);
    check_lsm(spec.process, "process");
    struct stat rdt;
    if (spec.linux.intel_rdt && ::stat("/sys/fs/resctrl/schemata", &rdt) < 0)
        fail("linux.intelRdt: Intel RDT needs the resctrl filesystem at /sys/fs/resctrl, which this host lacks");
    if (spec.linux.intel_rdt)
        fail("linux.intelRdt: not supported by ctr-run yet");
}

// Like runc, a user without privilege over the cgroup tree runs the
// container without a cgroup of its own, as long as it asks for no limits.
bool create_cgroup_or_go_without(Cgroup& cgroup, const Spec& spec)
{
    try {
        cgroup.create();
        return true;
    } catch (const Error& e) {
        bool denied = e.err() == EACCES || e.err() == EPERM || e.err() == EROFS;
        if (::geteuid() == 0 || !denied)
            throw;
        if (spec.linux.has_resources)
            throw Error(std::string(e.what()) + " (linux.resources needs a cgroup this user may create)", e.err());
        log::debug(fmt::format("no cgroup: {}", e.what()));
        cgroup.forget();
        return false;
    }
}

// Idmapped binds are cut from the host's tree here, where we have privilege
// over its filesystems; init (maybe in a user namespace) attaches them.
std::vector<UniqueFd> prepare_idmapped_mounts(const Spec& spec)
{
    std::vector<UniqueFd> out;
    for (const auto& m : spec.mounts) {
        out.emplace_back();
        if (!m.idmap)
            continue;
        bool own = !m.uid_mappings.empty();
        UniqueFd userns = make_user_namespace(own ? m.uid_mappings : spec.linux.uid_mappings,
                                              own ? m.gid_mappings : spec.linux.gid_mappings);
        bool rbind = std::find(m.options.begin(), m.options.end(), "rbind") != m.options.end();
        UniqueFd tree = mnt::clone_tree(m.source, rbind);
        mnt::set_idmap(tree.get(), userns.get(), m.idmap_recursive, m.destination);
        out.back() = std::move(tree);
    }
    return out;
}

// The parent's side of init's setup, until init says it is created.
void serve_init(const SyncSocket& sync, const Spec& spec, const std::string& state_json,
                int console_socket, Created& out, pid_t pid)
{
    for (;;) {
        Message m = sync.recv();
        switch (m.type) {
        case Msg::CreateHooks:
            run_hooks(spec.hooks.prestart, "prestart", state_json);
            run_hooks(spec.hooks.create_runtime, "createRuntime", state_json);
            sync.send(Msg::HooksDone);
            break;
        case Msg::Pty:
            if (!m.fd)
                fail("container init sent no pty");
            if (console_socket >= 0)
                send_console(console_socket, m.fd.get());
            else
                out.pty_master = std::move(m.fd);
            break;
        case Msg::SeccompFd:
            if (!m.fd || !spec.linux.seccomp)
                fail("container init sent no seccomp notification fd");
            send_to_listener(*spec.linux.seccomp, state_json, pid, m.fd.get());
            break;
        case Msg::Created:
            return;
        case Msg::Failed:
            throw Error(m.text, m.err);
        default:
            fail("container init sent an unexpected {} message", msg_name(m.type));
        }
    }
}

// A joined user namespace must own the new pid namespace, or init could
// not mount proc; only a process inside it can make that namespace. So a
// helper joins it, unshares the pid namespace, and clones init as our
// child (CLONE_PARENT), as runc's nsexec does; it reports init's pid and exits.
pid_t fork_init_through_user_namespace(NamespacePlan& ns, InitArgs& args, SyncSocket& parent_sock)
{
    pid_t helper = ::fork();
    if (helper < 0)
        throw_errno("fork container init");
    if (helper == 0) {
        parent_sock.close();
        if (::setns(ns.join_user.get(), CLONE_NEWUSER) < 0 || ::unshare(CLONE_NEWPID) < 0) {
            args.sync.send_error(Error("linux.namespaces: join the user namespace, make the pid namespace", errno));
            _exit(1);
        }
        args.join_user = -1;
        args.entered_user = true;
        pid_t init = static_cast<pid_t>(::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0));
        if (init == 0)
            run_init(args);
        if (init < 0)
            args.sync.send_error(Error("clone container init", errno));
        else
            args.sync.send(Msg::InitPid, std::to_string(init));
        _exit(init < 0);
    }
    while (::waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
    }
    return std::stoi(parent_sock.expect(Msg::InitPid).text);
}

// Forks init; in the child, never returns.
pid_t fork_init(NamespacePlan& ns, InitArgs& args, SyncSocket& parent_sock)
{
    if (ns.join_user && ns.new_pid)
        return fork_init_through_user_namespace(ns, args, parent_sock);
    pid_t pid = fork_into_pid_namespace(ns);
    if (pid != 0)
        return pid;
    parent_sock.close();
    run_init(args);
}

ContainerState describe(const CreateOptions& opts, const Spec& spec, const Cgroup& cgroup,
                        const NamespacePlan& ns, pid_t pid)
{
    ContainerState st;
    st.id = opts.id;
    st.pid = pid;
    auto stat = read_proc_stat(pid);
    if (!stat)
        fail("container init exited during setup");
    st.start_time = stat->start_time;
    st.bundle = spec.bundle;
    st.rootfs = spec.root_path;
    st.created = log::now_rfc3339();
    st.annotations = spec.annotations;
    st.hooks = spec.hooks_json;
    st.cgroup = cgroup;
    st.own_pid_ns = ns.new_pid;
    if (opts.monitored) {
        st.monitor = ::getpid();
        st.monitor_start = read_proc_stat(st.monitor)->start_time;
    }
    return st;
}

} // namespace

Created create_container(const StateStore& store, const CreateOptions& opts)
{
    validate_id(opts.id);
    Spec spec = load_spec(absolute_dir(opts.bundle));
    log::debug(fmt::format("create {}: bundle {}", opts.id, spec.bundle));
    check_options(spec, opts);
    // Before anything is made: the re-exec runs this command again from the start.
    // A monitor's parent (run -d) did it before forking.
    if (!opts.monitored && may_reach_binary(spec))
        reexec_protected();
    Cgroup cgroup = Cgroup::plan(spec.linux.cgroups_path, opts.id, opts.systemd_cgroup);
    NamespacePlan ns = plan_namespaces(spec);
    UniqueFd console;
    if (!opts.console_socket.empty())
        console = unix_connect(opts.console_socket);

    store.reserve(opts.id);
    ScopeGuard remove_state([&] { store.remove(opts.id); });
    make_fifo(store.fifo(opts.id));
    UniqueFd state_dir = open_or_throw(store.dir(opts.id), O_PATH | O_DIRECTORY);
    bool cgroup_made = false;
    ScopeGuard remove_cgroup([&] {
        if (cgroup_made)
            cgroup.destroy();
    });
    auto make_cgroup = [&] {
        cgroup_made = true;
        if (!create_cgroup_or_go_without(cgroup, spec))
            return;
        cgroup.apply_device_rules(spec.linux.device_rules, spec.linux.devices);
        apply_resources(cgroup, spec.linux.resources);
    };
    // systemd makes a scope around a process that exists, and writes its
    // defaults when it does: our limits go in after it.
    std::unique_ptr<SystemdSession> systemd;
    if (cgroup.systemd())
        systemd = std::make_unique<SystemdSession>();
    else
        make_cgroup();

    auto [parent_sock, init_sock] = SyncSocket::pair();
    InitArgs args{&spec,         &cgroup,         std::move(init_sock), state_dir.get(),
                  ns.join,       ns.new_cgroup,   opts.no_pivot,        opts.no_new_keyring,
                  opts.preserve_fds, opts.id,     ns.unshare_flags,     ns.new_user,
                  ns.join_user.get(), prepare_idmapped_mounts(spec)};
    pid_t pid = fork_init(ns, args, parent_sock);
    args.sync.close();
    log::debug(fmt::format("create {}: init is pid {}", opts.id, pid));
    Created out;
    out.pidfd = pidfd_open(pid);
    ScopeGuard kill_init([&] {
        pidfd_send_signal(out.pidfd.get(), SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    });
    try {
        if (ns.new_user) {
            write_id_maps(pid, spec.linux.uid_mappings, spec.linux.gid_mappings);
            parent_sock.send(Msg::UsernsMapped);
        }
        out.state = describe(opts, spec, cgroup, ns, pid);
        if (cgroup.systemd()) {
            cgroup_made = true;
            systemd->start_scope(cgroup.scope(), pid, opts.id);
            make_cgroup();
        }
        cgroup.join(pid);
        parent_sock.send(Msg::CgroupJoined, out.state.oci(Status::Creating).dump());
    } catch (const Error&) {
        // Init may have failed already (its mounts run while we join the
        // cgroup): its reason is queued on the socket and is the error to
        // report. Else it waits for us: stop it so the socket reaches EOF.
        pidfd_send_signal(out.pidfd.get(), SIGKILL);
        parent_sock.recv_error();
        throw;
    }
    serve_init(parent_sock, spec, out.state.oci(Status::Creating).dump(), console.get(), out, pid);

    store.save(out.state);
    log::debug(fmt::format("create {}: created, init waits on exec.fifo", opts.id));
    if (!opts.pid_file.empty())
        write_file_atomic(opts.pid_file, std::to_string(pid), 0644, false);
    kill_init.dismiss();
    remove_cgroup.dismiss();
    remove_state.dismiss();
    return out;
}

} // namespace ctr::rt

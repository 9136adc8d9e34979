#include "exec.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>

#include "caps.hpp"
#include "console.hpp"
#include "error.hpp"
#include "file.hpp"
#include "foreground.hpp"
#include "log.hpp"
#include "lsm.hpp"
#include "personality.hpp"
#include "proc.hpp"
#include "process.hpp"
#include "scope.hpp"
#include "seccomp.hpp"
#include "selfexe.hpp"
#include "sync.hpp"
#include "unix_socket.hpp"

namespace ctr::rt {

namespace {

struct NsType {
    const char* name;  // under /proc/PID/ns
    int flag;
};

// The pid namespace is entered around fork(); these are entered by the child.
const NsType kJoined[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},       {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},   {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

bool same_namespace(pid_t pid, const char* name)
{
    struct stat theirs, ours;
    std::string path = fmt::format("/proc/{}/ns/{}", pid, name);
    if (::stat(path.c_str(), &theirs) < 0)
        return errno == ENOENT;  // a namespace type this kernel lacks
    std::string own = std::string("/proc/self/ns/") + name;
    if (::stat(own.c_str(), &ours) < 0)
        throw_errno("stat " + own);
    return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

// The CLONE_NEW* flags of the namespaces where init differs from us.
int namespaces_to_join(pid_t pid)
{
    int flags = 0;
    for (const auto& ns : kJoined)
        if (!same_namespace(pid, ns.name))
            flags |= ns.flag;
    return flags;
}

void set_env(std::vector<std::string>& env, const std::string& entry)
{
    size_t eq = entry.find('=');
    if (eq == 0 || eq == std::string::npos)
        fail("--env: \"{}\" is not NAME=VALUE", entry);
    for (auto& e : env)
        if (e.compare(0, eq + 1, entry, 0, eq + 1) == 0) {
            e = entry;
            return;
        }
    env.push_back(entry);
}

uint32_t parse_id(std::string_view s, const std::string& what)
{
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
        fail("--user: \"{}\" is not a numeric {}", s, what);
    return v;
}

void apply_user(User& u, const std::string& spec)
{
    size_t colon = spec.find(':');
    u.uid = parse_id(std::string_view(spec).substr(0, colon), "uid");
    u.gid = colon == std::string::npos ? 0 : parse_id(std::string_view(spec).substr(colon + 1), "gid");
}

// runc's --cap: added to the bounding, effective and permitted sets, and to
// the ambient set when the process has inheritable ones.
void add_capabilities(Process& p, const std::vector<std::string>& caps)
{
    if (caps.empty())
        return;
    if (!p.capabilities)
        p.capabilities = Capabilities{};
    Capabilities& c = *p.capabilities;
    for (const auto& cap : caps) {
        for (auto* set : {&c.bounding, &c.effective, &c.permitted})
            set->push_back(cap);
        if (!c.inheritable.empty())
            c.ambient.push_back(cap);
    }
}

Process read_process_file(const std::string& file)
{
    std::string text;
    try {
        text = file == "-" ? read_fd(STDIN_FILENO, "stdin") : read_file(file);
    } catch (const Error& e) {
        throw Error("--process: read " + file, e.err());
    }
    return parse_process(JsonView(parse_json(text, file), "process"));
}

ContainerState load_execable(const StateStore& store, const ExecOptions& o)
{
    ContainerState st = store.load(o.id);
    Status s = store.status(st);
    if (s == Status::Paused && !o.ignore_paused)
        fail("cannot exec in container \"{}\": it is paused (resume it first)", o.id);
    if (s != Status::Created && s != Status::Running && s != Status::Paused)
        fail("cannot exec in container \"{}\": it is {}", o.id, status_name(s));
    return st;
}

void check_options(const ExecOptions& o, const Process& p)
{
    if (o.preserve_fds < 0)
        fail("--preserve-fds: must not be negative");
    if (p.terminal && o.console_socket.empty() && o.detach)
        fail("--tty with --detach needs --console-socket to receive the pty");
    if (!p.terminal && !o.console_socket.empty())
        fail("--console-socket: the process has no terminal (use --tty)");
    if (p.capabilities)
        validate_capabilities(*p.capabilities);
    check_lsm(p, "process");
}

// The container's config.json: the base of the process, and its seccomp filter.
Json read_container_config(const std::string& bundle)
{
    std::string config = bundle + "/config.json";
    try {
        return parse_json(read_file(config), config);
    } catch (const Error& e) {
        throw Error("exec: the container's settings: " + std::string(e.what()), e.err());
    }
}

// What of the container's linux section applies to exec'd processes too, as in runc.
struct ContainerLinux {
    std::optional<SeccompProfile> seccomp;
    std::optional<unsigned long> personality;
};

ContainerLinux container_linux(const Json& config)
{
    ContainerLinux out;
    JsonView root(config, "");
    auto linux = root.get("linux");
    if (!linux)
        return out;
    if (linux->get("seccomp") && !linux->at("seccomp").raw().empty())
        out.seccomp = parse_seccomp(linux->at("seccomp"));
    if (auto p = linux->get("personality"))
        out.personality = parse_personality(*p);
    return out;
}

// This process, or one already in the container, could open our /proc/PID/exe.
bool may_ptrace(const Process& p, const ContainerState& st)
{
    if (bounds_ptrace(p))
        return true;
    std::vector<pid_t> pids = st.cgroup.pids();
    pids.push_back(st.pid);
    return any_may_ptrace(pids);
}

struct Child {
    const Process* process;
    const ContainerLinux* container;
    int pidfd;        // of the container's init
    int root;         // O_PATH fd of init's root directory
    int console;      // the --console-socket connection, or -1
    int ns_flags;
    std::string id;
    int preserve_fds;
};

// Inside the container's pid namespace, before execve: setns, root, terminal, credentials.
std::string enter_container(const Child& c, const SyncSocket& sync)
{
    sync.expect(Msg::CgroupJoined);
    if (c.ns_flags && ::setns(c.pidfd, c.ns_flags) < 0)
        throw_errno("join the container's namespaces");
    // setns puts us at the mount namespace's root; init may be chrooted below it (--no-pivot).
    struct stat root, here;
    if (::fstat(c.root, &root) < 0 || ::stat("/", &here) < 0)
        throw_errno("stat the container's root");
    if ((root.st_dev != here.st_dev || root.st_ino != here.st_ino) &&
        (::fchdir(c.root) < 0 || ::chroot(".") < 0))
        throw_errno("chroot to the container's root");
    // The parent's fds of the host side go before anything runs in here.
    for (int fd : {c.root, c.pidfd, c.console})
        if (fd >= 0)
            ::close(fd);
    if (::setsid() < 0)
        throw_errno("setsid");
    const Process& p = *c.process;
    if (p.terminal) {
        Pty pty = open_pty(p.console_size);
        sync.send(Msg::Pty, "", 0, pty.master.get());
        attach_to_terminal(pty.slave.get());
    }
    set_rlimits(p);
    set_oom_score_adj(p);
    set_scheduling(p);
    if (c.container->personality)
        set_personality(*c.container->personality);
    join_session_keyring(c.id, false);
    std::optional<SeccompFilter> filter;
    if (c.container->seccomp)
        filter.emplace(*c.container->seccomp);
    if (filter && !p.no_new_privileges)
        load_seccomp(*filter, sync);
    switch_user(p);
    std::string exe = prepare_exec(p, c.preserve_fds);
    if (filter && p.no_new_privileges)
        load_seccomp(*filter, sync);
    return exe;
}

[[noreturn]] void run_child(const Child& c, SyncSocket& sync)
{
    try {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        std::string exe = enter_container(c, sync);
        ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        execve_process(exe, *c.process);
    } catch (const Error& e) {
        try {
            sync.send_error(e);
        } catch (...) {
        }
    } catch (const std::exception& e) {
        try {
            sync.send_error(Error(e.what()));
        } catch (...) {
        }
    }
    _exit(127);
}

// Until the child's socket closes on execve: put it in the cgroup, pass on
// its pty and its seccomp notification fd.
UniqueFd serve_child(const SyncSocket& sync, const ContainerState& st, pid_t pid, int console,
                     const ContainerLinux& container)
{
    st.cgroup.join(pid);
    sync.send(Msg::CgroupJoined);
    UniqueFd master;
    while (auto m = sync.recv_or_eof()) {
        if (m->type == Msg::Failed)
            throw Error(m->text, m->err);
        if (m->type == Msg::SeccompFd && m->fd && container.seccomp) {
            send_to_listener(*container.seccomp, st.oci(Status::Running).dump(), pid, m->fd.get());
            continue;
        }
        if (m->type != Msg::Pty || !m->fd)
            fail("exec: unexpected {} message from the process", msg_name(m->type));
        if (console >= 0)
            send_console(console, m->fd.get());
        else
            master = std::move(m->fd);
    }
    return master;
}

} // namespace

Process exec_process_spec(const ExecOptions& o, const Json& config)
{
    if (!o.process_file.empty()) {
        if (!o.args.empty())
            fail("exec: give either --process FILE or a command, not both");
        return read_process_file(o.process_file);
    }
    if (o.args.empty())
        fail("exec: a command to run is required (or --process FILE)");
    Process p = parse_process(JsonView(config, "").at("process"));
    p.args = o.args;
    p.terminal = o.tty;
    for (const auto& e : o.env)
        set_env(p.env, e);
    if (!o.cwd.empty()) {
        if (o.cwd[0] != '/')
            fail("--cwd: must be an absolute path, got \"{}\"", o.cwd);
        p.cwd = o.cwd;
    }
    if (!o.user.empty())
        apply_user(p.user, o.user);
    if (!o.additional_gids.empty())
        p.user.additional_gids = o.additional_gids;
    add_capabilities(p, o.caps);
    p.no_new_privileges = p.no_new_privileges || o.no_new_privs;
    return p;
}

int exec_in_container(const StateStore& store, const ExecOptions& o)
{
    ContainerState st = load_execable(store, o);
    Json config = read_container_config(st.bundle);
    Process process = exec_process_spec(o, config);
    check_options(o, process);
    if (same_namespace(st.pid, "user") && may_ptrace(process, st))
        reexec_protected();
    UniqueFd init = pidfd_open_alive(st.pid, st.start_time);
    if (!init)
        fail("cannot exec in container \"{}\": its init process has exited", o.id);
    UniqueFd root = open_or_throw(fmt::format("/proc/{}/root", st.pid), O_PATH | O_DIRECTORY);
    UniqueFd console;
    if (!o.console_socket.empty())
        console = unix_connect(o.console_socket);
    ContainerLinux container = container_linux(config);
    Child child{&process, &container, init.get(), root.get(), console.get(), namespaces_to_join(st.pid), o.id,
                o.preserve_fds};

    auto [parent_sock, child_sock] = SyncSocket::pair();
    std::function<void()> enter;
    if (!same_namespace(st.pid, "pid"))
        enter = [&] {
            if (::setns(init.get(), CLONE_NEWPID) < 0)
                throw_errno("join the container's pid namespace");
        };
    pid_t pid = fork_in_pid_namespace(enter, "fork");
    if (pid == 0) {
        parent_sock.close();
        run_child(child, child_sock);
    }
    child_sock.close();
    UniqueFd pidfd = pidfd_open(pid);
    ScopeGuard kill_child([&] {
        pidfd_send_signal(pidfd.get(), SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    });
    UniqueFd master;
    try {
        master = serve_child(parent_sock, st, pid, console.get(), container);
    } catch (const Error&) {
        parent_sock.recv_error();  // the child's own reason, if it left one
        throw;
    }
    kill_child.dismiss();
    log::debug(fmt::format("exec {}: pid {} runs {}", o.id, pid, process.args[0]));
    if (!o.pid_file.empty())
        write_file_atomic(o.pid_file, std::to_string(pid), 0644, false);
    if (o.detach)
        return 0;
    return wait_foreground({pid, pidfd.get(), master.get()});
}

} // namespace ctr::rt

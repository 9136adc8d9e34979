// start, kill and delete of a container created earlier, possibly by
// another ctr-run process: everything is found through the state directory.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "container.hpp"
#include "error.hpp"
#include "file.hpp"
#include "hooks.hpp"
#include "log.hpp"
#include "proc.hpp"

namespace ctr::rt {

namespace {

constexpr int kKillTimeoutMs = 10000;

// Consumes init's byte from exec.fifo: init then goes on to exec the process.
void release_init(const StateStore& store, const ContainerState& st)
{
    // Pin init first: once the fifo is open it may run its process and exit at once.
    UniqueFd pidfd = pidfd_open_alive(st.pid, st.start_time);
    if (!pidfd)
        fail("cannot start container \"{}\": its init process has exited", st.id);
    std::string fifo_path = store.fifo(st.id);
    UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo) {
        if (errno == ENOENT)
            fail("cannot start container \"{}\": it has already been started", st.id);
        throw_errno("open " + fifo_path);
    }
    struct pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    for (;;) {
        int n = ::poll(fds, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw_errno("poll exec.fifo");
        if (fds[0].revents & (POLLIN | POLLHUP))
            break;
        if (fds[1].revents & POLLIN)
            fail("cannot start container \"{}\": its init process exited before start", st.id);
    }
    char byte;
    ssize_t got = ::read(fifo.get(), &byte, 1);
    if (got != 1)
        fail("cannot start container \"{}\": it was started by someone else", st.id);
    ::unlink(fifo_path.c_str());
    // Init holds the fifo open until its execve: EOF means the process runs,
    // text means startContainer hooks or exec failed.
    ::fcntl(fifo.get(), F_SETFL, ::fcntl(fifo.get(), F_GETFL) & ~O_NONBLOCK);
    std::string error = read_fd(fifo.get(), fifo_path);
    if (!error.empty())
        fail("cannot start container \"{}\": {}", st.id, error);
}

Hooks stored_hooks(const ContainerState& st)
{
    return parse_hooks(JsonView(st.hooks, "hooks"));
}

void signal_cgroup(const ContainerState& st, int sig)
{
    for (pid_t pid : st.cgroup.pids())
        if (::kill(pid, sig) < 0 && errno != ESRCH)
            throw_errno(fmt::format("kill {} in container {}", pid, st.id));
}

// SIGKILL everything of the container and wait until init is gone and the
// cgroup is empty.
void kill_all_and_wait(const ContainerState& st)
{
    // Frozen tasks do not act on SIGKILL until thawed (cgroup v1).
    if (st.cgroup.frozen())
        st.cgroup.freeze(false);
    if (UniqueFd pidfd = pidfd_open_alive(st.pid, st.start_time)) {
        pidfd_send_signal(pidfd.get(), SIGKILL);
        if (!pidfd_wait_exit(pidfd.get(), kKillTimeoutMs))
            fail("container \"{}\": init {} did not exit after SIGKILL", st.id, st.pid);
    }
    // Without a pid namespace of its own, init's death does not take the rest along.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kKillTimeoutMs);
    for (int round = 0;; round++) {
        auto pids = st.cgroup.pids();
        if (pids.empty())
            return;
        signal_cgroup(st, SIGKILL);
        if (std::chrono::steady_clock::now() > deadline)
            fail("container \"{}\": processes still running after SIGKILL", st.id);
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << round, 50)));
    }
}

// The monitor of `run --detach` writes the exit file once init is gone:
// let it finish before the state directory goes.
void wait_for_monitor(const ContainerState& st)
{
    if (!st.monitor)
        return;
    if (UniqueFd mon = pidfd_open_alive(st.monitor, st.monitor_start))
        if (!pidfd_wait_exit(mon.get(), kKillTimeoutMs))
            fail("container \"{}\": its monitor process {} did not exit", st.id, st.monitor);
}

} // namespace

void start_container(const StateStore& store, const ContainerState& st)
{
    Status s = store.status(st);
    if (s != Status::Created)
        fail("cannot start container \"{}\": it is {}", st.id, status_name(s));
    release_init(store, st);
    log::debug(fmt::format("start {}: init released", st.id));
    run_hooks_warn(stored_hooks(st).poststart, "poststart", st.oci(Status::Running).dump());
}

// "container not running" is the phrase engines (containerd) look for.
void kill_container(const StateStore& store, const std::string& id, int sig, bool all)
{
    ContainerState st = store.load(id);
    if (all) {
        // As runc: whatever is left in the cgroup, even after init is gone
        // (a container without its own pid namespace keeps init's children).
        signal_cgroup(st, sig);
    } else {
        // The pidfd pins the process: it is still the container's init when signalled.
        UniqueFd pidfd = pidfd_open_alive(st.pid, st.start_time);
        if (!pidfd)
            fail("cannot kill container \"{}\": container not running", id);
        if (pidfd_send_signal(pidfd.get(), sig) < 0)
            throw_errno(fmt::format("kill container \"{}\" with {}", id, signal_name(sig)));
    }
    // Frozen tasks act on SIGKILL only once thawed: a kill ends a pause.
    if (sig == SIGKILL && st.cgroup.frozen())
        st.cgroup.freeze(false);
}

void pause_container(const StateStore& store, const std::string& id, bool pause)
{
    ContainerState st = store.load(id);
    Status s = store.status(st);
    if (pause && s != Status::Running)
        fail("cannot pause container \"{}\": it is {}", id, status_name(s));
    if (!pause && s != Status::Paused)
        fail("cannot resume container \"{}\": it is {}", id, status_name(s));
    st.cgroup.freeze(pause);
}

void delete_container(const StateStore& store, const std::string& id, bool force)
{
    ContainerState st;
    try {
        st = store.load(id);
    } catch (const Error&) {
        // Like runc: --force on a container that is not there is not an error.
        if (force && !path_exists(store.dir(id)))
            return;
        throw;
    }
    Status s = store.status(st);
    if ((s == Status::Running || s == Status::Paused) && !force)
        fail("cannot delete container \"{}\": it is {} (stop it first or use --force)", id, status_name(s));
    kill_all_and_wait(st);
    wait_for_monitor(st);
    st.cgroup.destroy();
    run_hooks_warn(stored_hooks(st).poststop, "poststop", st.oci(Status::Stopped).dump());
    store.remove(id);
}

} // namespace ctr::rt

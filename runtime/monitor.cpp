// The monitor of `run --detach`: runc loses a detached container's exit
// status (init's parent is whoever adopts it). Here a forked ctr-run process
// creates the container, so init is its child; it reports create/start back
// to the caller, detaches from the caller's stdio and session, reaps init
// and writes ROOT/ID/exit. It holds nothing else and exits with init.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.hpp"
#include "error.hpp"
#include "file.hpp"
#include "foreground.hpp"
#include "proc.hpp"
#include "selfexe.hpp"

namespace ctr::rt {

namespace {

// The report on the pipe: "K" once the container runs, or "E" then
// "ERRNO CONTEXT" until EOF. (Init inherits the pipe until its execve, so
// success cannot be told by EOF.)
void report(int fd, const std::string& text)
{
    try {
        write_all(fd, text, "monitor report");
    } catch (const Error&) {
    }
}

void read_report(int fd)
{
    char kind = 0;
    ssize_t n;
    while ((n = ::read(fd, &kind, 1)) < 0 && errno == EINTR) {
    }
    if (n <= 0)
        fail("run --detach: the monitor process died before the container started");
    if (kind == 'K')
        return;
    std::string text = read_fd(fd, "monitor report");
    size_t space = text.find(' ');
    int err = std::atoi(text.substr(0, space).c_str());
    throw Error(space == std::string::npos ? text : text.substr(space + 1), err);
}

// Leaves the caller's terminal session and stdio: the container keeps its own copies.
void detach_from_caller()
{
    ::setsid();
    ::prctl(PR_SET_NAME, "ctr-run-monitor", 0, 0, 0);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= 2 && null >= 0; fd++)
        ::dup3(null, fd, 0);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
}

[[noreturn]] void monitor(const StateStore& store, CreateOptions& opts, int report_fd)
{
    pid_t init = 0;
    try {
        opts.monitored = true;
        Created c = create_container(store, opts);
        init = c.state.pid;
        try {
            start_container(store, c.state);
        } catch (...) {
            delete_container(store, opts.id, true);
            throw;
        }
    } catch (const Error& e) {
        report(report_fd, "E" + std::to_string(e.err()) + " " + e.context());
        _exit(1);
    } catch (const std::exception& e) {
        report(report_fd, std::string("E0 ") + e.what());
        _exit(1);
    }
    report(report_fd, "K");
    ::close(report_fd);
    detach_from_caller();
    try {
        int code = reap_exit_code(init);
        write_file_atomic(store.exit_file(opts.id), std::to_string(code) + "\n", 0644, false);
    } catch (const Error&) {
        _exit(1);  // not our child any more, or the state was removed under us: nobody is left to tell
    }
    _exit(0);
}

} // namespace

void run_monitored(const StateStore& store, CreateOptions opts)
{
    if (may_reach_binary(load_spec(absolute_path(opts.bundle))))
        reexec_protected();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0)
        throw_errno("pipe");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork the monitor");
    if (pid == 0) {
        read_end.reset();
        monitor(store, opts, write_end.release());
    }
    write_end.reset();
    try {
        read_report(read_end.get());
    } catch (const Error&) {
        // The monitor failed before it detached: reap it here.
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        throw;
    }
}

int wait_container(const StateStore& store, const std::string& id)
{
    ContainerState st = store.load(id);
    if (!st.monitor) {
        if (UniqueFd init = pidfd_open_alive(st.pid, st.start_time))
            pidfd_wait_exit(init.get(), -1);
        fail("container \"{}\" has stopped; its exit status went to its parent process "
             "(only `run --detach` keeps it)", id);
    }
    if (UniqueFd mon = pidfd_open_alive(st.monitor, st.monitor_start))
        pidfd_wait_exit(mon.get(), -1);
    if (auto code = store.exit_status(id))
        return *code;
    fail("container \"{}\": its exit status was lost (its monitor process {} was killed)", id, st.monitor);
}

} // namespace ctr::rt

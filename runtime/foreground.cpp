#include "foreground.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

#include "error.hpp"
#include "file.hpp"
#include "proc.hpp"

namespace ctr::rt {

namespace {

// Puts the caller's terminal in raw mode for the pty proxy; restores it on exit.
class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd)
    {
        if (!::isatty(fd) || ::tcgetattr(fd, &saved_) < 0)
            return;
        struct termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    ~RawTerminal()
    {
        if (active_)
            ::tcsetattr(fd_, TCSANOW, &saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    int fd_;
    struct termios saved_ = {};
    bool active_ = false;
};

void copy_window_size(int from, int to)
{
    struct winsize ws;
    if (::ioctl(from, TIOCGWINSZ, &ws) == 0)
        ::ioctl(to, TIOCSWINSZ, &ws);
}

// Moves what is readable now from one fd to another; false at EOF or EIO.
bool pump(int from, int to)
{
    char buf[16384];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    try {
        write_all(to, std::string_view(buf, static_cast<size_t>(n)), "terminal");
    } catch (const Error&) {
        return false;
    }
    return true;
}

UniqueFd block_signals()
{
    sigset_t all;
    ::sigfillset(&all);
    ::sigdelset(&all, SIGSEGV);
    ::sigdelset(&all, SIGBUS);
    ::sigdelset(&all, SIGFPE);
    ::sigdelset(&all, SIGILL);
    if (::sigprocmask(SIG_BLOCK, &all, nullptr) < 0)
        throw_errno("sigprocmask");
    UniqueFd fd(::signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd)
        throw_errno("signalfd");
    return fd;
}

} // namespace

int reap_exit_code(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            throw_errno("wait for the container's process");
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

int wait_foreground(const Foreground& f)
{
    UniqueFd sigfd = block_signals();
    int master = f.pty_master;
    std::optional<RawTerminal> raw;
    bool stdin_open = master >= 0;
    if (master >= 0) {
        raw.emplace(STDIN_FILENO);
        copy_window_size(STDIN_FILENO, master);
        ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    }
    for (;;) {
        struct pollfd fds[4] = {
            {sigfd.get(), POLLIN, 0},
            {f.pidfd, POLLIN, 0},
            {master, POLLIN, 0},
            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
        };
        if (::poll(fds, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("poll");
        }
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
                int sig = static_cast<int>(si.ssi_signo);
                if (sig == SIGCHLD)
                    continue;
                if (sig == SIGWINCH && master >= 0)
                    copy_window_size(STDIN_FILENO, master);
                else
                    pidfd_send_signal(f.pidfd, sig);
            }
        }
        if (master >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(master, STDOUT_FILENO))
            master = -1;
        if (stdin_open && (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(STDIN_FILENO, master))
            stdin_open = false;
        if (fds[1].revents & POLLIN)
            break;
    }
    // Output written just before exit is still in the pty: drain it.
    while (master >= 0 && pump(master, STDOUT_FILENO)) {
        struct pollfd p = {master, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
            break;
    }
    return reap_exit_code(f.pid);
}

} // namespace ctr::rt

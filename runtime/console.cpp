#include "console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "error.hpp"
#include "unix_socket.hpp"

namespace ctr::rt {

Pty open_pty(const std::optional<ConsoleSize>& size)
{
    Pty pty;
    pty.master.reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.master)
        throw_errno("process.terminal: open /dev/ptmx in the container");
    int unlock = 0;
    if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) < 0)
        throw_errno("process.terminal: unlock pty");
    // TIOCGPTPEER opens the peer through the master, never by path.
    pty.slave.reset(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.slave)
        throw_errno("process.terminal: open pty peer");
    if (size) {
        struct winsize ws = {};
        ws.ws_row = size->height;
        ws.ws_col = size->width;
        if (::ioctl(pty.master.get(), TIOCSWINSZ, &ws) < 0)
            throw_errno("process.consoleSize: set window size");
    }
    return pty;
}

void attach_to_terminal(int slave)
{
    if (::ioctl(slave, TIOCSCTTY, 0) < 0)
        throw_errno("process.terminal: make the pty the controlling terminal");
    for (int fd = 0; fd <= 2; fd++)
        if (::dup2(slave, fd) < 0)
            throw_errno("process.terminal: dup pty to stdio");
}

void send_console(int console_socket, int master)
{
    static const char kName[] = "/dev/ptmx";
    send_with_fd(console_socket, kName, sizeof kName - 1, master);
}

} // namespace ctr::rt

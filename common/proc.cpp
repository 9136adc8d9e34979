#include "proc.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

#include "error.hpp"
#include "file.hpp"

namespace ctr {

std::optional<ProcStat> read_proc_stat(pid_t pid)
{
    auto read = try_read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!read)
        return std::nullopt;
    const std::string& text = *read;
    // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream in(text.substr(close + 2));
    ProcStat st{};
    in >> st.state;
    std::string skip;
    for (int field = 4; field < 22; field++)
        in >> skip;
    in >> st.start_time;
    if (!in)
        return std::nullopt;
    return st;
}

bool process_alive(pid_t pid, uint64_t start_time)
{
    if (pid <= 0)
        return false;
    auto st = read_proc_stat(pid);
    return st && st->start_time == start_time && st->state != 'Z' && st->state != 'X';
}

UniqueFd pidfd_open(pid_t pid)
{
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0)
        throw_errno("pidfd_open " + std::to_string(pid));
    return UniqueFd(fd);
}

UniqueFd pidfd_open_alive(pid_t pid, uint64_t start_time)
{
    if (pid <= 0)
        return UniqueFd();
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd && errno != ESRCH)
        throw_errno("pidfd_open " + std::to_string(pid));
    if (!fd || !process_alive(pid, start_time))
        return UniqueFd();
    return fd;
}

int pidfd_send_signal(int pidfd, int sig)
{
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

bool pidfd_wait_exit(int pidfd, int timeout_ms)
{
    struct pollfd p = {pidfd, POLLIN, 0};
    for (;;) {
        int n = ::poll(&p, 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw_errno("poll pidfd");
        return n > 0;
    }
}

std::vector<char*> exec_array(std::vector<std::string>& v)
{
    std::vector<char*> out;
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

namespace {

struct SignalName {
    const char* name;
    int number;
};

const SignalName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

bool all_digits(const std::string& s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

} // namespace

int parse_signal(const std::string& s)
{
    if (all_digits(s)) {
        int n = std::stoi(s);
        if (n <= 0 || n > SIGRTMAX)
            fail("invalid signal {}: out of range", s);
        return n;
    }
    std::string name = s;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
    if (name.rfind("SIG", 0) == 0)
        name = name.substr(3);
    for (const auto& sig : kSignals)
        if (name == sig.name)
            return sig.number;
    if (name.rfind("RTMIN", 0) == 0 || name.rfind("RTMAX", 0) == 0) {
        std::string off = name.substr(5);
        int base = name[2] == 'M' && name[3] == 'I' ? SIGRTMIN : SIGRTMAX;
        if (off.empty())
            return base;
        if ((off[0] == '+' || off[0] == '-') && all_digits(off.substr(1))) {
            int n = base + std::stoi(off);
            if (n >= SIGRTMIN && n <= SIGRTMAX)
                return n;
        }
    }
    fail("invalid signal {}: unknown name", s);
}

std::string signal_name(int sig)
{
    for (const auto& s : kSignals)
        if (s.number == sig)
            return std::string("SIG") + s.name;
    return std::to_string(sig);
}

} // namespace ctr

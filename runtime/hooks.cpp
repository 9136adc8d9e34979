#include "hooks.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"
#include "file.hpp"
#include "log.hpp"
#include "proc.hpp"

namespace ctr::rt {

namespace {

[[noreturn]] void exec_hook(const Hook& hook, int stdin_fd)
{
    std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    std::vector<std::string> env = hook.env;
    auto argv = exec_array(args);
    auto envp = exec_array(env);
    if (::dup2(stdin_fd, STDIN_FILENO) < 0)
        _exit(126);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    _exit(127);
}

std::string describe_exit(int status)
{
    if (WIFEXITED(status))
        return fmt::format("exited with status {}", WEXITSTATUS(status));
    return fmt::format("killed by {}", signal_name(WTERMSIG(status)));
}

void run_hook(const Hook& hook, const char* stage, const std::string& state_json)
{
    if (::access(hook.path.c_str(), X_OK) < 0)
        throw_errno(fmt::format("{} hook {}", stage, hook.path));
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0)
        throw_errno("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t pid = ::fork();
    if (pid < 0)
        throw_errno("fork hook");
    if (pid == 0)
        exec_hook(hook, rd.get());
    rd.reset();
    UniqueFd pidfd = pidfd_open(pid);
    // A hook that does not read its stdin must not fail the write.
    signal(SIGPIPE, SIG_IGN);
    try {
        write_all(wr.get(), state_json, "hook stdin");
    } catch (const Error&) {
    }
    wr.reset();
    int timeout_ms = hook.timeout ? *hook.timeout * 1000 : -1;
    bool exited = pidfd_wait_exit(pidfd.get(), timeout_ms);
    if (!exited)
        pidfd_send_signal(pidfd.get(), SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!exited)
        fail("{} hook {}: timed out after {}s", stage, hook.path, *hook.timeout);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("{} hook {}: {}", stage, hook.path, describe_exit(status));
}

} // namespace

void run_hooks(const std::vector<Hook>& hooks, const char* stage, const std::string& state_json)
{
    for (const auto& h : hooks)
        run_hook(h, stage, state_json);
}

void run_hooks_warn(const std::vector<Hook>& hooks, const char* stage,
                    const std::string& state_json)
{
    for (const auto& h : hooks) {
        try {
            run_hook(h, stage, state_json);
        } catch (const Error& e) {
            log::warn(e.what());
        }
    }
}

} // namespace ctr::rt

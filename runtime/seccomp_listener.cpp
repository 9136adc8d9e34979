// The runtime-spec's seccomp user notification hand-off: the container's
// notification fd and its state, to the process at listenerPath.
#include "error.hpp"
#include "json_view.hpp"
#include "seccomp.hpp"
#include "unix_socket.hpp"

namespace ctr::rt {

void send_to_listener(const SeccompProfile& p, const std::string& state_json, pid_t pid, int notify_fd)
{
    Json state = Json::parse(state_json);
    Json msg = {
        {"ociVersion", state.value("ociVersion", "1.2.0")},
        {"fds", {"seccompFd"}},
        {"pid", pid},
        {"metadata", p.listener_metadata},
        {"state", state},
    };
    std::string text = msg.dump();
    try {
        UniqueFd sock = unix_connect(p.listener_path);
        send_with_fd(sock.get(), text.data(), text.size(), notify_fd);
    } catch (const Error& e) {
        throw Error("linux.seccomp.listenerPath: send the notification fd to " + p.listener_path + ": " +
                        e.context(),
                    e.err());
    }
}

} // namespace ctr::rt

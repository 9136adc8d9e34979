#include "sync.hpp"

#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <vector>

#include "unix_socket.hpp"

namespace ctr::rt {

namespace {

struct Header {
    uint32_t type;
    int32_t err;
};

constexpr size_t kMaxMessage = 16384;

} // namespace

const char* msg_name(Msg m)
{
    switch (m) {
    case Msg::CgroupJoined: return "cgroup-joined";
    case Msg::CreateHooks: return "create-hooks";
    case Msg::HooksDone: return "hooks-done";
    case Msg::Pty: return "pty";
    case Msg::Created: return "created";
    case Msg::Failed: return "failed";
    case Msg::UsernsMapped: return "userns-mapped";
    case Msg::SeccompFd: return "seccomp-fd";
    case Msg::InitPid: return "init-pid";
    }
    return "unknown";
}

std::pair<SyncSocket, SyncSocket> SyncSocket::pair()
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        throw_errno("socketpair");
    return {SyncSocket(UniqueFd(fds[0])), SyncSocket(UniqueFd(fds[1]))};
}

void SyncSocket::send(Msg type, const std::string& text, int err, int fd) const
{
    std::vector<char> buf(sizeof(Header) + std::min(text.size(), kMaxMessage - sizeof(Header)));
    Header h{static_cast<uint32_t>(type), err};
    std::memcpy(buf.data(), &h, sizeof h);
    std::memcpy(buf.data() + sizeof h, text.data(), buf.size() - sizeof h);
    send_with_fd(fd_.get(), buf.data(), buf.size(), fd);
}

Message SyncSocket::recv() const
{
    std::optional<Message> m = recv_or_eof();
    if (!m)
        fail("container init exited during setup");
    return std::move(*m);
}

std::optional<Message> SyncSocket::recv_or_eof() const
{
    std::vector<char> buf(kMaxMessage);
    Message m;
    size_t n = recv_with_fd(fd_.get(), buf.data(), buf.size(), &m.fd);
    if (n == 0)
        return std::nullopt;
    if (n < sizeof(Header))
        fail("sync socket: short message ({} bytes)", n);
    Header h;
    std::memcpy(&h, buf.data(), sizeof h);
    m.type = static_cast<Msg>(h.type);
    m.err = h.err;
    m.text.assign(buf.data() + sizeof h, n - sizeof h);
    return m;
}

Message SyncSocket::expect(Msg type) const
{
    Message m = recv();
    if (m.type == Msg::Failed)
        throw Error(m.text, m.err);
    if (m.type != type)
        fail("sync socket: expected {} message, got {}", msg_name(type), msg_name(m.type));
    return m;
}

void SyncSocket::recv_error() const
{
    for (;;) {
        Message m;
        try {
            m = recv();
        } catch (const Error&) {
            return;  // EOF: nothing was left
        }
        if (m.type == Msg::Failed)
            throw Error(m.text, m.err);
    }
}

} // namespace ctr::rt

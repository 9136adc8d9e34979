// Typed, staged messages between ctr-run and the container's init over a
// SOCK_SEQPACKET socketpair. Errors raised in init travel back as messages
// and are reported by the parent like its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "error.hpp"
#include "fd.hpp"

namespace ctr::rt {

enum class Msg : uint32_t {
    CgroupJoined = 1,  // parent -> init: you are in the container's cgroup, go on
    CreateHooks,       // init -> parent: mounts are ready, run prestart/createRuntime hooks
    HooksDone,         // parent -> init
    Pty,               // init -> parent: the pty master, as SCM_RIGHTS
    Created,           // init -> parent: set up, now waiting on exec.fifo
    Failed,            // init -> parent: errno + what failed
    UsernsMapped,      // parent -> init: uid_map and gid_map of your user namespace are written
    SeccompFd,         // init -> parent: the seccomp notification fd, for listenerPath
    InitPid,           // helper -> parent: init's pid, when a helper cloned it
};

const char* msg_name(Msg m);

struct Message {
    Msg type{};
    int err = 0;
    std::string text;
    UniqueFd fd;
};

class SyncSocket {
public:
    SyncSocket() = default;
    explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}

    // A connected pair: [0] for the parent, [1] for init.
    static std::pair<SyncSocket, SyncSocket> pair();

    int fd() const { return fd_.get(); }
    void close() { fd_.reset(); }

    void send(Msg type, const std::string& text = "", int err = 0, int fd = -1) const;
    void send_error(const Error& e) const { send(Msg::Failed, e.context(), e.err()); }
    // Throws when the peer hung up (a closed socket reads as EOF).
    Message recv() const;
    // nullopt when the peer hung up (or exec'd: the socket is close-on-exec).
    std::optional<Message> recv_or_eof() const;
    // Receives and checks the type; a Failed message is rethrown as its Error.
    Message expect(Msg type) const;
    // After the peer hung up: rethrows the Failed message it left, if any.
    void recv_error() const;

private:
    UniqueFd fd_;
};

} // namespace ctr::rt

// The little of D-Bus that ctr-run needs to ask systemd for a scope: a
// peer connection to a unix socket (systemd's private one needs no bus
// daemon), EXTERNAL auth, method calls with their replies, and signals.
// Hand-written: libsystemd's sd-bus ships only as a shared library, and
// ctr-run is linked statically for its start-up time.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fd.hpp"

namespace ctr::rt::dbus {

// Builds a message body in the D-Bus wire format (little-endian).
class Writer {
public:
    void byte(uint8_t v) { buf_.push_back(static_cast<char>(v)); }
    void u32(uint32_t v);
    void boolean(bool v) { u32(v ? 1 : 0); }
    void str(const std::string& s);  // also an object path
    void signature(const std::string& s);
    // An array of elements aligned to elem_align: open, write them, close.
    struct Array {
        size_t length_at, first;
    };
    Array open_array(size_t elem_align);
    void close_array(const Array& a);
    void open_struct() { align(8); }
    void align(size_t n);

    const std::string& data() const { return buf_; }

private:
    std::string buf_;
};

// A received message: its header fields and its body, read as needed.
struct Message {
    uint8_t type = 0;  // 2 method return, 3 error, 4 signal
    uint32_t reply_serial = 0;
    std::string member, error_name, signature;
    std::string body;
};

// Reads a body: strings, object paths, uint32 in order.
class Reader {
public:
    explicit Reader(std::string body) : body_(std::move(body)) {}
    uint32_t u32();
    std::string str();

private:
    void align(size_t n);
    std::string body_;
    size_t pos_ = 0;
};

class Connection {
public:
    // Connects and authenticates (EXTERNAL, as our uid) to a peer socket.
    explicit Connection(const std::string& socket_path);

    // Sends a method call; returns its serial.
    uint32_t call(const std::string& dest, const std::string& path, const std::string& iface,
                  const std::string& member, const std::string& signature = "", const std::string& body = "");
    // The next message, waiting at most until the deadline (CLOCK_MONOTONIC ms).
    Message next(int64_t deadline_ms);
    // Waits for the reply to serial; an error reply is thrown as "what: NAME: TEXT".
    Message reply(uint32_t serial, const std::string& what, int64_t deadline_ms,
                  std::vector<Message>* others = nullptr);

private:
    void fill(int64_t deadline_ms);
    UniqueFd fd_;
    std::string in_;
    uint32_t serial_ = 0;
};

int64_t now_ms();

} // namespace ctr::rt::dbus

#include "dbus.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "error.hpp"
#include "file.hpp"
#include "log.hpp"
#include "unix_socket.hpp"

namespace ctr::rt::dbus {

namespace {

constexpr uint8_t kMethodCall = 1;
constexpr uint8_t kError = 3;
constexpr size_t kMaxMessage = 1 << 20;

enum Field : uint8_t { Path = 1, Interface, Member, ErrorName, ReplySerial, Destination, Sender, Signature };

uint32_t get_u32(const std::string& s, size_t pos)
{
    uint32_t v;
    std::memcpy(&v, s.data() + pos, sizeof v);
    return v;
}

size_t padded(size_t n, size_t align) { return (n + align - 1) / align * align; }

// Header fields of a received message: a(yv), values of type o, s, g or u.
void parse_fields(const std::string& raw, size_t end, Message& m)
{
    size_t pos = 16;
    while (pos < end) {
        pos = padded(pos, 8);
        if (pos + 3 > end)
            break;
        uint8_t code = static_cast<uint8_t>(raw[pos]);
        size_t sig_len = static_cast<uint8_t>(raw[pos + 1]);
        char type = raw[pos + 2];
        pos += 2 + sig_len + 1;
        std::string value;
        if (type == 'u') {
            pos = padded(pos, 4);
            if (code == ReplySerial)
                m.reply_serial = get_u32(raw, pos);
            pos += 4;
            continue;
        }
        if (type == 'g') {
            size_t len = static_cast<uint8_t>(raw[pos]);
            value = raw.substr(pos + 1, len);
            pos += 1 + len + 1;
        } else {
            pos = padded(pos, 4);
            uint32_t len = get_u32(raw, pos);
            value = raw.substr(pos + 4, len);
            pos += 4 + len + 1;
        }
        if (code == Member)
            m.member = value;
        else if (code == ErrorName)
            m.error_name = value;
        else if (code == Signature)
            m.signature = value;
    }
}

void header_field(Writer& w, uint8_t code, char type, const std::string& value)
{
    w.open_struct();
    w.byte(code);
    w.signature(std::string(1, type));
    if (type == 'g')
        w.signature(value);
    else
        w.str(value);
}

} // namespace

int64_t now_ms()
{
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void Writer::align(size_t n)
{
    while (buf_.size() % n)
        buf_.push_back('\0');
}

void Writer::u32(uint32_t v)
{
    align(4);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void Writer::str(const std::string& s)
{
    u32(static_cast<uint32_t>(s.size()));
    buf_.append(s);
    buf_.push_back('\0');
}

void Writer::signature(const std::string& s)
{
    byte(static_cast<uint8_t>(s.size()));
    buf_.append(s);
    buf_.push_back('\0');
}

Writer::Array Writer::open_array(size_t elem_align)
{
    u32(0);
    size_t length_at = buf_.size() - 4;
    align(elem_align);
    return {length_at, buf_.size()};
}

void Writer::close_array(const Array& a)
{
    // The length counts from the first element, not the padding before it.
    uint32_t len = static_cast<uint32_t>(buf_.size() - a.first);
    std::memcpy(buf_.data() + a.length_at, &len, sizeof len);
}

void Reader::align(size_t n) { pos_ = padded(pos_, n); }

uint32_t Reader::u32()
{
    align(4);
    if (pos_ + 4 > body_.size())
        fail("systemd: short D-Bus reply");
    uint32_t v = get_u32(body_, pos_);
    pos_ += 4;
    return v;
}

std::string Reader::str()
{
    uint32_t len = u32();
    if (pos_ + len + 1 > body_.size())
        fail("systemd: short D-Bus reply");
    std::string s = body_.substr(pos_, len);
    pos_ += len + 1;
    return s;
}

Connection::Connection(const std::string& socket_path) : fd_(unix_connect(socket_path))
{
    std::string uid = std::to_string(::getuid()), hex;
    for (char c : uid)
        hex += fmt::format("{:02x}", static_cast<unsigned>(c));
    write_all(fd_.get(), std::string("\0AUTH EXTERNAL ", 15) + hex + "\r\n", socket_path);
    // The answer line, a byte at a time: what follows it is the first message.
    std::string line;
    char c;
    int64_t deadline = now_ms() + 10000;
    while (line.find("\r\n") == std::string::npos && line.size() < 512) {
        struct pollfd p = {fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(deadline - now_ms(), 0))) <= 0)
            fail("D-Bus authentication on {}: no answer in time", socket_path);
        if (::read(fd_.get(), &c, 1) != 1)
            throw_errno("D-Bus authentication on " + socket_path);
        line += c;
    }
    if (line.rfind("OK ", 0) != 0)
        fail("D-Bus authentication on {} refused: {}", socket_path, line.substr(0, line.size() - 2));
    write_all(fd_.get(), "BEGIN\r\n", socket_path);
}

uint32_t Connection::call(const std::string& dest, const std::string& path, const std::string& iface,
                          const std::string& member, const std::string& signature, const std::string& body)
{
    Writer w;
    w.byte('l');
    w.byte(kMethodCall);
    w.byte(0);
    w.byte(1);
    w.u32(static_cast<uint32_t>(body.size()));
    w.u32(++serial_);
    auto fields = w.open_array(8);
    header_field(w, Path, 'o', path);
    header_field(w, Interface, 's', iface);
    header_field(w, Member, 's', member);
    header_field(w, Destination, 's', dest);
    if (!signature.empty())
        header_field(w, Signature, 'g', signature);
    w.close_array(fields);
    w.align(8);
    write_all(fd_.get(), w.data() + body, "D-Bus " + member);
    return serial_;
}

void Connection::fill(int64_t deadline_ms)
{
    struct pollfd p = {fd_.get(), POLLIN, 0};
    int64_t left = deadline_ms - now_ms();
    int n = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (n < 0 && errno != EINTR)
        throw_errno("poll D-Bus");
    if (n == 0)
        fail("systemd: no answer on D-Bus in time");
    char buf[65536];
    ssize_t got = ::read(fd_.get(), buf, sizeof buf);
    if (got < 0 && errno != EINTR)
        throw_errno("read D-Bus");
    if (got == 0)
        fail("systemd closed the D-Bus connection");
    if (got > 0)
        in_.append(buf, static_cast<size_t>(got));
}

Message Connection::next(int64_t deadline_ms)
{
    while (in_.size() < 16)
        fill(deadline_ms);
    if (in_[0] != 'l')
        fail("systemd: big-endian D-Bus messages are not supported");
    size_t fields_end = 16 + get_u32(in_, 12);
    size_t total = padded(fields_end, 8) + get_u32(in_, 4);
    if (total > kMaxMessage)
        fail("systemd: D-Bus message of {} bytes is too large", total);
    while (in_.size() < total)
        fill(deadline_ms);
    Message m;
    m.type = static_cast<uint8_t>(in_[1]);
    parse_fields(in_, fields_end, m);
    m.body = in_.substr(padded(fields_end, 8), total - padded(fields_end, 8));
    in_.erase(0, total);
    log::debug(fmt::format("D-Bus: message type {} {} (reply to {}) {}", m.type, m.member, m.reply_serial,
                           m.error_name));
    return m;
}

Message Connection::reply(uint32_t serial, const std::string& what, int64_t deadline_ms, std::vector<Message>* others)
{
    for (;;) {
        Message m = next(deadline_ms);
        if (m.reply_serial != serial) {
            if (others)
                others->push_back(std::move(m));
            continue;
        }
        if (m.type == kError) {
            std::string text = m.signature.rfind('s', 0) == 0 ? Reader(m.body).str() : "";
            fail("{}: {}: {}", what, m.error_name, text);
        }
        return m;
    }
}

} // namespace ctr::rt::dbus

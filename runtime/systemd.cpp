#include "systemd.hpp"

#include <optional>
#include <vector>

#include "dbus.hpp"
#include "error.hpp"
#include "file.hpp"

namespace ctr::rt {

namespace {

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
// The system bus, as runc uses it; systemd's private socket only where no
// bus daemon runs (it answers unreliably while other clients come and go).
constexpr const char* kSystemBus = "/run/dbus/system_bus_socket";
constexpr const char* kPrivate = "/run/systemd/private";
constexpr int64_t kTimeoutMs = 10000;
constexpr uint8_t kSignal = 4;

bool valid_unit_word(const std::string& s)
{
    return s.find_first_of("/:\\ ") == std::string::npos && s != "." && s != "..";
}

// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root.
std::string slice_dir(const std::string& slice, const std::string& path)
{
    if (slice.size() <= 6 || slice.compare(slice.size() - 6, 6, ".slice") != 0 || !valid_unit_word(slice))
        fail("linux.cgroupsPath: \"{}\": \"{}\" is not a slice name (NAME.slice)", path, slice);
    if (slice == "-.slice")
        return "";
    std::string base = slice.substr(0, slice.size() - 6), dir, prefix;
    size_t start = 0;
    for (;;) {
        size_t dash = base.find('-', start);
        std::string part = base.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
        if (part.empty())
            fail("linux.cgroupsPath: \"{}\": slice \"{}\" has an empty part", path, slice);
        prefix += (prefix.empty() ? "" : "-") + part;
        dir += "/" + prefix + ".slice";
        if (dash == std::string::npos)
            return dir;
        start = dash + 1;
    }
}

void property(dbus::Writer& w, const std::string& name, const std::string& value)
{
    w.open_struct();
    w.str(name);
    w.signature("s");
    w.str(value);
}

void property(dbus::Writer& w, const std::string& name, bool value)
{
    w.open_struct();
    w.str(name);
    w.signature("b");
    w.boolean(value);
}

std::string start_body(const SystemdScope& s, pid_t pid, const std::string& id)
{
    dbus::Writer w;
    w.str(s.unit);
    w.str("replace");
    auto props = w.open_array(8);
    property(w, "Description", "ctr-run container " + id);
    property(w, "Slice", s.slice);
    property(w, "Delegate", true);
    property(w, "DefaultDependencies", false);
    property(w, "CollectMode", std::string("inactive-or-failed"));
    w.open_struct();
    w.str("PIDs");
    w.signature("au");
    auto pids = w.open_array(4);
    w.u32(static_cast<uint32_t>(pid));
    w.close_array(pids);
    w.close_array(props);
    w.close_array(w.open_array(8));  // no auxiliary units
    return w.data();
}

// The result of job's JobRemoved signal ("done", "failed", ...), if m is it.
std::optional<std::string> job_result(const dbus::Message& m, const std::string& job)
{
    if (m.type != kSignal || m.member != "JobRemoved")
        return std::nullopt;
    dbus::Reader r(m.body);
    r.u32();
    if (r.str() != job)
        return std::nullopt;
    r.str();
    return r.str();
}

// A connection to systemd: on the system bus, with our name and a match
// for the job signals; or directly to systemd.
dbus::Connection connect_systemd(int64_t deadline)
{
    if (!path_exists(kSystemBus))
        return dbus::Connection(kPrivate);
    dbus::Connection bus(kSystemBus);
    const char* daemon = "org.freedesktop.DBus";
    bus.reply(bus.call(daemon, "/org/freedesktop/DBus", daemon, "Hello"), "D-Bus Hello", deadline);
    dbus::Writer match;
    match.str("type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',"
              "member='JobRemoved'");
    bus.reply(bus.call(daemon, "/org/freedesktop/DBus", daemon, "AddMatch", "s", match.data()), "D-Bus AddMatch",
              deadline);
    return bus;
}

} // namespace

void require_systemd()
{
    if (!path_exists("/run/systemd/system"))
        fail("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); "
             "leave the flag out to have ctr-run manage the cgroups itself");
}

SystemdScope parse_systemd_path(const std::string& cgroups_path, const std::string& id)
{
    std::string path = cgroups_path.empty() ? "system.slice:ctr:" + id : cgroups_path;
    size_t a = path.find(':'), b = a == std::string::npos ? a : path.find(':', a + 1);
    if (b == std::string::npos || path.find(':', b + 1) != std::string::npos)
        fail("linux.cgroupsPath: \"{}\" is not slice:prefix:name, as --systemd-cgroup needs", path);
    SystemdScope s;
    s.slice = a == 0 ? "system.slice" : path.substr(0, a);
    std::string prefix = path.substr(a + 1, b - a - 1), name = path.substr(b + 1);
    if (name.empty() || !valid_unit_word(name) || !valid_unit_word(prefix))
        fail("linux.cgroupsPath: \"{}\": the name part must be a unit name", path);
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".slice") == 0)
        fail("linux.cgroupsPath: \"{}\": a container in a slice of its own is not supported", path);
    s.unit = (prefix.empty() ? "" : prefix + "-") + name + ".scope";
    s.rel = slice_dir(s.slice, path) + "/" + s.unit;
    return s;
}

struct SystemdSession::Bus {
    dbus::Connection conn;
};

SystemdSession::SystemdSession()
{
    require_systemd();
    try {
        bus_ = std::make_unique<Bus>(Bus{connect_systemd(dbus::now_ms() + kTimeoutMs)});
    } catch (const Error& e) {
        throw Error("systemd: connect: " + e.context(), e.err());
    }
    bus_->conn.reply(bus_->conn.call(kDest, kPath, kManager, "Subscribe"), "systemd: subscribe",
                     dbus::now_ms() + kTimeoutMs);
}

SystemdSession::~SystemdSession() = default;

void SystemdSession::start_scope(const SystemdScope& s, pid_t pid, const std::string& id)
{
    std::string what = "systemd: start " + s.unit;
    dbus::Connection& bus = bus_->conn;
    int64_t deadline = dbus::now_ms() + kTimeoutMs;
    uint32_t serial =
        bus.call(kDest, kPath, kManager, "StartTransientUnit", "ssa(sv)a(sa(sv))", start_body(s, pid, id));
    std::vector<dbus::Message> early;
    std::string job = dbus::Reader(bus.reply(serial, what, deadline, &early).body).str();
    std::optional<std::string> result;
    for (const auto& m : early)
        if (!result)
            result = job_result(m, job);
    while (!result)
        result = job_result(bus.next(deadline), job);
    if (*result != "done")
        fail("{}: the job ended \"{}\" (see journalctl -u {})", what, *result, s.unit);
}

void stop_unit(const std::string& unit)
{
    try {
        dbus::Connection bus = connect_systemd(dbus::now_ms() + kTimeoutMs);
        dbus::Writer w;
        w.str(unit);
        w.str("replace");
        bus.reply(bus.call(kDest, kPath, kManager, "StopUnit", "ss", w.data()), "systemd: stop " + unit,
                  dbus::now_ms() + kTimeoutMs);
    } catch (const Error&) {
        // Gone already (an empty scope stops by itself), or systemd is not there.
    }
}

} // namespace ctr::rt

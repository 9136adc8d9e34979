#include "events.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cctype>

#include "error.hpp"
#include "file.hpp"
#include "proc.hpp"
#include "stats.hpp"

namespace ctr::rt {

namespace {

void emit(const std::string& type, const std::string& id, const Json* data = nullptr)
{
    Json j = {{"type", type}, {"id", id}};
    if (data)
        j["data"] = *data;
    write_all(STDOUT_FILENO, j.dump() + "\n", "stdout");
}

// A fd that becomes readable when the OOM killer may have acted: a v1
// eventfd registered on memory.oom_control, or an inotify watch on v2's
// memory.events. Empty when neither can be set up: then only ticks check.
UniqueFd watch_oom(const Cgroup& cg)
{
    const Cgroup::Dir* mem = cg.controller_dir("memory");
    if (!mem)
        return {};
    if (mem->v2) {
        UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        if (in && ::inotify_add_watch(in.get(), (mem->path() + "/memory.events").c_str(), IN_MODIFY) >= 0)
            return in;
        return {};
    }
    UniqueFd control(::open((mem->path() + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!control || !efd)
        return {};
    try {
        write_existing_file(mem->path() + "/cgroup.event_control",
                            fmt::format("{} {}", efd.get(), control.get()));
    } catch (const Error&) {
        return {};
    }
    return efd;  // the registration lives as long as efd, whatever happens to control
}

void drain(int fd)
{
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
}

UniqueFd make_timer(std::chrono::nanoseconds every)
{
    UniqueFd t(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!t)
        throw_errno("timerfd_create");
    struct itimerspec spec = {};
    spec.it_interval.tv_sec = every.count() / 1000000000;
    spec.it_interval.tv_nsec = every.count() % 1000000000;
    spec.it_value = spec.it_interval;
    if (::timerfd_settime(t.get(), 0, &spec, nullptr) < 0)
        throw_errno("timerfd_settime");
    return t;
}

} // namespace

std::chrono::nanoseconds parse_interval(const std::string& text)
{
    static const std::pair<const char*, int64_t> kUnits[] = {
        {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000}, {"h", 3600000000000},
    };
    int64_t total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
            i++;
        size_t unit_start = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
            i++;
        std::string number = text.substr(start, unit_start - start);
        std::string unit = text.substr(unit_start, i - unit_start);
        int64_t scale = 0;
        for (const auto& [name, ns] : kUnits)
            if (unit == name)
                scale = ns;
        if (number.empty() || scale == 0)
            fail("--interval: \"{}\" is not a duration like 5s, 500ms or 1m30s", text);
        total += static_cast<int64_t>(std::stod(number) * static_cast<double>(scale));
    }
    if (total <= 0)
        fail("--interval: \"{}\" is not a positive duration", text);
    return std::chrono::nanoseconds(total);
}

int container_events(const StateStore& store, const std::string& id, const EventsOptions& o)
{
    ContainerState st = store.load(id);
    auto every = parse_interval(o.interval);
    UniqueFd init = pidfd_open_alive(st.pid, st.start_time);
    if (!init)
        fail("container \"{}\" is not running", id);
    if (o.stats_once) {
        Json data = container_stats(st.cgroup);
        emit("stats", id, &data);
        return 0;
    }
    UniqueFd timer = make_timer(every);
    UniqueFd oom = watch_oom(st.cgroup);
    uint64_t ooms = oom_kill_count(st.cgroup);
    for (;;) {
        struct pollfd fds[3] = {{init.get(), POLLIN, 0}, {timer.get(), POLLIN, 0}, {oom.get(), POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("poll");
        }
        if (fds[2].revents & POLLIN)
            drain(oom.get());
        if (uint64_t now = oom_kill_count(st.cgroup); now > ooms) {
            ooms = now;
            emit("oom", id);
        }
        if (fds[1].revents & POLLIN) {
            drain(timer.get());
            Json data = container_stats(st.cgroup);
            emit("stats", id, &data);
        }
        if (fds[0].revents & POLLIN)
            return 0;
    }
}

} // namespace ctr::rt

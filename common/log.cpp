#include "log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "fd.hpp"

namespace ctr::log {

namespace {

struct Logger {
    std::string prog = "ctr";
    UniqueFd file;
    Format format = Format::Text;
    bool debug = false;
};

Logger& logger()
{
    static Logger l;
    return l;
}

std::string quote(const std::string& s) { return nlohmann::json(s).dump(); }

std::string format_line(const char* level, const std::string& msg, Format format)
{
    std::string time = now_rfc3339();
    if (format == Format::Json)
        return nlohmann::json{{"level", level}, {"msg", msg}, {"time", time}}.dump() + "\n";
    return fmt::format("time={} level={} msg={}\n", quote(time), level, quote(msg));
}

void write_line(int fd, const std::string& line)
{
    // Best effort: a failing log write must not mask the error being reported.
    ssize_t n = ::write(fd, line.data(), line.size());
    (void)n;
}

void emit(const char* level, const std::string& msg, bool to_stderr)
{
    Logger& l = logger();
    if (l.file)
        write_line(l.file.get(), format_line(level, msg, l.format));
    if (!to_stderr && l.file)
        return;
    if (l.format == Format::Json && !l.file)
        write_line(STDERR_FILENO, format_line(level, msg, l.format));
    else
        write_line(STDERR_FILENO, fmt::format("{}: {}: {}\n", l.prog, level, msg));
}

} // namespace

void init(const std::string& prog, const std::string& file, Format format, bool debug)
{
    Logger& l = logger();
    l.prog = prog;
    l.format = format;
    l.debug = debug;
    if (!file.empty()) {
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            write_line(STDERR_FILENO, fmt::format("{}: warning: cannot open log file {}\n", prog, file));
        l.file.reset(fd);
    }
}

const std::string& prog() { return logger().prog; }

void error(const std::string& msg) { emit("error", msg, true); }
void warn(const std::string& msg) { emit("warning", msg, true); }
void info(const std::string& msg) { emit("info", msg, false); }

void debug(const std::string& msg)
{
    if (logger().debug)
        emit("debug", msg, false);
}

std::string now_rfc3339()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:09d}Z", buf, ts.tv_nsec);
}

} // namespace ctr::log

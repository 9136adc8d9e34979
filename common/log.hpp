// Diagnostics of a tool: errors to stderr as "TOOL: error: msg", and every
// level to the --log file in text (logfmt, as runc) or json lines
// ({"level","msg","time"}, as containerd and podman parse them).
#pragma once

#include <string>

namespace ctr::log {

enum class Format { Text, Json };

void init(const std::string& prog, const std::string& file, Format format, bool debug);
const std::string& prog();

void error(const std::string& msg);
void warn(const std::string& msg);
void info(const std::string& msg);
void debug(const std::string& msg);

// RFC 3339 time with nanoseconds in UTC, as runc writes it.
std::string now_rfc3339();

} // namespace ctr::log

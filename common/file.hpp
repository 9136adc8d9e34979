// Small file helpers with ctr::Error on failure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>

#include "fd.hpp"

namespace ctr {

UniqueFd open_or_throw(const std::string& path, int flags, mode_t mode = 0);
UniqueFd openat_or_throw(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// Reads fd to its end in chunks, handing each to fn (retries EINTR).
void read_chunks(int fd, const std::string& name, const std::function<void(const char*, size_t)>& fn);
std::string read_fd(int fd, const std::string& name);
std::string read_file(const std::string& path);
std::string read_file_at(int dirfd, const std::string& path);
// For files whose absence is an answer, not an error (/proc/PID/...): no
// exception on the normal path, where a throw would cost more than the read.
std::optional<std::string> try_read_file(const std::string& path);

// Writes all of data to fd (retries short writes and EINTR).
void write_all(int fd, std::string_view data, const std::string& name);

// Opens an existing file for writing and writes data (for /proc and cgroup files).
void write_existing_file(const std::string& path, std::string_view data);

// Writes to a temporary name in the same directory, renames into place;
// fsyncs first when durable (not for runtime state on tmpfs, which a reboot
// clears anyway).
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                       bool durable = true);

// mkdir -p; existing directories are fine.
void mkdir_all(const std::string& path, mode_t mode = 0755);

// rm -rf that does not cross mount points or follow symlinks.
void remove_all(const std::string& path);

bool path_exists(const std::string& path);

// path made absolute against the current directory (not resolved).
std::string absolute_path(const std::string& path);

} // namespace ctr

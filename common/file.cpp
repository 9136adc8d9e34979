#include "file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <sys/stat.h>

#include <filesystem>

#include "error.hpp"

namespace ctr {

UniqueFd open_or_throw(const std::string& path, int flags, mode_t mode)
{
    return openat_or_throw(AT_FDCWD, path, flags, mode);
}

UniqueFd openat_or_throw(int dirfd, const std::string& path, int flags, mode_t mode)
{
    int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0)
        throw_errno("open " + path);
    return UniqueFd(fd);
}

void read_chunks(int fd, const std::string& name, const std::function<void(const char*, size_t)>& fn)
{
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw_errno("read " + name);
        if (n == 0)
            return;
        fn(buf, static_cast<size_t>(n));
    }
}

std::string read_fd(int fd, const std::string& name)
{
    std::string out;
    read_chunks(fd, name, [&](const char* data, size_t len) { out.append(data, len); });
    return out;
}

std::string read_file(const std::string& path) { return read_file_at(AT_FDCWD, path); }

std::string read_file_at(int dirfd, const std::string& path)
{
    UniqueFd fd = openat_or_throw(dirfd, path, O_RDONLY);
    return read_fd(fd.get(), path);
}

std::optional<std::string> try_read_file(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return std::nullopt;
    return read_fd(fd.get(), path);
}

void write_all(int fd, std::string_view data, const std::string& name)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw_errno("write " + name);
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void write_existing_file(const std::string& path, std::string_view data)
{
    UniqueFd fd = open_or_throw(path, O_WRONLY);
    write_all(fd.get(), data, path);
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool durable)
{
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        UniqueFd fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
        try {
            write_all(fd.get(), data, tmp);
            if (durable && ::fsync(fd.get()) < 0)
                throw_errno("fsync " + tmp);
        } catch (...) {
            ::unlink(tmp.c_str());
            throw;
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw_errno("rename " + tmp + " to " + path, err);
    }
}

void mkdir_all(const std::string& path, mode_t mode)
{
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty())
            continue;
        if (::mkdir(cur.c_str(), mode) < 0 && errno != EEXIST)
            throw_errno("mkdir " + cur);
    }
}

void remove_all(const std::string& path)
{
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec)
        throw Error("remove " + path, ec.value());
}

std::string absolute_path(const std::string& path)
{
    if (!path.empty() && path[0] == '/')
        return path;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd))
        throw_errno("getcwd");
    return std::string(cwd) + "/" + path;
}

bool path_exists(const std::string& path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace ctr

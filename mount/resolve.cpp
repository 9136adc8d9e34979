#include "resolve.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.hpp"

namespace ctr::mnt {

namespace {

int openat2_raw(int dirfd, const std::string& path, int flags, mode_t mode, uint64_t resolve)
{
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = resolve;
    int fd;
    do
        fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
    while (fd < 0 && errno == EAGAIN);
    return fd;
}

std::string relative(const std::string& path)
{
    size_t i = path.find_first_not_of('/');
    return i == std::string::npos ? "." : path.substr(i);
}

} // namespace

int try_open_in_root(int rootfd, const std::string& path, int flags, uint64_t extra_resolve)
{
    return openat2_raw(rootfd, relative(path), flags, 0,
                       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve);
}

UniqueFd open_in_root(int rootfd, const std::string& path, int flags, uint64_t extra_resolve)
{
    int fd = try_open_in_root(rootfd, path, flags, extra_resolve);
    if (fd < 0)
        throw_errno("open " + path + " inside the root");
    return UniqueFd(fd);
}

std::pair<std::string, std::string> split_parent(const std::string& path)
{
    std::string p = path;
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    auto slash = p.rfind('/');
    if (slash == std::string::npos)
        return {".", p};
    return {slash == 0 ? "/" : p.substr(0, slash), p.substr(slash + 1)};
}

bool stat_in_root(int rootfd, const std::string& path, struct stat& st)
{
    int fd = try_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW);
    if (fd < 0)
        return false;
    UniqueFd guard(fd);
    return ::fstat(fd, &st) == 0;
}

UniqueFd mkdir_in_root(int rootfd, const std::string& path, mode_t mode)
{
    UniqueFd cur = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    std::string prefix;
    size_t pos = 0;
    std::string rel = relative(path);
    while (pos < rel.size()) {
        size_t next = rel.find('/', pos);
        if (next == std::string::npos)
            next = rel.size();
        std::string comp = rel.substr(pos, next - pos);
        pos = next + 1;
        if (comp.empty() || comp == ".")
            continue;
        prefix += "/" + comp;
        int fd = try_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (fd < 0 && errno == ENOENT) {
            // The parent (cur) was resolved inside the root; create the name there.
            if (::mkdirat(cur.get(), comp.c_str(), mode) < 0 && errno != EEXIST)
                throw_errno("mkdir " + prefix + " inside the root");
            fd = try_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        }
        if (fd < 0)
            throw_errno("open " + prefix + " inside the root");
        cur.reset(fd);
    }
    return cur;
}

UniqueFd mkfile_in_root(int rootfd, const std::string& path, mode_t mode)
{
    int fd = try_open_in_root(rootfd, path, O_PATH);
    if (fd >= 0)
        return UniqueFd(fd);
    if (errno != ENOENT)
        throw_errno("open " + path + " inside the root");
    auto [dir, name] = split_parent(path);
    UniqueFd parent = mkdir_in_root(rootfd, dir);
    UniqueFd created(openat2_raw(parent.get(), name, O_CREAT | O_WRONLY | O_NOFOLLOW, mode,
                                 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    if (!created && errno != EEXIST)
        throw_errno("create " + path + " inside the root");
    return open_in_root(rootfd, path, O_PATH);
}

std::string fd_path(int fd) { return "/proc/thread-self/fd/" + std::to_string(fd); }

} // namespace ctr::mnt

#include "devices.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "error.hpp"
#include "fd.hpp"
#include "file.hpp"
#include "resolve.hpp"

namespace ctr::mnt {

const std::vector<DeviceNode>& default_devices()
{
    static const std::vector<DeviceNode> devices = {
        {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
        {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
        {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
    };
    return devices;
}

static mode_t type_bits(const DeviceNode& dev)
{
    switch (dev.type) {
    case 'c':
    case 'u':
        return S_IFCHR;
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    }
    fail("device {}: unknown type '{}'", dev.path, dev.type);
}

void create_device(int rootfd, const DeviceNode& dev)
{
    auto [dir, name] = split_parent(dev.path);
    UniqueFd parent = mkdir_in_root(rootfd, dir);
    mode_t mode = type_bits(dev) | (dev.mode & 07777);
    dev_t number = makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor));
    if (::mknodat(parent.get(), name.c_str(), mode, number) < 0) {
        if (errno != EEXIST)
            throw_errno("mknod " + dev.path);
        // Something is already there (an image file, a stale node): replace it.
        if (::unlinkat(parent.get(), name.c_str(), 0) < 0)
            throw_errno("replace " + dev.path);
        if (::mknodat(parent.get(), name.c_str(), mode, number) < 0)
            throw_errno("mknod " + dev.path);
    }
    if (::fchownat(parent.get(), name.c_str(), dev.uid, dev.gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno("chown " + dev.path);
    // mknod honours the umask; set the mode asked for exactly.
    if (::fchmodat(parent.get(), name.c_str(), dev.mode & 07777, 0) < 0)
        throw_errno("chmod " + dev.path);
}

void create_dev_symlinks(int rootfd)
{
    std::vector<std::pair<const char*, const char*>> links = {
        {"/proc/self/fd", "fd"},
        {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
    };
    if (path_exists("/proc/kcore"))
        links.emplace_back("/proc/kcore", "core");
    UniqueFd dev = mkdir_in_root(rootfd, "/dev");
    for (const auto& [target, name] : links) {
        if (::symlinkat(target, dev.get(), name) < 0 && errno != EEXIST)
            throw_errno(std::string("symlink /dev/") + name);
    }
}

} // namespace ctr::mnt

// mount_setattr(2) wrappers. Kept apart from mount.cpp: glibc 2.36's
// <sys/mount.h> and <linux/mount.h> cannot be included together.
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.hpp"
#include "mount.hpp"

namespace ctr::mnt {

namespace {

// MS_* values (from <sys/mount.h>, not includable here).
constexpr unsigned long kMsRdonly = 1, kMsNosuid = 2, kMsNodev = 4, kMsNoexec = 8;

} // namespace

bool set_flags_recursive(int fd, unsigned long ms_flags, const std::string& dest)
{
    struct mount_attr attr = {};
    if (ms_flags & kMsRdonly)
        attr.attr_set |= MOUNT_ATTR_RDONLY;
    if (ms_flags & kMsNosuid)
        attr.attr_set |= MOUNT_ATTR_NOSUID;
    if (ms_flags & kMsNodev)
        attr.attr_set |= MOUNT_ATTR_NODEV;
    if (ms_flags & kMsNoexec)
        attr.attr_set |= MOUNT_ATTR_NOEXEC;
    if (::syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0)
        return true;
    if (errno == ENOSYS)
        return false;
    throw_errno("set mount flags of " + dest);
}

UniqueFd clone_tree(const std::string& source, bool recursive)
{
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    int fd = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), flags));
    if (fd < 0)
        throw_errno("idmapped mount: open_tree " + source);
    return UniqueFd(fd);
}

void set_idmap(int tree_fd, int userns_fd, bool recursive, const std::string& dest)
{
    struct mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns_fd);
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (::syscall(SYS_mount_setattr, tree_fd, "", flags, &attr, sizeof attr) < 0) {
        if (errno == EINVAL)
            throw_errno("idmapped mount " + dest + ": the source's filesystem cannot be idmapped");
        throw_errno("idmapped mount " + dest);
    }
}

void attach_tree(int tree_fd, int target_fd, const std::string& dest)
{
    unsigned flags = MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH;
    if (::syscall(SYS_move_mount, tree_fd, "", target_fd, "", flags) < 0)
        throw_errno("attach idmapped mount on " + dest);
}

} // namespace ctr::mnt

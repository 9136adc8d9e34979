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

} // namespace ctr::mnt

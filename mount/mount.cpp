#include "mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.hpp"
#include "fd.hpp"
#include "file.hpp"
#include "resolve.hpp"

namespace ctr::mnt {

void mount_fs(const std::string& source, const std::string& type, int target_fd,
              unsigned long flags, const std::string& data, const std::string& dest)
{
    if (::mount(source.c_str(), fd_path(target_fd).c_str(), type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) < 0)
        throw_errno("mount " + type + " on " + dest + (data.empty() ? "" : " (options \"" + data + "\")"));
}

void bind_fd(int source_fd, int target_fd, bool recursive, const std::string& dest)
{
    unsigned long flags = MS_BIND | (recursive ? MS_REC : 0);
    if (::mount(fd_path(source_fd).c_str(), fd_path(target_fd).c_str(), nullptr, flags, nullptr) < 0)
        throw_errno("bind mount on " + dest);
}

void remount_bind(int target_fd, unsigned long flags, const std::string& dest)
{
    std::string target = fd_path(target_fd);
    unsigned long base = MS_REMOUNT | MS_BIND;
    if (::mount(nullptr, target.c_str(), nullptr, base | flags, nullptr) == 0)
        return;
    if (errno != EPERM)
        throw_errno("remount " + dest);
    struct statvfs st;
    if (::fstatvfs(target_fd, &st) < 0)
        throw_errno("statvfs " + dest);
    unsigned long locked = st.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                        MS_NODIRATIME | MS_RELATIME | MS_RDONLY);
    if (::mount(nullptr, target.c_str(), nullptr, base | flags | locked, nullptr) < 0)
        throw_errno("remount " + dest);
}

void set_propagation(int target_fd, unsigned long propagation, const std::string& dest)
{
    if (::mount(nullptr, fd_path(target_fd).c_str(), nullptr, propagation, nullptr) < 0)
        throw_errno("set propagation of " + dest);
}

void pivot_root_to(const std::string& rootfs)
{
    UniqueFd oldroot = open_or_throw("/", O_DIRECTORY | O_RDONLY);
    UniqueFd newroot = open_or_throw(rootfs, O_DIRECTORY | O_RDONLY);
    if (::fchdir(newroot.get()) < 0)
        throw_errno("chdir " + rootfs);
    // pivot_root(".", ".") stacks the old root on top of the new one; it is then
    // detached from here without needing a directory for it inside the rootfs.
    if (::syscall(SYS_pivot_root, ".", ".") < 0)
        throw_errno("pivot_root " + rootfs);
    if (::fchdir(oldroot.get()) < 0)
        throw_errno("chdir to old root");
    // Keep unmount events of the old root from propagating back to the host.
    if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
        throw_errno("make old root slave");
    if (::umount2(".", MNT_DETACH) < 0)
        throw_errno("unmount old root");
    if (::chdir("/") < 0)
        throw_errno("chdir /");
}

void move_root_to(const std::string& rootfs)
{
    if (::chdir(rootfs.c_str()) < 0)
        throw_errno("chdir " + rootfs);
    if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
        throw_errno("move " + rootfs + " to /");
    if (::chroot(".") < 0)
        throw_errno("chroot " + rootfs);
    if (::chdir("/") < 0)
        throw_errno("chdir /");
}

} // namespace ctr::mnt

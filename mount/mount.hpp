// Mount operations on file descriptors: every target is an fd resolved
// inside the container root, reached through /proc/thread-self/fd/N, so a
// symlink swapped in after resolution cannot redirect the mount.
#pragma once

#include <string>

#include "fd.hpp"

namespace ctr::mnt {

// A new filesystem instance (proc, tmpfs, sysfs, ...) on target_fd. `dest` names
// the target in errors.
void mount_fs(const std::string& source, const std::string& type, int target_fd,
              unsigned long flags, const std::string& data, const std::string& dest);

// Binds what source_fd names onto target_fd (recursively when asked).
void bind_fd(int source_fd, int target_fd, bool recursive, const std::string& dest);

// Applies flags to an existing bind mount; keeps flags the kernel locked
// (nosuid, nodev, noexec, atime) when the plain remount is refused.
void remount_bind(int target_fd, unsigned long flags, const std::string& dest);

// Sets ro/nosuid/nodev/noexec (MS_* flags) on the mount at fd and every mount
// below it in one mount_setattr(2); false when the kernel lacks it (< 5.12).
bool set_flags_recursive(int fd, unsigned long ms_flags, const std::string& dest);

// Idmapped binds (new mount API): a detached copy of the tree at source,
// given the mapping of the user namespace userns_fd, then attached on
// target_fd. The copy is made where the caller has privilege over the
// source's filesystem (the host), the attach inside the container.
UniqueFd clone_tree(const std::string& source, bool recursive);
void set_idmap(int tree_fd, int userns_fd, bool recursive, const std::string& dest);
void attach_tree(int tree_fd, int target_fd, const std::string& dest);

// mount(NULL, target, NULL, MS_PRIVATE|MS_REC...) on target_fd.
void set_propagation(int target_fd, unsigned long propagation, const std::string& dest);

// pivot_root into rootfs and detach the old root, leaving cwd at "/".
void pivot_root_to(const std::string& rootfs);
// --no-pivot: move rootfs over "/" and chroot into it.
void move_root_to(const std::string& rootfs);

} // namespace ctr::mnt

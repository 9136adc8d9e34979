// The container's filesystem view, built inside its new mount namespace:
// mounts, /dev, pivot_root, then masked and read-only paths.
#pragma once

#include "cgroup.hpp"
#include "fd.hpp"
#include "spec.hpp"

namespace ctr::rt {

// Before pivot_root: propagation of "/", the rootfs bind, every mount of the
// spec, device nodes and /dev symlinks.
// idmapped: per spec.mounts, a detached idmapped tree to attach, or empty.
void prepare_rootfs(const Spec& spec, const Cgroup& cgroup, const std::vector<UniqueFd>& idmapped);

// pivot_root (or, with --no-pivot, MS_MOVE + chroot) into the rootfs.
void enter_rootfs(const Spec& spec, bool no_pivot);

// After pivot_root: sysctls, /dev/console on the pty, masked and read-only
// paths, a read-only root and the root's propagation.
void write_sysctls(const Spec& spec);
void bind_console(int pty_slave);
void finish_rootfs(const Spec& spec);

} // namespace ctr::rt

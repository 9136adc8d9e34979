// Paths inside a container's root, resolved with openat2(RESOLVE_IN_ROOT):
// symlinks and ".." are evaluated as if rootfd were "/", so nothing here can
// be led out of the root, however hostile the rootfs is.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "fd.hpp"

namespace ctr::mnt {

// openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra).
// Returns -1 with errno set instead of throwing.
int try_open_in_root(int rootfd, const std::string& path, int flags, uint64_t extra_resolve = 0);
UniqueFd open_in_root(int rootfd, const std::string& path, int flags, uint64_t extra_resolve = 0);

// fstat of path resolved inside the root, its last component not followed
// (a symlink is reported as one); false with errno set when it is not there.
bool stat_in_root(int rootfd, const std::string& path, struct stat& st);

// Creates the missing directories of path inside the root; returns an O_PATH fd of it.
UniqueFd mkdir_in_root(int rootfd, const std::string& path, mode_t mode = 0755);

// Makes sure path exists inside the root as a regular file (creating parents);
// returns an O_PATH fd of it.
UniqueFd mkfile_in_root(int rootfd, const std::string& path, mode_t mode = 0644);

// Splits "/a/b/c" into ("/a/b", "c").
std::pair<std::string, std::string> split_parent(const std::string& path);

// "/proc/thread-self/fd/N": how a mount call reaches what an fd names.
std::string fd_path(int fd);

} // namespace ctr::mnt

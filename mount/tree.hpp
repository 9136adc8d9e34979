// Copying trees between directory fds with their owners, modes, times,
// xattrs, hard links and holes, never following a symlink: volumes filled
// from an image, ctr-layer cp, layers merged into a plain tree, and
// tmpcopyup mounts in a container. Also overlayfs' on-disk conventions for
// the layers (whiteouts, opaque directories).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

namespace ctr::mnt {

// Who copied files belong to; nullopt keeps their owners (as root).
using Owner = std::optional<std::pair<uid_t, gid_t>>;

// Copies what directory src holds into directory dst: owners (as root),
// modes, times, xattrs, hard links and holes kept; what is in the way goes.
void copy_into(int src_dir, int dst_dir, const Owner& owner = std::nullopt);

// src_dir/name (a file, a link, or a directory and all it holds) copied to
// dst_dir/dst_name, replacing a non-directory there and merging into a
// directory. Nothing is followed: both names are taken as they are.
void copy_entry(int src_dir, const std::string& name, int dst_dir, const std::string& dst_name, const Owner& owner);

// One layer in overlay form merged over the tree at dst_root: whiteouts
// delete, opaque directories drop what is below them.
void merge_layer(int layer_dir, int dst_root);

// Owner, mode and times of dirfd itself (name "") or of dirfd/name, never
// through a symlink.
void set_attributes(int dirfd, const std::string& name, const struct stat& st, const Owner& owner,
                    const std::string& path);

// A whiteout in overlay form: a 0/0 character device.
bool is_whiteout(const struct stat& st);

// An opaque directory (trusted.overlay.opaque, or user.* when made without
// root): what lower layers have in it is hidden.
bool is_opaque(int dirfd);

} // namespace ctr::mnt

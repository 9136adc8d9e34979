// Copying trees between directories with their owners, modes, times,
// xattrs, hard links and holes: cached layers flattened (umoci unpack's
// view), new volumes filled from the image, ctr-layer cp.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ctr::img {

// Who copied files belong to; nullopt keeps their owners (as root).
using Owner = std::optional<std::pair<uid_t, gid_t>>;

// Layers in overlay form (as the layer cache holds them) applied one over
// another into a plain directory: whiteouts delete, opaque directories drop
// what lower layers put in them. What `umoci unpack` gives, without a mount.
// dest must not exist, or be an empty directory. The tree is built in a
// temporary sibling and renamed into place, so dest is whole or absent.
void flatten_layers(const std::vector<std::string>& layer_dirs, const std::string& dest);

// Copies what directory src holds into directory dst: owners (as root),
// modes, times, xattrs, hard links and holes kept; what is in the way goes.
void copy_into(int src_dir, int dst_dir, const Owner& owner = std::nullopt);

// src_dir/name (a file, a link, or a directory and all it holds) copied to
// dst_dir/dst_name, replacing a non-directory there and merging into a
// directory. Nothing is followed: both names are taken as they are.
void copy_entry(int src_dir, const std::string& name, int dst_dir, const std::string& dst_name, const Owner& owner);

} // namespace ctr::img

// Cached layers flattened into a plain directory (umoci unpack's view). The
// tree copying itself is mount/tree.hpp's, shared with ctr-run.
#pragma once

#include <string>
#include <vector>

#include "tree.hpp"

namespace ctr::img {

using mnt::copy_entry;
using mnt::copy_into;
using mnt::Owner;

// Layers in overlay form (as the layer cache holds them) applied one over
// another into a plain directory: whiteouts delete, opaque directories drop
// what lower layers put in them. What `umoci unpack` gives, without a mount.
// dest must not exist, or be an empty directory. The tree is built in a
// temporary sibling and renamed into place, so dest is whole or absent.
void flatten_layers(const std::vector<std::string>& layer_dirs, const std::string& dest);

} // namespace ctr::img

// Layers in overlay form (as the layer cache holds them) applied one over
// another into a plain directory: whiteouts delete, opaque directories drop
// what lower layers put in them. What `umoci unpack` gives, without a mount.
#pragma once

#include <string>
#include <vector>

namespace ctr::img {

// dest must not exist, or be an empty directory. The tree is built in a
// temporary sibling and renamed into place, so dest is whole or absent.
void flatten_layers(const std::vector<std::string>& layer_dirs, const std::string& dest);

// Copies what directory src holds into directory dst: owners (as root),
// modes, times, xattrs, hard links and holes kept; what is in the way goes.
void copy_into(int src_dir, int dst_dir);

} // namespace ctr::img

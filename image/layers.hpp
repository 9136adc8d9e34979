// The store's layer cache: each layer extracted once, in overlay form, into
// ROOT/layers/sha256/DIFFID (via a temporary directory renamed into place),
// its diff_id checked against the image config.
#pragma once

#include <string>
#include <vector>

#include "images.hpp"
#include "store.hpp"

namespace ctr::img {

// The diff_ids of an image, bottom layer first (from its config).
std::vector<std::string> diff_ids(const ImageInfo& info);

// Extracts the layers the cache lacks (up to jobs at a time) and returns the
// layer directories, bottom first.
std::vector<std::string> ensure_layers(const Store& store, const ImageInfo& info, int jobs);

std::string layer_dir(const Store& store, const std::string& diff_id);

} // namespace ctr::img

// The store's layer cache: each layer extracted once, in overlay form, into
// ROOT/layers/sha256/DIFFID (via a temporary directory renamed into place),
// its diff_id checked against the image config.
#pragma once

#include <sys/stat.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "images.hpp"
#include "tree.hpp"
#include "store.hpp"

namespace ctr::img {

// The diff_ids of an image, bottom layer first (from its config).
std::vector<std::string> diff_ids(const ImageInfo& info);

// Extracts the layers the cache lacks (up to jobs at a time) and returns the
// layer directories, bottom first.
std::vector<std::string> ensure_layers(const Store& store, const ImageInfo& info, int jobs);

std::string layer_dir(const Store& store, const std::string& diff_id);

// Whiteouts and opaque directories of cached layers are overlayfs' form.
using mnt::is_opaque;
using mnt::is_whiteout;

// A layer's directories that its tar had no entry for ("/a/b", one a line in
// ROOT/layers/implicit/DIFFID, absent when none): overlay would show them
// root-owned 0755 over the lower layer's real ones.
std::string implicit_list(const std::string& layer_dir);
std::set<std::string> implicit_dirs(const std::string& layer_dir);

// For a stack of cached layers (bottom first): the directories whose
// top-most copy is implicit, with the attributes of the lower copy it
// stands for. Bundles put these in their init layer; flattening applies them.
std::map<std::string, struct stat> implicit_fixes(const std::vector<std::string>& layers);

} // namespace ctr::img

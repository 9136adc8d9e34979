// An image made into a runnable OCI bundle: DIR/rootfs is an overlay of the
// cached layers under DIR/init (the mount points the config needs, docker's
// init layer) with DIR/upper and DIR/work on top; DIR/config.json is made by
// bundle_spec, DIR/image.json records where it came from and its volumes.
#pragma once

#include <string>
#include <vector>

#include "bundle_spec.hpp"
#include "store.hpp"

namespace ctr::img {

void make_bundle(const Store& store, const std::string& name, const std::string& dir, const BundleOptions& opts);
void remove_bundle(const Store& store, const std::string& dir);

// Mounts DIR/rootfs: layers (bottom first) under DIR/init, DIR/upper on top.
void mount_rootfs(const std::string& dir, const std::vector<std::string>& layers);

} // namespace ctr::img

// An image made into a runnable OCI bundle: DIR/rootfs is an overlay of the
// cached layers with DIR/upper and DIR/work on top, DIR/config.json follows
// the image-spec's conversion rules, DIR/image.json records where it came from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store.hpp"

namespace ctr::img {

struct BundleOptions {
    std::vector<std::string> cmd;          // replaces the image's Cmd
    std::optional<std::string> entrypoint; // replaces the image's Entrypoint ("" clears it)
    std::vector<std::string> env;          // KEY=VALUE, or KEY (taken from our environment)
    std::string workdir;
    std::string user;                      // name or uid[:gid]
    std::string hostname;
    std::string net = "none";              // none (own namespace) or host
    bool tty = false;
    bool read_only = false;
    int jobs = 4;
};

void make_bundle(const Store& store, const std::string& name, const std::string& dir, const BundleOptions& opts);
void remove_bundle(const Store& store, const std::string& dir);

// "uid[:gid]" or names, resolved with the rootfs' /etc/passwd and /etc/group.
std::pair<uint32_t, uint32_t> resolve_user(int rootfd, const std::string& user);

// The process args the image-spec's conversion gives.
std::vector<std::string> process_args(const Json& config, const BundleOptions& opts);

} // namespace ctr::img

// A bundle's config.json: ctr-run's default spec, the image config by the
// image-spec's conversion rules (Entrypoint + Cmd, Env, WorkingDir, User,
// Labels, StopSignal), then docker run's options on top.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "json_view.hpp"
#include "volumes.hpp"

namespace ctr::img {

struct BundleOptions {
    std::vector<std::string> cmd;          // replaces the image's Cmd
    std::optional<std::string> entrypoint; // replaces the image's Entrypoint ("" clears it)
    std::vector<std::string> env;          // KEY=VALUE, or KEY (taken from our environment)
    std::vector<std::string> env_files;    // files of such lines
    std::string workdir;
    std::string user;                      // name or uid[:gid]
    std::string hostname;
    std::string net = "none";              // none (own namespace) or host
    std::vector<std::string> volumes;      // -v [SOURCE:]DEST[:OPTIONS]
    std::vector<std::string> volumes_from; // BUNDLE[:ro|:rw]
    std::vector<std::string> tmpfs;        // DEST[:OPTIONS]
    std::string memory;                    // "512m"
    std::string cpus;                      // "1.5"
    int64_t pids_limit = 0;                // 0 or -1: unlimited
    std::vector<std::string> cap_add, cap_drop;
    bool privileged = false;
    bool tty = false;
    bool read_only = false;
    int jobs = 4;
};

// The config.json for an image whose root filesystem is open at rootfd.
Json bundle_spec(const Json& image_config, const BundleOptions& opts, int rootfd,
                 const std::vector<Volume>& volumes);

// Every volume the bundle gets: the user's, --volumes-from's, and the image's
// Volumes that neither they nor a --tmpfs cover.
std::vector<Volume> requested_volumes(const Json& image_config, const BundleOptions& opts);

// "uid[:gid]" or names, resolved with the rootfs' /etc/passwd and /etc/group.
std::pair<uint32_t, uint32_t> resolve_user(int rootfd, const std::string& user);

// The process args the image-spec's conversion gives.
std::vector<std::string> process_args(const Json& image_config, const BundleOptions& opts);

// Docker's sizes: "512m", "1g", "100k", "4096" (bytes).
int64_t parse_bytes(const std::string& s, const std::string& what);

} // namespace ctr::img

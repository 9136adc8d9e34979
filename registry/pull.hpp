// Pulling an image: resolve the manifest (choosing the platform from an
// index), download config and layers in parallel into an OCI layout, then
// name the manifest in its index.json.
#pragma once

#include <string>

#include "client.hpp"
#include "layout.hpp"
#include "manifest.hpp"
#include "reference.hpp"

namespace ctr::reg {

struct PullOptions {
    img::Platform platform;
    int jobs = 4;
    bool progress = false;  // a status line on stderr
};

// Returns the digest of the image manifest written to layout under ref_name.
std::string pull_image(RegistryClient& client, const img::Reference& ref, const img::OciLayout& layout,
                       const std::string& ref_name, const PullOptions& opts);

} // namespace ctr::reg

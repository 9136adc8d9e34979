// Pushing an image: blobs the registry lacks (mounted from another
// repository of the same registry when possible, otherwise uploaded
// monolithically or in chunks), then the manifest, then the index.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "client.hpp"
#include "layout.hpp"
#include "reference.hpp"

namespace ctr::reg {

struct PushOptions {
    int64_t chunk_size = 0;                 // 0: one PUT per blob
    // blob digest -> a repository of the same registry that has it: mounted, not uploaded.
    std::map<std::string, std::string> mount_from;
};

// Pushes the manifest or index desc from layout to dest; returns its digest.
std::string push_image(RegistryClient& client, const img::OciLayout& layout, const img::Descriptor& desc,
                       const img::Reference& dest, const PushOptions& opts);

} // namespace ctr::reg

// The images of an OCI layout, by name: what ctr-image lists, inspects,
// tags, removes and collects garbage around.
#pragma once

#include <string>
#include <vector>

#include "layout.hpp"
#include "manifest.hpp"

namespace ctr::img {

struct ImageEntry {
    std::string name;  // ref.name annotation (full reference in the store)
    Descriptor desc;   // what index.json points at (manifest or index)
};

struct ImageInfo {
    ImageEntry entry;
    std::string manifest_digest;  // the platform manifest when desc is an index
    std::string config_digest;
    Json manifest;
    Json config;
    int64_t size = 0;  // manifest + config + layers, as stored
};

std::vector<ImageEntry> list_images(const OciLayout& layout);

// NAME is a reference (normalised like Docker's) or a unique prefix of an
// image ID (config digest, with or without "sha256:"); throws when none or
// several match.
std::vector<ImageEntry> find_images(const OciLayout& layout, const std::string& name);
ImageEntry find_image(const OciLayout& layout, const std::string& name);

ImageInfo describe(const OciLayout& layout, const ImageEntry& e);

// Every blob an entry reaches (itself, the manifests of an index, configs,
// layers), each once, parents first. Blobs the layout lacks are listed but
// not followed (foreign layers, or platforms that were not pulled).
std::vector<Descriptor> image_blobs(const OciLayout& layout, const Descriptor& d);

// Every blob reachable from index.json, and the diff_ids of every image.
struct Reachable {
    std::vector<std::string> blobs;
    std::vector<std::string> diff_ids;
};
Reachable reachable(const OciLayout& layout);

} // namespace ctr::img

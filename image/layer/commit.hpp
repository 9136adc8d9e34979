// New images from containers and tars: `commit` (a bundle's upper
// directory as a new layer on its image) and `import` (a tar as a
// one-layer image), both written into the store.
#pragma once

#include <string>
#include <vector>

#include "store.hpp"

namespace ctr::img {

struct CommitOptions {
    std::string message;                // history comment (-m)
    std::vector<std::string> changes;   // Dockerfile-like: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL
};

// Returns the new manifest's digest; the image is named name.
std::string commit_bundle(const Store& store, const std::string& dir, const std::string& name,
                          const CommitOptions& opts);
std::string import_tar(const Store& store, const std::string& file, const std::string& name,
                       const CommitOptions& opts);

// Applies one --change line to an image config ("config" object).
void apply_change(Json& config, const std::string& change);

} // namespace ctr::img

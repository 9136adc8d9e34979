// Images to and from tar archives: OCI archives (an OCI layout in a tar, as
// skopeo's oci-archive: writes) and docker-archive (as `docker save` writes).
#pragma once

#include <string>
#include <vector>

#include "images.hpp"
#include "layout.hpp"

namespace ctr::img {

void save_oci_archive(const OciLayout& layout, const std::vector<ImageEntry>& images, int fd);
void save_docker_archive(const OciLayout& layout, const std::vector<ImageEntry>& images, int fd);

// Reads an archive (plain, gzip or zstd) from fd, adds its images to layout
// (blobs verified on the way in); returns "REF@sha256:..." per image.
// tmp_dir: scratch space on the layout's filesystem.
std::vector<std::string> load_archive(const OciLayout& layout, int fd, const std::string& tmp_dir);

} // namespace ctr::img

// What a container changed, read from its bundle's upper directory:
// `diff` (A/C/D lines as docker diff prints them) and `export` (the
// container's whole filesystem as a tar).
#pragma once

#include <string>
#include <vector>

#include "store.hpp"

namespace ctr::img {

struct Change {
    char kind;         // 'A' added, 'C' changed, 'D' deleted
    std::string path;  // "/etc/hello"
};

std::vector<Change> bundle_diff(const std::string& dir);

// Writes DIR/rootfs (mounting the overlay again from image.json if needed) as a tar to fd.
void export_bundle(const std::string& dir, int fd);

// Mounts DIR/rootfs from image.json when it is not mounted (after a reboot).
void ensure_mounted(const std::string& dir);

} // namespace ctr::img

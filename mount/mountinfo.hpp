// /proc/self/mountinfo, parsed.
#pragma once

#include <string>
#include <vector>

namespace ctr::mnt {

struct MountEntry {
    std::string root;          // the mount's root within its filesystem
    std::string mountpoint;
    std::vector<std::string> tags;  // optional fields: "shared:5", "master:1"
    std::string fstype;
    std::string source;
    std::string super_options;

    bool shared() const;
};

std::vector<MountEntry> parse_mountinfo(const std::string& text);
std::vector<MountEntry> read_mountinfo();

// The entry of the mount that holds path (longest mount point above it; the
// last one mounted wins when several are stacked).
MountEntry mount_containing(const std::vector<MountEntry>& mounts, const std::string& path);

} // namespace ctr::mnt

// mount(8)-style option lists ("ro,nosuid,size=64k,rslave") split into
// flags, propagation and filesystem data.
#pragma once

#include <string>
#include <vector>

namespace ctr::mnt {

struct MountOptions {
    unsigned long flags = 0;          // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...
    unsigned long clear = 0;          // flags asked to be off (rw, suid, ...)
    std::vector<unsigned long> propagation;  // MS_PRIVATE|MS_REC, MS_SLAVE, ...
    std::string data;                 // what the filesystem parses: "size=64k,mode=755"
    bool tmpcopyup = false;           // a tmpfs starts with what the image has at its path

    bool is_bind() const;
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

// Every option name parse_mount_options takes as a flag or a propagation.
std::vector<std::string> known_mount_options();

// "rprivate" etc. to MS_* flags; 0 when the name is not a propagation.
unsigned long parse_propagation(const std::string& name);

} // namespace ctr::mnt

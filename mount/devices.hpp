// Device nodes and the standard /dev symlinks inside a container root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ctr::mnt {

struct DeviceNode {
    std::string path;     // inside the container, e.g. "/dev/null"
    char type = 'c';      // 'c' or 'u' (char), 'b' (block), 'p' (fifo)
    int64_t major = 0;
    int64_t minor = 0;
    mode_t mode = 0666;   // permission bits
    uid_t uid = 0;
    gid_t gid = 0;
};

// null, zero, full, random, urandom, tty: what every container gets.
const std::vector<DeviceNode>& default_devices();

// Creates (or replaces) the node inside the root.
void create_device(int rootfd, const DeviceNode& dev);

// /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr (and /dev/core where /proc/kcore exists).
void create_dev_symlinks(int rootfd);

} // namespace ctr::mnt

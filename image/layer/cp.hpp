// ctr-layer cp: files between a bundle's root filesystem and the host, as
// docker cp copies them. Paths in the bundle are resolved inside its rootfs
// (openat2 RESOLVE_IN_ROOT), so the container's symlinks never lead out.
#pragma once

#include <string>

namespace ctr::img {

struct CpOptions {
    bool archive = false;  // keep uid/gid (else: root in the bundle, the caller on the host)
};

// SRC and DEST: one is BUNDLE:PATH, the other a host path; DEST "-" writes
// SRC to stdout as a tar stream.
void copy_path(const std::string& src, const std::string& dest, const CpOptions& opts);

} // namespace ctr::img

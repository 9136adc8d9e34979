// Extracting one layer into a directory in overlay form (whiteout ".wh.X"
// -> char device 0/0 "X"; ".wh..wh..opq" -> trusted.overlay.opaque=y on
// its directory). Every path is resolved inside the directory
// (openat2 RESOLVE_IN_ROOT), so a hostile tar cannot write outside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ctr::img {

struct UnpackResult {
    std::string diff_id;      // sha256 of the uncompressed tar
    std::string compression;  // "gzip", "zstd" or "none"
    int64_t entries = 0;
    // Directories created only to hold entries ("/a/b"): no entry of the
    // tar gives their owner and mode, which belong to the lower layers.
    std::vector<std::string> implicit_dirs;
};

// dir must not exist yet; it is created. On failure it may hold part of
// the layer: callers extract into a temporary name and rename on success.
UnpackResult unpack_layer(const std::string& blob, const std::string& dir);

} // namespace ctr::img

// A layer stream, decompressed as it is read (gzip, zstd or plain, told by
// its first bytes) and hashed as it goes: the uncompressed digest is the
// layer's diff_id.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "digest.hpp"
#include "fd.hpp"

namespace ctr::img {

class LayerReader {
public:
    explicit LayerReader(const std::string& path);
    ~LayerReader();
    LayerReader(const LayerReader&) = delete;
    LayerReader& operator=(const LayerReader&) = delete;

    // Up to len uncompressed bytes; 0 at the end.
    size_t read(char* buf, size_t len);
    // Reads what is left, then the digest of everything read.
    std::string diff_id();
    const char* compression() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ctr::img

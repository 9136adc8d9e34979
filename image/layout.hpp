// An OCI image layout on disk (oci-layout, index.json, blobs/sha256/...),
// written so that readers never see a partial file: blobs are verified and
// renamed into place, index.json is replaced atomically under a flock.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "digest.hpp"
#include "fd.hpp"
#include "manifest.hpp"

namespace ctr::img {

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

class OciLayout {
public:
    // lock_path: the flock file serialising writers (ROOT/lock for the store).
    OciLayout(std::string dir, std::string lock_path);

    const std::string& dir() const { return dir_; }
    // Creates the layout when missing; refuses a directory that is something else.
    void init() const;
    UniqueFd lock() const;
    // Writers that add blobs before naming them (pull, load) hold this shared
    // for their whole run; gc holds it exclusive, so it never removes a blob
    // that is about to be named.
    UniqueFd gc_guard(bool exclusive) const;

    std::string blob_path(const std::string& digest) const;
    bool has_blob(const std::string& digest) const;
    // Reads a (small) blob and checks its digest.
    std::string read_blob(const std::string& digest) const;
    // Stores data as a blob after checking it has this digest.
    void put_blob(const std::string& digest, std::string_view data) const;

    // Where an unfinished download of digest is kept between runs.
    std::string partial_path(const std::string& digest) const;

    Json read_index() const;
    std::vector<Descriptor> refs() const;  // manifests of index.json, annotations included
    std::optional<Descriptor> find_ref(const std::string& name) const;
    // Points name at d (replacing what it named), under the lock. An empty
    // name adds d without a name (once).
    void set_ref(const std::string& name, Descriptor d) const;
    bool remove_ref(const std::string& name) const;

private:
    void write_index(const Json& index) const;
    std::string dir_;
    std::string lock_path_;
};

// Streams one blob into the layout: appends to its partial file (resuming
// what an earlier run left), hashes as it goes, and on finish() checks size
// and digest before renaming it into blobs/. Holds a flock on the partial
// file, so concurrent pulls of one blob download it once.
class BlobWriter {
public:
    BlobWriter(const OciLayout& layout, std::string digest, int64_t size);
    BlobWriter(const BlobWriter&) = delete;
    BlobWriter& operator=(const BlobWriter&) = delete;
    // Flushes what is buffered, so an interrupted download can resume from it.
    ~BlobWriter();

    // True when the blob was already in place (another process finished it).
    bool done() const { return done_; }
    int64_t offset() const { return written_; }
    void write(const void* data, size_t len);
    // Forget what was written (the server ignored our Range request).
    void restart();
    void finish();

private:
    void flush();

    const OciLayout& layout_;
    std::string digest_;
    int64_t size_;
    std::string partial_;
    UniqueFd fd_;
    std::unique_ptr<Sha256> hash_;
    int64_t written_ = 0;
    bool done_ = false;
    // HTTP clients hand over 16 KiB at a time; write(2) 256 KiB at a time.
    std::string buf_;
};

} // namespace ctr::img

// Content digests ("sha256:<64 hex>") and a streaming SHA-256.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ctr::img {

// Checks the form "sha256:<64 lowercase hex>"; throws naming `what` otherwise.
void validate_digest(const std::string& digest, const std::string& what);
// The hex part of a validated digest.
std::string digest_hex(const std::string& digest);

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // "sha256:<hex>"; the hasher cannot be used afterwards.
    std::string digest();

private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

std::string sha256_digest(std::string_view data);
// Digest of a file's content (read in chunks).
std::string sha256_file(const std::string& path);

} // namespace ctr::img

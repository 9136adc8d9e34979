// Image references with Docker's normalisation:
// "busybox" -> docker.io/library/busybox:latest.
#pragma once

#include <string>

namespace ctr::img {

struct Reference {
    std::string registry;    // "docker.io", "127.0.0.1:5000"
    std::string repository;  // "library/busybox"
    std::string tag;         // "latest" unless a digest was given alone
    std::string digest;      // "sha256:..." or empty

    // "docker.io/library/busybox"
    std::string name() const { return registry + "/" + repository; }
    // "docker.io/library/busybox:latest", "...@sha256:..", or both.
    std::string str() const;
    // The reference with the tag dropped and this digest: "NAME@sha256:...".
    std::string with_digest(const std::string& d) const;
    // Tag or digest to ask the registry for.
    const std::string& reference() const { return digest.empty() ? tag : digest; }
};

// Throws "invalid reference \"X\": why" for malformed input.
Reference parse_reference(const std::string& text);

// The registry host to contact for a name: docker.io is served by registry-1.docker.io.
std::string registry_endpoint(const std::string& registry);

} // namespace ctr::img

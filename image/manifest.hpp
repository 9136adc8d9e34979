// OCI and Docker schema 2 manifests, indexes and descriptors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "json_view.hpp"

namespace ctr::img {

namespace media {
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* kDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media

bool is_index(const std::string& media_type);
bool is_manifest(const std::string& media_type);
// Layers the image-spec lets a registry not serve (foreign / non-distributable).
bool is_non_distributable(const std::string& media_type);

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
};

// "linux/arm64/v8" -> Platform; the host's when text is empty.
Platform parse_platform(const std::string& text);
Platform host_platform();
bool platform_matches(const Platform& want, const Platform& have);

struct Descriptor {
    std::string media_type;
    std::string digest;
    int64_t size = 0;
    std::vector<std::string> urls;
    std::map<std::string, std::string> annotations;
    std::optional<Platform> platform;

    Json to_json() const;
};

Descriptor parse_descriptor(const JsonView& v);

struct Manifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
};

struct Index {
    std::string media_type;
    std::vector<Descriptor> manifests;
};

// media_type is the registry's Content-Type (used when the document has none).
Manifest parse_manifest(const std::string& text, const std::string& media_type);
Index parse_index(const std::string& text, const std::string& media_type);
// The "mediaType" of a manifest document, or fallback when it has none.
std::string document_media_type(const std::string& text, const std::string& fallback);

// The same image as an OCI manifest: Docker media types mapped to OCI ones.
Json to_oci_manifest(const Manifest& m);

// The entry of an index for a platform; throws listing what is available.
const Descriptor& select_platform(const Index& index, const Platform& want);

} // namespace ctr::img

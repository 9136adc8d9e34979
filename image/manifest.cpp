#include "manifest.hpp"

#include <sys/utsname.h>

#include "digest.hpp"
#include "error.hpp"

namespace ctr::img {

bool is_index(const std::string& t) { return t == media::kOciIndex || t == media::kDockerList; }

bool is_manifest(const std::string& t) { return t == media::kOciManifest || t == media::kDockerManifest; }

bool is_non_distributable(const std::string& t)
{
    return t == media::kDockerForeignLayer || t.find(".nondistributable.") != std::string::npos;
}

Platform parse_platform(const std::string& text)
{
    if (text.empty())
        return host_platform();
    Platform p;
    size_t a = text.find('/');
    if (a == std::string::npos)
        fail("--platform: \"{}\" is not os/arch[/variant]", text);
    p.os = text.substr(0, a);
    size_t b = text.find('/', a + 1);
    p.architecture = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos)
        p.variant = text.substr(b + 1);
    if (p.os.empty() || p.architecture.empty())
        fail("--platform: \"{}\" is not os/arch[/variant]", text);
    return p;
}

Platform host_platform()
{
    struct utsname u;
    ::uname(&u);
    std::string m = u.machine;
    Platform p{"linux", m, ""};
    if (m == "x86_64")
        p.architecture = "amd64";
    else if (m == "aarch64")
        p = {"linux", "arm64", "v8"};
    else if (m.rfind("armv7", 0) == 0)
        p = {"linux", "arm", "v7"};
    else if (m == "i686" || m == "i386")
        p.architecture = "386";
    return p;
}

bool platform_matches(const Platform& want, const Platform& have)
{
    if (want.os != have.os || want.architecture != have.architecture)
        return false;
    // arm64 images often omit "v8"; a variant only decides when both name one.
    return want.variant.empty() || have.variant.empty() || want.variant == have.variant;
}

Json Descriptor::to_json() const
{
    Json j = {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
    if (!urls.empty())
        j["urls"] = urls;
    if (!annotations.empty())
        j["annotations"] = annotations;
    if (platform) {
        j["platform"] = {{"os", platform->os}, {"architecture", platform->architecture}};
        if (!platform->variant.empty())
            j["platform"]["variant"] = platform->variant;
    }
    return j;
}

Descriptor parse_descriptor(const JsonView& v)
{
    Descriptor d;
    d.media_type = v.opt_str("mediaType").value_or("");
    d.digest = v.at("digest").str();
    validate_digest(d.digest, v.path() + ".digest");
    d.size = v.at("size").i64();
    if (d.size < 0)
        fail("{}.size: must not be negative", v.path());
    d.urls = v.opt_strings("urls");
    if (auto a = v.get("annotations"))
        d.annotations = a->string_map();
    if (auto p = v.get("platform"))
        d.platform = Platform{p->at("os").str(), p->at("architecture").str(),
                              p->opt_str("variant").value_or("")};
    return d;
}

std::string document_media_type(const std::string& text, const std::string& fallback)
{
    Json j = parse_json(text, "manifest");
    if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string())
        return j["mediaType"].get<std::string>();
    if (j.is_object() && j.contains("manifests"))
        return fallback.empty() || !is_index(fallback) ? media::kOciIndex : fallback;
    return fallback.empty() ? media::kOciManifest : fallback;
}

Manifest parse_manifest(const std::string& text, const std::string& media_type)
{
    Json j = parse_json(text, "manifest");
    JsonView v(j, "manifest");
    v.expect_object();
    Manifest m;
    m.media_type = document_media_type(text, media_type);
    if (!is_manifest(m.media_type))
        fail("manifest: unsupported media type \"{}\"", m.media_type);
    m.config = parse_descriptor(v.at("config"));
    for (const auto& l : v.at("layers").items())
        m.layers.push_back(parse_descriptor(l));
    return m;
}

Index parse_index(const std::string& text, const std::string& media_type)
{
    Json j = parse_json(text, "index");
    JsonView v(j, "index");
    v.expect_object();
    Index idx;
    idx.media_type = document_media_type(text, media_type);
    for (const auto& m : v.at("manifests").items())
        idx.manifests.push_back(parse_descriptor(m));
    return idx;
}

Json to_oci_manifest(const Manifest& m)
{
    auto layer_type = [](const std::string& t) -> std::string {
        if (t == media::kDockerLayerGzip)
            return media::kOciLayerGzip;
        if (t == media::kDockerForeignLayer)
            return "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
        if (t == "application/vnd.docker.image.rootfs.diff.tar")
            return media::kOciLayer;
        return t;
    };
    Descriptor config = m.config;
    if (config.media_type == media::kDockerConfig || config.media_type.empty())
        config.media_type = media::kOciConfig;
    Json layers = Json::array();
    for (Descriptor l : m.layers) {
        l.media_type = layer_type(l.media_type);
        layers.push_back(l.to_json());
    }
    return {{"schemaVersion", 2}, {"mediaType", media::kOciManifest}, {"config", config.to_json()},
            {"layers", layers}};
}

const Descriptor& select_platform(const Index& index, const Platform& want)
{
    std::string available;
    for (const auto& d : index.manifests) {
        if (!d.platform)
            continue;
        if (platform_matches(want, *d.platform) && is_manifest(d.media_type.empty() ? media::kOciManifest : d.media_type))
            return d;
        available += (available.empty() ? "" : ", ") + d.platform->os + "/" + d.platform->architecture +
                     (d.platform->variant.empty() ? "" : "/" + d.platform->variant);
    }
    fail("no image for platform {}/{}{} (the index has: {})", want.os, want.architecture,
         want.variant.empty() ? "" : "/" + want.variant, available.empty() ? "nothing" : available);
}

} // namespace ctr::img

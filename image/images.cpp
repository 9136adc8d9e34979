#include "images.hpp"

#include <algorithm>
#include <set>

#include "error.hpp"
#include "reference.hpp"

namespace ctr::img {

namespace {

// The manifest an entry stands for: itself, or the host's from an index.
Descriptor platform_manifest(const OciLayout& layout, const Descriptor& d)
{
    std::string body = layout.read_blob(d.digest);
    std::string type = document_media_type(body, d.media_type);
    if (!is_index(type))
        return d;
    return select_platform(parse_index(body, type), host_platform());
}

} // namespace

std::vector<ImageEntry> list_images(const OciLayout& layout)
{
    std::vector<ImageEntry> out;
    for (auto& d : layout.refs()) {
        auto it = d.annotations.find(kRefNameAnnotation);
        out.push_back({it == d.annotations.end() ? "" : it->second, d});
    }
    return out;
}

std::vector<ImageEntry> find_images(const OciLayout& layout, const std::string& name)
{
    auto images = list_images(layout);
    std::vector<ImageEntry> out;
    for (const auto& e : images)
        if (!e.name.empty() && e.name == name)
            return {e};
    try {
        // "NAME:TAG@DIGEST" as ctr-pull prints it finds the image named NAME:TAG
        // (when it still has that digest) or NAME@DIGEST.
        Reference r = parse_reference(name);
        std::vector<std::string> candidates = {r.str()};
        if (!r.tag.empty() && !r.digest.empty())
            candidates = {r.name() + ":" + r.tag, r.name() + "@" + r.digest};
        for (const auto& c : candidates)
            for (const auto& e : images)
                if (e.name == c && (r.digest.empty() || c.find('@') != std::string::npos ||
                                    e.desc.digest == r.digest || describe(layout, e).manifest_digest == r.digest))
                    return {e};
    } catch (const Error&) {
        // Not a reference: maybe an image ID.
    }
    std::string id = name.rfind("sha256:", 0) == 0 ? name.substr(7) : name;
    bool hex = id.size() >= 4 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (hex) {
        std::set<std::string> configs;
        for (const auto& e : images) {
            std::string config = describe(layout, e).config_digest;
            if (config.compare(7, id.size(), id) == 0) {
                out.push_back(e);
                configs.insert(config);
            }
        }
        if (configs.size() > 1)
            fail("image ID prefix \"{}\" is ambiguous", name);
    }
    return out;
}

ImageEntry find_image(const OciLayout& layout, const std::string& name)
{
    auto found = find_images(layout, name);
    if (found.empty())
        fail("{}: no such image in the store", name);
    return found.front();
}

ImageInfo describe(const OciLayout& layout, const ImageEntry& e)
{
    ImageInfo info;
    info.entry = e;
    Descriptor m = platform_manifest(layout, e.desc);
    info.manifest_digest = m.digest;
    std::string body = layout.read_blob(m.digest);
    info.manifest = parse_json(body, "manifest " + m.digest);
    Manifest parsed = parse_manifest(body, m.media_type);
    info.config_digest = parsed.config.digest;
    info.config = parse_json(layout.read_blob(parsed.config.digest), "config " + parsed.config.digest);
    info.size = static_cast<int64_t>(body.size()) + parsed.config.size;
    for (const auto& l : parsed.layers)
        info.size += l.size;
    return info;
}

std::vector<Descriptor> image_blobs(const OciLayout& layout, const Descriptor& top)
{
    std::vector<Descriptor> out;
    std::set<std::string> seen;
    std::vector<Descriptor> todo = {top};
    while (!todo.empty()) {
        Descriptor d = todo.front();
        todo.erase(todo.begin());
        if (!seen.insert(d.digest).second)
            continue;
        out.push_back(d);
        if (!layout.has_blob(d.digest) || (!d.media_type.empty() && !is_index(d.media_type) &&
                                           !is_manifest(d.media_type)))
            continue;
        std::string body = layout.read_blob(d.digest);
        std::string type = document_media_type(body, d.media_type);
        if (is_index(type)) {
            auto children = parse_index(body, type).manifests;
            todo.insert(todo.end(), children.begin(), children.end());
        } else if (is_manifest(type)) {
            Manifest m = parse_manifest(body, type);
            for (auto& b : std::vector<Descriptor>{m.config})
                if (seen.insert(b.digest).second)
                    out.push_back(b);
            for (auto& l : m.layers)
                if (seen.insert(l.digest).second)
                    out.push_back(l);
        }
    }
    return out;
}

Reachable reachable(const OciLayout& layout)
{
    std::set<std::string> blobs, diff_ids;
    for (const auto& top : layout.refs()) {
        for (const auto& d : image_blobs(layout, top)) {
            blobs.insert(d.digest);
            bool config = d.media_type == media::kOciConfig || d.media_type == media::kDockerConfig;
            if (!config || !layout.has_blob(d.digest))
                continue;
            Json c = parse_json(layout.read_blob(d.digest), "config " + d.digest);
            if (c.contains("rootfs") && c["rootfs"].contains("diff_ids"))
                for (const auto& id : c["rootfs"]["diff_ids"])
                    if (id.is_string())
                        diff_ids.insert(id.get<std::string>());
        }
    }
    return {{blobs.begin(), blobs.end()}, {diff_ids.begin(), diff_ids.end()}};
}

} // namespace ctr::img

#include "layers.hpp"

#include <stdlib.h>
#include <unistd.h>


#include "error.hpp"
#include "file.hpp"
#include "log.hpp"
#include "parallel.hpp"
#include "unpack.hpp"

namespace ctr::img {

std::vector<std::string> diff_ids(const ImageInfo& info)
{
    std::vector<std::string> out;
    JsonView config(info.config, "config");
    for (const auto& id : config.at("rootfs").at("diff_ids").items()) {
        out.push_back(id.str());
        validate_digest(out.back(), id.path());
    }
    size_t layers = info.manifest.value("layers", Json::array()).size();
    if (out.size() != layers)
        fail("image {}: its config lists {} diff_ids for {} layers", info.entry.name, out.size(), layers);
    return out;
}

std::string layer_dir(const Store& store, const std::string& diff_id)
{
    return store.root() + "/layers/sha256/" + digest_hex(diff_id);
}

namespace {

void extract_one(const Store& store, const std::string& blob_digest, const std::string& diff_id)
{
    std::string target = layer_dir(store, diff_id);
    if (path_exists(target))
        return;
    std::string tmp = store.root() + "/layers/tmp-" + digest_hex(diff_id).substr(0, 16) + "-" +
                      std::to_string(::getpid()) + "-" + std::to_string(::gettid());
    remove_all(tmp);
    try {
        UnpackResult r = unpack_layer(store.layout().blob_path(blob_digest), tmp);
        if (r.diff_id != diff_id)
            fail("layer {}: its content hashes to {}, but the image config says {}", blob_digest, r.diff_id,
                 diff_id);
    } catch (...) {
        remove_all(tmp);
        throw;
    }
    if (::rename(tmp.c_str(), target.c_str()) < 0) {
        int err = errno;
        remove_all(tmp);
        // Another process extracted the same layer first: theirs is as good.
        if (err != EEXIST && err != ENOTEMPTY)
            throw_errno("rename " + tmp + " to " + target, err);
    }
}

} // namespace

std::vector<std::string> ensure_layers(const Store& store, const ImageInfo& info, int jobs)
{
    std::vector<std::string> ids = diff_ids(info);
    const Json& layers = info.manifest["layers"];
    mkdir_all(store.root() + "/layers/sha256");
    parallel_for(ids.size(), jobs, [&](size_t i) { extract_one(store, layers[i].value("digest", ""), ids[i]); });
    std::vector<std::string> dirs;
    for (const auto& id : ids)
        dirs.push_back(layer_dir(store, id));
    return dirs;
}

} // namespace ctr::img

#include "layers.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <sstream>

#include "error.hpp"
#include "file.hpp"
#include "log.hpp"
#include "parallel.hpp"
#include "resolve.hpp"
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

std::string implicit_list(const std::string& layer_dir)
{
    size_t slash = layer_dir.rfind('/');
    std::string layers = layer_dir.substr(0, layer_dir.rfind('/', slash - 1));
    return layers + "/implicit/" + layer_dir.substr(slash + 1);
}

std::set<std::string> implicit_dirs(const std::string& layer_dir)
{
    std::set<std::string> out;
    std::string path = implicit_list(layer_dir);
    auto text = try_read_file(path);
    if (!text) {
        if (errno != ENOENT)
            throw_errno("read " + path);
        return out;
    }
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            out.insert(line);
    return out;
}

std::map<std::string, struct stat> implicit_fixes(const std::vector<std::string>& layers)
{
    std::vector<std::set<std::string>> implicit;
    std::vector<UniqueFd> fds;
    for (const auto& l : layers) {
        implicit.push_back(implicit_dirs(l));
        fds.push_back(open_or_throw(l, O_PATH | O_DIRECTORY));
    }
    // What PATH is in layer i, resolved inside it (never through a link out).
    auto at = [&](size_t i, const std::string& path, struct stat& st) {
        return mnt::stat_in_root(fds[i].get(), path, st);
    };
    // Whether layer j hides what lower layers have at path, without having
    // it: an ancestor that is opaque, a file or a whiteout there.
    auto hides_below = [&](size_t j, std::string path) {
        while ((path = mnt::split_parent(path).first) != "/") {
            struct stat st;
            if (!at(j, path, st))
                continue;
            if (!S_ISDIR(st.st_mode))
                return true;
            if (is_opaque(mnt::open_in_root(fds[j].get(), path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).get()))
                return true;
        }
        return false;
    };
    std::map<std::string, struct stat> out;
    for (size_t i = 0; i < layers.size(); i++) {
        for (const auto& path : implicit[i]) {
            struct stat st;
            bool covered = false;
            for (size_t k = i + 1; k < layers.size() && !covered; k++)
                covered = at(k, path, st);
            if (covered || !at(i, path, st) || !S_ISDIR(st.st_mode))
                continue;  // a higher layer decides, or not a directory here
            // Down to the layer that last defined it; absent means untouched there.
            for (size_t j = i; j-- > 0;) {
                if (!at(j, path, st)) {
                    if (hides_below(j, path))
                        break;
                    continue;
                }
                if (!S_ISDIR(st.st_mode))
                    break;
                if (!implicit[j].count(path)) {
                    out[path] = st;
                    break;
                }
            }
        }
    }
    return out;
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
        // Written before the layer is renamed into place: a layer in the
        // cache always has its list (an old one is replaced here).
        std::string list;
        for (const auto& d : r.implicit_dirs)
            list += d + '\n';
        std::string path = implicit_list(target);
        if (!list.empty())
            write_file_atomic(path, list);
        else if (::unlink(path.c_str()) < 0 && errno != ENOENT)
            throw_errno("remove " + path);
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
    mkdir_all(store.root() + "/layers/implicit");
    parallel_for(ids.size(), jobs, [&](size_t i) { extract_one(store, layers[i].value("digest", ""), ids[i]); });
    std::vector<std::string> dirs;
    for (const auto& id : ids)
        dirs.push_back(layer_dir(store, id));
    return dirs;
}

} // namespace ctr::img

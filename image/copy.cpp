#include "copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"
#include "fd.hpp"
#include "file.hpp"
#include "layers.hpp"
#include "resolve.hpp"
#include "scope.hpp"

namespace ctr::img {

void flatten_layers(const std::vector<std::string>& layer_dirs, const std::string& dest)
{
    struct stat st;
    if (::lstat(dest.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        fail("{}: exists and is not a directory", dest);
    std::string tmp = dest + ".ctr-tmp-" + std::to_string(::getpid());
    if (::mkdir(tmp.c_str(), 0755) < 0)
        throw_errno("create " + tmp);
    ScopeGuard cleanup([&] { remove_all(tmp); });
    UniqueFd root = open_or_throw(tmp, O_RDONLY | O_DIRECTORY);
    for (const auto& layer : layer_dirs) {
        UniqueFd src = open_or_throw(layer, O_RDONLY | O_DIRECTORY);
        try {
            mnt::merge_layer(src.get(), root.get());
        } catch (const Error& e) {
            throw Error(fmt::format("apply layer {}: {}", layer, e.context()), e.err());
        }
    }
    // Directories a layer only implied keep the attributes of the lower copy.
    for (const auto& [path, st] : implicit_fixes(layer_dirs)) {
        int fd = mnt::try_open_in_root(root.get(), path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0)
            continue;  // gone under a higher layer's whiteout
        UniqueFd dir(fd);
        mnt::set_attributes(dir.get(), "", st, std::nullopt, path);
    }
    // rename(2) replaces an empty directory and refuses any other.
    if (::rename(tmp.c_str(), dest.c_str()) < 0) {
        if (errno == ENOTEMPTY || errno == EEXIST)
            fail("{}: not an empty directory", dest);
        throw_errno("rename to " + dest);
    }
    cleanup.dismiss();
}

} // namespace ctr::img

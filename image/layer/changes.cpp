#include "changes.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "bundle.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "layers.hpp"
#include "mountinfo.hpp"
#include "tar.hpp"

namespace ctr::img {

namespace fs = std::filesystem;

namespace {

struct Record {
    std::vector<std::string> lowers;  // top first
};

Record read_record(const std::string& dir)
{
    std::string path = dir + "/image.json";
    if (!path_exists(path))
        fail("{}: not a bundle made by ctr-layer (no image.json)", dir);
    Json j = parse_json(read_file(path), path);
    Record r;
    std::string store = j.value("store", "");
    for (const auto& id : j.value("layers", Json::array()))
        r.lowers.push_back(store + "/layers/sha256/" + digest_hex(id.get<std::string>()));
    std::reverse(r.lowers.begin(), r.lowers.end());
    return r;
}

bool in_lowers(const Record& r, const std::string& rel)
{
    struct stat st;
    for (const auto& l : r.lowers)
        if (::lstat((l + rel).c_str(), &st) == 0)
            return true;
    return false;
}

} // namespace

std::vector<Change> bundle_diff(const std::string& dir)
{
    Record r = read_record(dir);
    std::string upper = dir + "/upper";
    std::vector<Change> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(upper, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        std::string rel = it->path().string().substr(upper.size());
        struct stat st;
        if (::lstat(it->path().c_str(), &st) < 0)
            throw_errno("stat " + it->path().string());
        // overlayfs records a deletion as a 0/0 character device.
        if (is_whiteout(st))
            out.push_back({'D', rel});
        else
            out.push_back({in_lowers(r, rel) ? 'C' : 'A', rel});
    }
    if (ec)
        throw Error("read " + upper, ec.value());
    std::sort(out.begin(), out.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
    return out;
}

void ensure_mounted(const std::string& dir)
{
    std::string rootfs = dir + "/rootfs";
    if (mnt::mount_containing(mnt::read_mountinfo(), rootfs).mountpoint == rootfs)
        return;
    std::vector<std::string> layers = read_record(dir).lowers;
    mount_rootfs(dir, {layers.rbegin(), layers.rend()});
}

void export_bundle(const std::string& dir, int fd)
{
    ensure_mounted(dir);
    std::string rootfs = dir + "/rootfs";
    TarWriter tar(fd);
    tar.dir("./");
    walk_tree(rootfs, [&](struct archive_entry* e, const std::string& rel) {
        std::string src = archive_entry_sourcepath(e);
        std::string name = ".";
        name.append(rel);
        archive_entry_set_pathname(e, name.c_str());
        tar.add_entry(e, src);
    });
    tar.close();
}

} // namespace ctr::img

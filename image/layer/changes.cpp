#include "changes.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "mountinfo.hpp"

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
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
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
    Record r = read_record(dir);
    std::string data = "lowerdir=";
    for (size_t i = 0; i < r.lowers.size(); i++)
        data += (i ? ":" : "") + r.lowers[i];
    if (r.lowers.empty())
        data += dir + "/empty";
    data += ",upperdir=" + dir + "/upper,workdir=" + dir + "/work";
    if (::mount("overlay", rootfs.c_str(), "overlay", 0, data.c_str()) < 0)
        throw_errno("mount overlay on " + rootfs);
}

void export_bundle(const std::string& dir, int fd)
{
    ensure_mounted(dir);
    std::string rootfs = dir + "/rootfs";
    using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
    ArchivePtr disk(archive_read_disk_new(), archive_read_free);
    ArchivePtr out(archive_write_new(), archive_write_free);
    archive_read_disk_set_symlink_physical(disk.get());
    archive_read_disk_set_standard_lookup(disk.get());
    archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
    archive_write_set_format_pax_restricted(out.get());
    if (archive_write_open_fd(out.get(), fd) != ARCHIVE_OK ||
        archive_read_disk_open(disk.get(), rootfs.c_str()) != ARCHIVE_OK)
        fail("export {}: {}", dir, archive_error_string(disk.get()) ? archive_error_string(disk.get()) : "libarchive");
    for (;;) {
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
        int rc = archive_read_next_header2(disk.get(), e.get());
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK)
            fail("export {}: {}", dir, archive_error_string(disk.get()));
        archive_read_disk_descend(disk.get());
        std::string full = archive_entry_pathname(e.get());
        std::string name = ".";
        name.append(full.size() > rootfs.size() ? full.substr(rootfs.size()) : std::string("/"));
        archive_entry_set_pathname(e.get(), name.c_str());
        if (archive_write_header(out.get(), e.get()) != ARCHIVE_OK)
            fail("export {}: {}", dir, archive_error_string(out.get()));
        if (archive_entry_filetype(e.get()) == AE_IFREG && archive_entry_size(e.get()) > 0) {
            std::string src = archive_entry_sourcepath(e.get());
            UniqueFd in = open_or_throw(src, O_RDONLY);
            read_chunks(in.get(), src, [&](const char* data, size_t len) {
                if (archive_write_data(out.get(), data, len) < 0)
                    fail("export {}: {}", dir, archive_error_string(out.get()));
            });
        }
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK)
        fail("export {}: {}", dir, archive_error_string(out.get()));
}

} // namespace ctr::img

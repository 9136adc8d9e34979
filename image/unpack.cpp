#include "unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "decompress.hpp"
#include "error.hpp"
#include "file.hpp"
#include "resolve.hpp"

namespace ctr::img {

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

struct Source {
    LayerReader reader;
    std::vector<char> buf = std::vector<char>(1 << 17);
    std::exception_ptr error;
    explicit Source(const std::string& path) : reader(path) {}
};

la_ssize_t on_read(struct archive*, void* p, const void** out)
{
    auto* s = static_cast<Source*>(p);
    try {
        *out = s->buf.data();
        return static_cast<la_ssize_t>(s->reader.read(s->buf.data(), s->buf.size()));
    } catch (...) {
        s->error = std::current_exception();
        return -1;
    }
}

// "./a/b/" -> "a/b"; refuses ".." components, which would climb. what
// names the string in the error ("" for the entry's own name).
std::string clean_name(const std::string& raw, const std::string& what = "")
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= raw.size()) {
        size_t end = raw.find('/', start);
        std::string comp = raw.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (comp == "..")
            fail("{}a \"..\" component would leave the layer", what);
        if (!comp.empty() && comp != ".")
            parts.push_back(comp);
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : "/") + p;
    return out;
}

// An entry name fit for a one-line error: control characters escaped.
std::string printable(const char* name)
{
    std::string out;
    for (const char* c = name ? name : ""; *c; c++) {
        unsigned char u = static_cast<unsigned char>(*c);
        if (u < 0x20 || u == 0x7f)
            out += fmt::format("\\x{:02x}", u);
        else
            out += *c;
    }
    return out;
}

struct DirMeta {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    struct timespec mtime;
};

class Unpacker {
public:
    Unpacker(int rootfd, bool root) : rootfd_(rootfd), root_(root), uid_(::geteuid()), gid_(::getegid()) {}

    void entry(struct archive* a, struct archive_entry* e)
    {
        std::string name = clean_name(archive_entry_pathname(e));
        if (name.empty())
            return;  // the layer's own root
        auto [dir, base] = mnt::split_parent("/" + name);
        bool wh = base.rfind(".wh.", 0) == 0;
        // A whiteout under what this layer made a file or symlink is moot:
        // that entry already hides the lower layers' directory.
        if (wh && non_directory(dir))
            return;
        int parent = parent_dir(dir);
        if (wh)
            return whiteout(parent, dir, base);
        if (const char* link = archive_entry_hardlink(e))
            return hardlink(parent, base, "/" + name, link);
        mode_t type = archive_entry_filetype(e);
        std::string path = "/" + name;
        // A later entry replaces an earlier one, except directory over
        // directory: what is in the way goes when creating fails (EEXIST).
        auto create = [&](const char* what, auto&& make) {
            if (make() == 0)
                return;
            if (errno != EEXIST)
                throw_errno(what);
            if (type == AE_IFDIR && !non_directory(path))
                return;  // directory over directory: kept
            remove_existing(parent, base, path);
            if (make() < 0)
                throw_errno(what);
        };
        switch (type) {
        case AE_IFDIR:
            create("mkdir", [&] { return ::mkdirat(parent, base.c_str(), 0700); });
            explicit_.insert("/" + name);
            // The last entry for a directory gives its attributes.
            dirs_["/" + name] = {archive_entry_perm(e), static_cast<uid_t>(archive_entry_uid(e)),
                                 static_cast<gid_t>(archive_entry_gid(e)),
                                 {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
            return;
        case AE_IFREG: {
            UniqueFd fd;
            create("create", [&] {
                fd = UniqueFd(::openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                       0600));
                return fd ? 0 : -1;
            });
            return regular(a, e, fd.get());
        }
        case AE_IFLNK:
            create("symlink", [&] { return ::symlinkat(archive_entry_symlink(e), parent, base.c_str()); });
            return metadata_at(parent, base, e, true);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
            if (!root_ && type != AE_IFIFO)
                return;  // only root may make device nodes; skipped otherwise
            create("mknod", [&] {
                return ::mknodat(parent, base.c_str(), type | archive_entry_perm(e),
                                 makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e)));
            });
            return metadata_at(parent, base, e, false);
        default:
            fail("unsupported entry type {:o}", type);
        }
    }

    // Directory owners, modes and mtimes last: writing into a directory changes its mtime.
    void finish()
    {
        for (const auto& [path, d] : dirs_) {
            UniqueFd fd = mnt::open_in_root(rootfd_, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (root_ && ::fchown(fd.get(), d.uid, d.gid) < 0)
                throw_errno("directory " + path + ": chown");
            if (::fchmod(fd.get(), d.mode) < 0)
                throw_errno("directory " + path + ": chmod");
            struct timespec times[2] = {d.mtime, d.mtime};
            if (::futimens(fd.get(), times) < 0)
                throw_errno("directory " + path + ": set times");
        }
    }

    // Directories made only to hold entries: the tar has no entry for them.
    std::vector<std::string> implicit_dirs() const
    {
        std::vector<std::string> out;
        for (const auto& d : parents_)
            if (!explicit_.count(d))
                out.push_back(d);
        return out;
    }

private:
    // The directory entries go into: the previous entry's, most of the time.
    int parent_dir(const std::string& dir)
    {
        if (!parent_ || dir != parent_path_) {
            parent_ = mnt::mkdir_in_root(rootfd_, dir, 0755);
            parent_path_ = dir;
            note_parents(dir);
        }
        return parent_.get();
    }

    void note_parents(std::string dir)
    {
        while (dir != "/" && parents_.insert(dir).second)
            dir = mnt::split_parent(dir).first;
    }

    bool non_directory(const std::string& path)
    {
        struct stat st;
        return mnt::stat_in_root(rootfd_, path, st) && !S_ISDIR(st.st_mode);
    }

    void whiteout(int parent, const std::string& dir, const std::string& base)
    {
        if (base == ".wh..wh..opq") {
            UniqueFd d = mnt::open_in_root(rootfd_, dir, O_RDONLY | O_DIRECTORY);
            if (root_ && ::fsetxattr(d.get(), "trusted.overlay.opaque", "y", 1, 0) < 0)
                throw_errno("mark opaque");
            if (!root_ && ::fsetxattr(d.get(), "user.overlay.opaque", "y", 1, 0) < 0)
                throw_errno("mark opaque");
            return;
        }
        std::string target = base.substr(4);
        if (target.empty() || target == "." || target == "..")
            fail("whiteout \"{}\" names nothing", base);
        remove_existing(parent, target, (dir == "/" ? "" : dir) + "/" + target);
        if (::mknodat(parent, target.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0)
            throw_errno("make whiteout");
    }

    void hardlink(int parent, const std::string& base, const std::string& path, const std::string& raw_target)
    {
        std::string target = clean_name(raw_target, "link target: ");
        // The target is resolved inside the layer, so a link cannot reach the host.
        UniqueFd t = mnt::open_in_root(rootfd_, target, O_PATH | O_NOFOLLOW);
        int rc = ::linkat(t.get(), "", parent, base.c_str(), AT_EMPTY_PATH);
        if (rc < 0 && errno == EEXIST) {
            remove_existing(parent, base, path);
            rc = ::linkat(t.get(), "", parent, base.c_str(), AT_EMPTY_PATH);
        }
        if (rc < 0)
            throw_errno("hard link to " + target);
    }

    // What an earlier entry put at path (parent/base) goes, a directory
    // with all it holds, as docker replaces it.
    void remove_existing(int parent, const std::string& base, const std::string& path)
    {
        if (::unlinkat(parent, base.c_str(), 0) == 0 || errno == ENOENT)
            return;
        if (errno != EISDIR)
            throw_errno("replace " + path);
        remove_all(mnt::fd_path(parent) + "/" + base);
        if (parent_path_ == path || parent_path_.rfind(path + "/", 0) == 0)
            parent_.reset();  // the cached directory was inside
        for (auto it = dirs_.lower_bound(path); it != dirs_.end() && it->first.rfind(path, 0) == 0;)
            it = it->first == path || it->first[path.size()] == '/' ? dirs_.erase(it) : std::next(it);
    }

    void regular(struct archive* a, struct archive_entry* e, int fd)
    {
        const void* block;
        size_t len;
        la_int64_t offset;
        la_int64_t end = 0;
        int rc;
        while ((rc = archive_read_data_block(a, &block, &len, &offset)) == ARCHIVE_OK) {
            // Sparse files: blocks come with offsets; the holes stay holes.
            if (::pwrite(fd, block, len, offset) != static_cast<ssize_t>(len))
                throw_errno("write");
            end = std::max<la_int64_t>(end, offset + static_cast<la_int64_t>(len));
        }
        if (rc != ARCHIVE_EOF)
            fail("read data: {}", archive_error_string(a) ? archive_error_string(a) : "libarchive error");
        if (end != archive_entry_size(e) && ::ftruncate(fd, archive_entry_size(e)) < 0)
            throw_errno("truncate");  // a hole at the end
        xattrs(e, fd);
        auto uid = static_cast<uid_t>(archive_entry_uid(e));
        auto gid = static_cast<gid_t>(archive_entry_gid(e));
        // New files are already ours: no chown for root-owned files as root.
        if (root_ && (uid != uid_ || gid != gid_) && ::fchown(fd, uid, gid) < 0)
            throw_errno("chown");
        if (::fchmod(fd, archive_entry_perm(e)) < 0)
            throw_errno("chmod");
        struct timespec times[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                                    {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
        if (::futimens(fd, times) < 0)
            throw_errno("set times");
    }

    void xattrs(struct archive_entry* e, int fd)
    {
        const char* name;
        const void* value;
        size_t size;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
            std::string n = name;
            if (!root_ && n.rfind("user.", 0) != 0)
                continue;
            if (::fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP)
                throw_errno("set xattr " + n);
        }
    }

    void metadata_at(int parent, const std::string& base, struct archive_entry* e, bool symlink)
    {
        int flags = AT_SYMLINK_NOFOLLOW;
        if (root_ && ::fchownat(parent, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                                static_cast<gid_t>(archive_entry_gid(e)), flags) < 0)
            throw_errno("chown");
        if (!symlink && ::fchmodat(parent, base.c_str(), archive_entry_perm(e), 0) < 0)
            throw_errno("chmod");
        struct timespec times[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                                    {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
        if (::utimensat(parent, base.c_str(), times, flags) < 0)
            throw_errno("set times");
    }

    int rootfd_;
    bool root_;
    std::map<std::string, DirMeta> dirs_;  // explicit directories' attributes, set by finish()
    std::set<std::string> parents_, explicit_;
    uid_t uid_;
    gid_t gid_;
    UniqueFd parent_;  // the directory of the last entry
    std::string parent_path_;
};

} // namespace

UnpackResult unpack_layer(const std::string& blob, const std::string& dir)
{
    if (::mkdir(dir.c_str(), 0755) < 0)
        throw_errno("create layer directory " + dir);
    UniqueFd rootfd = open_or_throw(dir, O_PATH | O_DIRECTORY);
    Source src(blob);
    ArchivePtr a(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open(a.get(), &src, nullptr, on_read, nullptr) != ARCHIVE_OK)
        fail("layer {}: {}", blob, archive_error_string(a.get()) ? archive_error_string(a.get()) : "not a tar");
    Unpacker unpacker(rootfd.get(), ::geteuid() == 0);
    UnpackResult result;
    struct archive_entry* e;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        try {
            unpacker.entry(a.get(), e);
        } catch (const Error& err) {
            throw Error(fmt::format("layer {}: entry \"{}\": {}", blob, printable(archive_entry_pathname(e)),
                                    err.context()),
                        err.err());
        }
        result.entries++;
    }
    if (src.error)
        std::rethrow_exception(src.error);
    if (rc != ARCHIVE_EOF)
        fail("layer {}: {}", blob, archive_error_string(a.get()) ? archive_error_string(a.get()) : "bad tar");
    try {
        unpacker.finish();
    } catch (const Error& err) {
        throw Error(fmt::format("layer {}: {}", blob, err.context()), err.err());
    }
    result.implicit_dirs = unpacker.implicit_dirs();
    result.diff_id = src.reader.diff_id();
    result.compression = src.reader.compression();
    return result;
}

} // namespace ctr::img

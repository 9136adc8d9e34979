#include "tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <vector>

#include "error.hpp"
#include "fd.hpp"
#include "file.hpp"
#include "resolve.hpp"
#include "scope.hpp"

namespace ctr::mnt {

namespace {

bool is_overlay_xattr(const std::string& name)
{
    return name.rfind("trusted.overlay.", 0) == 0 || name.rfind("user.overlay.", 0) == 0;
}

// Removes name from dir, whatever it is: a directory with all it holds.
void remove_at(int dir, const std::string& name)
{
    if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT)
        return;
    if (errno != EISDIR)
        throw_errno("remove " + name);
    remove_all(fd_path(dir) + "/" + name);
}

template <typename Fn>
void for_each_entry(int dirfd, const std::string& what, Fn&& fn)
{
    DIR* d = ::fdopendir(::dup(dirfd));
    if (!d)
        throw_errno("read directory " + what);
    ScopeGuard close([&] { ::closedir(d); });
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..")
            fn(name);
    }
}

void copy_xattrs(int src, int dst, const std::string& what)
{
    char names[65536];
    ssize_t n = ::flistxattr(src, names, sizeof names);
    for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(names + i)) + 1) {
        std::string name = names + i;
        if (is_overlay_xattr(name))
            continue;
        std::string value(65536, '\0');
        ssize_t len = ::fgetxattr(src, name.c_str(), value.data(), value.size());
        if (len < 0)
            throw_errno("read xattr " + name + " of " + what);
        if (::fsetxattr(dst, name.c_str(), value.data(), static_cast<size_t>(len), 0) < 0 && errno != ENOTSUP &&
            errno != EPERM)
            throw_errno("set xattr " + name + " on " + what);
    }
}

// Bytes [from, to) of src to the same offsets of dst: copy_file_range within
// a filesystem, read and write across two (EXDEV).
void copy_range(int src, int dst, off_t from, off_t to, const std::string& what)
{
    bool in_kernel = true;
    std::vector<char> buf;
    for (off_t in = from, out = from; in < to;) {
        size_t want = static_cast<size_t>(to - in);
        ssize_t n;
        if (in_kernel) {
            n = ::copy_file_range(src, &in, dst, &out, want, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                in_kernel = false;
                buf.resize(1 << 17);
                continue;
            }
        } else {
            n = ::pread(src, buf.data(), std::min(want, buf.size()), in);
            if (n > 0 && ::pwrite(dst, buf.data(), static_cast<size_t>(n), out) != n)
                throw_errno("write " + what);
            in += n > 0 ? n : 0;
            out += n > 0 ? n : 0;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw_errno("copy " + what);
    }
}

// The data of a regular file; holes stay holes.
void copy_data(int src, int dst, off_t size, const std::string& what)
{
    off_t pos = 0;
    while (pos < size) {
        off_t data = ::lseek(src, pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;  // only a hole is left
        off_t hole = data < 0 ? -1 : ::lseek(src, data, SEEK_HOLE);
        if (data < 0 || hole < 0)
            throw_errno("seek in " + what);
        copy_range(src, dst, data, hole, what);
        pos = hole;
    }
    if (::ftruncate(dst, size) < 0)
        throw_errno("truncate " + what);
}

class Merger {
public:
    Merger(int rootfd, bool layers, Owner owner) : rootfd_(rootfd), layers_(layers), owner_(std::move(owner)) {}

    // One layer over what is already in the tree.
    void layer(int src)
    {
        links_.clear();
        merge_dir(src, rootfd_, "");
    }

    // src_dir/name as dst_name in the tree's top directory.
    void one(int src_dir, const std::string& name, const std::string& dst_name)
    {
        links_.clear();
        merge_entry(src_dir, rootfd_, name, dst_name, "/" + dst_name);
    }

private:
    void merge_dir(int src, int dst, const std::string& rel)
    {
        for_each_entry(src, rel.empty() ? "/" : rel,
                       [&](const std::string& name) { merge_entry(src, dst, name, name, rel + "/" + name); });
    }

    // path: where dname is, from the tree's top ("/a/b").
    void merge_entry(int src, int dst, const std::string& name, const std::string& dname, const std::string& path)
    {
        struct stat st, dt;
        if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            throw_errno("stat " + path);
        bool exists = ::fstatat(dst, dname.c_str(), &dt, AT_SYMLINK_NOFOLLOW) == 0;
        if (layers_ && is_whiteout(st))
            return remove_at(dst, dname);
        if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(dt.st_mode))) {
            remove_at(dst, dname);
            exists = false;
        }
        if (S_ISDIR(st.st_mode))
            return directory(src, dst, name, dname, path, st, exists);
        entry(src, dst, name, dname, path, st);
    }

    void directory(int src, int dst, const std::string& name, const std::string& dname, const std::string& path,
                   const struct stat& st, bool exists)
    {
        if (!exists && ::mkdirat(dst, dname.c_str(), 0700) < 0)
            throw_errno("create " + path);
        UniqueFd s = openat_or_throw(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        UniqueFd d = openat_or_throw(dst, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (layers_ && exists && is_opaque(s.get()))
            for_each_entry(d.get(), path, [&](const std::string& n) { remove_at(d.get(), n); });
        merge_dir(s.get(), d.get(), path);
        copy_xattrs(s.get(), d.get(), path);
        // Owner, mode and times last: adding entries changes a directory's mtime.
        set_attributes(d.get(), "", st, owner_, path);
    }

    void entry(int src, int dst, const std::string& name, const std::string& dname, const std::string& path,
               const struct stat& st)
    {
        auto link = links_.find({st.st_dev, st.st_ino});
        if (link != links_.end()) {
            if (::linkat(rootfd_, link->second.c_str(), dst, dname.c_str(), 0) < 0)
                throw_errno("hard link " + path + " to " + link->second);
            return;
        }
        if (S_ISREG(st.st_mode))
            regular(src, dst, name, dname, path, st);
        else if (S_ISLNK(st.st_mode))
            symlink(src, dst, name, dname, path);
        else if (::mknodat(dst, dname.c_str(), st.st_mode & S_IFMT, st.st_rdev) < 0)
            throw_errno("create " + path);
        set_attributes(dst, dname, st, owner_, path);
        if (st.st_nlink > 1)
            links_[{st.st_dev, st.st_ino}] = path.substr(1);
    }

    void regular(int src, int dst, const std::string& name, const std::string& dname, const std::string& path,
                 const struct stat& st)
    {
        UniqueFd in = openat_or_throw(src, name, O_RDONLY | O_NOFOLLOW);
        UniqueFd out(::openat(dst, dname.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out)
            throw_errno("create " + path);
        copy_data(in.get(), out.get(), st.st_size, path);
        copy_xattrs(in.get(), out.get(), path);
    }

    void symlink(int src, int dst, const std::string& name, const std::string& dname, const std::string& path)
    {
        char target[PATH_MAX];
        ssize_t n = ::readlinkat(src, name.c_str(), target, sizeof target - 1);
        if (n < 0)
            throw_errno("read link " + path);
        target[n] = '\0';
        if (::symlinkat(target, dst, dname.c_str()) < 0)
            throw_errno("create " + path);
    }

    int rootfd_;
    bool layers_;  // whiteouts delete, opaque directories drop what is below
    Owner owner_;  // everything owned by this, or kept as it is
    std::map<std::pair<dev_t, ino_t>, std::string> links_;  // a layer's hard-linked inodes: first path
};

} // namespace

// Owner, mode and times of dirfd itself (name "") or of dirfd/name, never
// through a symlink: a container may swap one in while we copy into it.
void set_attributes(int dirfd, const std::string& name, const struct stat& st, const Owner& owner,
                    const std::string& path)
{
    UniqueFd opened;
    int fd = dirfd;
    if (!name.empty()) {
        opened = openat_or_throw(dirfd, name, O_PATH | O_NOFOLLOW);
        fd = opened.get();
    }
    uid_t uid = owner ? owner->first : st.st_uid;
    gid_t gid = owner ? owner->second : st.st_gid;
    if (::geteuid() == 0 && ::fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
        throw_errno("chown " + path);
    // O_PATH fds take chmod and utimes through /proc; a symlink has no mode.
    if (!S_ISLNK(st.st_mode) && ::chmod(fd_path(fd).c_str(), st.st_mode & 07777) < 0)
        throw_errno("chmod " + path);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    int rc = name.empty() ? ::futimens(dirfd, times) : ::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    if (rc < 0)
        throw_errno("set times of " + path);
}

void copy_into(int src_dir, int dst_dir, const Owner& owner) { Merger(dst_dir, false, owner).layer(src_dir); }

void copy_entry(int src_dir, const std::string& name, int dst_dir, const std::string& dst_name, const Owner& owner)
{
    Merger(dst_dir, false, owner).one(src_dir, name, dst_name);
}

void merge_layer(int layer_dir, int dst_root) { Merger(dst_root, true, std::nullopt).layer(layer_dir); }

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool is_opaque(int dirfd)
{
    char v[2];
    for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"})
        if (::fgetxattr(dirfd, name, v, sizeof v) == 1 && v[0] == 'y')
            return true;
    return false;
}

} // namespace ctr::mnt

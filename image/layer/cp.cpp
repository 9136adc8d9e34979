#include "cp.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive_entry.h>

#include "changes.hpp"
#include "copy.hpp"
#include "error.hpp"
#include "file.hpp"
#include "resolve.hpp"
#include "scope.hpp"
#include "tar.hpp"

namespace ctr::img {

namespace {

// One side of a copy: a path in a bundle's rootfs, or on the host.
struct Location {
    std::string text;    // as given, for errors
    std::string bundle;  // "" on the host
    std::string path;
    UniqueFd root;       // the bundle's rootfs

    static Location parse(const std::string& s)
    {
        Location l;
        l.text = s;
        l.path = s;
        size_t colon = s.find(':');
        if (colon != std::string::npos && colon > 0 && path_exists(s.substr(0, colon) + "/image.json")) {
            l.bundle = absolute_path(s.substr(0, colon));
            l.path = s.substr(colon + 1);
            if (l.path.empty() || l.path[0] != '/')
                l.path.insert(0, 1, '/');  // relative to the container's /
            ensure_mounted(l.bundle);
            l.root = open_or_throw(l.bundle + "/rootfs", O_PATH | O_DIRECTORY);
        }
        if (l.path.empty())
            fail("{}: an empty path", s);
        return l;
    }

    bool in_bundle() const { return !bundle.empty(); }

    // The directory at p (inside the rootfs for a bundle), or -1 with errno.
    int open(const std::string& p, int flags) const
    {
        return in_bundle() ? mnt::try_open_in_root(root.get(), p, flags) : ::open(p.c_str(), flags | O_CLOEXEC);
    }

    bool stat(const std::string& p, struct stat& st) const
    {
        int fd = open(p, O_PATH);
        if (fd < 0)
            return false;
        UniqueFd guard(fd);
        return ::fstat(fd, &st) == 0;
    }
};

std::string strip_slashes(std::string p)
{
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    return p;
}

void copy_to(const Location& src, const std::string& src_path, const Location& dst, const Owner& owner)
{
    bool contents = src_path.size() >= 2 && src_path.compare(src_path.size() - 2, 2, "/.") == 0;
    std::string from = strip_slashes(contents ? src_path.substr(0, src_path.size() - 2) : src_path);
    if (from.empty())
        from.assign(1, '/');
    auto [sdir, sname] = mnt::split_parent(from);
    if (sname.empty())
        sname.assign(1, '.');  // the root itself
    struct stat st;
    UniqueFd sparent(src.open(sdir, O_PATH | O_DIRECTORY));
    if (!sparent || ::fstatat(sparent.get(), sname.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        fail("{}: no such file or directory", src.text);
    if (from == "/")
        contents = true;  // the whole root: its content
    if (contents && !S_ISDIR(st.st_mode))
        fail("{}: not a directory", src.text);

    std::string to = strip_slashes(dst.path);
    bool dir_wanted = dst.path.size() > 1 && dst.path.back() == '/';
    struct stat dt;
    bool exists = dst.stat(to, dt);
    if (!exists && dir_wanted)
        fail("{}: the destination directory does not exist", dst.text);
    if (exists && !S_ISDIR(dt.st_mode) && (S_ISDIR(st.st_mode) || dir_wanted))
        fail("{}: cannot copy a directory onto a file", dst.text);
    UniqueFd target;           // the directory the copy goes into
    std::string name = sname;  // under this name
    if (exists && S_ISDIR(dt.st_mode)) {
        target = UniqueFd(dst.open(to, O_RDONLY | O_DIRECTORY));
        if (contents) {
            UniqueFd s = openat_or_throw(sparent.get(), sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            copy_into(s.get(), target.get(), owner);
            return;
        }
    } else {
        auto [ddir, dname] = mnt::split_parent(to);
        target = UniqueFd(dst.open(ddir, O_RDONLY | O_DIRECTORY));
        if (!target)
            fail("{}: the parent directory does not exist", dst.text);
        name = dname;
    }
    copy_entry(sparent.get(), sname, target.get(), name, owner);
}

// SRC as a tar stream: copied to a temporary directory, then walked.
void copy_to_stdout(const Location& src)
{
    if (::isatty(STDOUT_FILENO))
        fail("cp: refusing to write a tar to a terminal");
    char tmpl[] = "/tmp/ctr-cp.XXXXXX";
    if (!::mkdtemp(tmpl))
        throw_errno("create a temporary directory");
    std::string tmp = tmpl;
    ScopeGuard cleanup([&] { remove_all(tmp); });
    Location dst = Location::parse(tmp + "/");
    copy_to(src, src.path, dst, std::nullopt);
    TarWriter tar(STDOUT_FILENO);
    walk_tree(tmp, [&](struct archive_entry* e, const std::string& rel) {
        std::string src_path = archive_entry_sourcepath(e);
        archive_entry_set_pathname(e, rel.substr(1).c_str());
        tar.add_entry(e, src_path);
    });
    tar.close();
}

} // namespace

void copy_path(const std::string& src_text, const std::string& dest_text, const CpOptions& opts)
{
    if (src_text == "-")
        fail("cp: a tar stream as the source is not supported: extract it, then copy the directory");
    Location src = Location::parse(src_text);
    if (dest_text == "-") {
        if (!src.in_bundle())
            fail("cp {}: the source must be BUNDLE:PATH", src_text);
        return copy_to_stdout(src);
    }
    Location dst = Location::parse(dest_text);
    if (src.in_bundle() == dst.in_bundle())
        fail("cp: one of SRC and DEST must be BUNDLE:PATH (a directory made by ctr-layer bundle), the other a "
             "host path");
    Owner owner;
    if (!opts.archive)
        owner = dst.in_bundle() ? std::make_pair(uid_t{0}, gid_t{0}) : std::make_pair(::geteuid(), ::getegid());
    copy_to(src, src.path, dst, owner);
}

} // namespace ctr::img

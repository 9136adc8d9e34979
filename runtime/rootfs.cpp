#include "rootfs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "error.hpp"
#include "file.hpp"
#include "mount.hpp"
#include "mountinfo.hpp"
#include "options.hpp"
#include "resolve.hpp"
#include "tree.hpp"

namespace ctr::rt {

namespace {

constexpr unsigned long kBindFlags = MS_BIND | MS_REC | MS_REMOUNT;

// Re-resolves dest after a mount so the fd names the new mount, not the one under it.
UniqueFd reopen(int rootfd, const std::string& dest)
{
    return mnt::open_in_root(rootfd, dest, O_PATH);
}

void apply_propagation(int rootfd, const std::string& dest, const mnt::MountOptions& o)
{
    if (o.propagation.empty())
        return;
    UniqueFd fd = reopen(rootfd, dest);
    for (unsigned long p : o.propagation)
        mnt::set_propagation(fd.get(), p, dest);
}

// idmapped: the detached tree the parent made for an idmapped bind, or -1.
void mount_bind(int rootfd, const Mount& m, const mnt::MountOptions& o, int idmapped)
{
    UniqueFd src;
    if (idmapped < 0) {
        src = UniqueFd(::open(m.source.c_str(), O_PATH | O_CLOEXEC));
        if (!src)
            throw_errno("bind mount source " + m.source);
    }
    struct stat st;
    if (::fstat(idmapped >= 0 ? idmapped : src.get(), &st) < 0)
        throw_errno("stat " + m.source);
    UniqueFd target = S_ISDIR(st.st_mode) ? mnt::mkdir_in_root(rootfd, m.destination)
                                          : mnt::mkfile_in_root(rootfd, m.destination);
    if (idmapped >= 0)
        mnt::attach_tree(idmapped, target.get(), m.destination);
    else
        mnt::bind_fd(src.get(), target.get(), (o.flags & MS_REC) != 0, m.destination);
    unsigned long extra = o.flags & ~kBindFlags;
    if (extra)
        mnt::remount_bind(reopen(rootfd, m.destination).get(), extra, m.destination);
    apply_propagation(rootfd, m.destination, o);
}

// /proc and /sys must be real directories of the rootfs: a symlink there is how
// runtimes have been tricked into mounting over host paths.
UniqueFd special_target(int rootfd, const Mount& m)
{
    mnt::mkdir_in_root(rootfd, m.destination);
    int fd = mnt::try_open_in_root(rootfd, m.destination, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
    if (fd < 0 && errno == ELOOP)
        fail("mount {} on {}: the destination must not be a symlink", m.type, m.destination);
    if (fd < 0)
        throw_errno("open mount destination " + m.destination);
    return UniqueFd(fd);
}

void mount_cgroup(int rootfd, const Mount& m, const mnt::MountOptions& o, const Cgroup& cgroup)
{
    unsigned long flags = o.flags & ~(MS_RDONLY | kBindFlags);
    unsigned long final_flags = flags | (o.flags & MS_RDONLY);
    UniqueFd target = mnt::mkdir_in_root(rootfd, m.destination);
    // Binds of the container's own cgroup directories, never a fresh cgroup
    // mount: the view is the same with or without a cgroup namespace, and it
    // does not depend on init having joined the cgroup yet.
    auto bind_dir = [&](const Cgroup::Dir& d, int at, const std::string& dest) {
        UniqueFd src = open_or_throw(d.path(), O_PATH | O_DIRECTORY);
        mnt::bind_fd(src.get(), at, false, dest);
    };
    if (cgroup.mode() == CgroupMode::V2) {
        bind_dir(cgroup.dirs().front(), target.get(), m.destination);
    } else {
        // v1 and hybrid: a tmpfs holding one directory per hierarchy, each a
        // bind of the container's own cgroup there.
        mnt::mount_fs("tmpfs", "tmpfs", target.get(), flags, "mode=755", m.destination);
        for (const auto& d : cgroup.dirs()) {
            std::string dest = m.destination + "/" + d.name;
            bind_dir(d, mnt::mkdir_in_root(rootfd, dest).get(), dest);
        }
    }
    // One call flags the whole tree; older kernels get a remount per mount.
    UniqueFd top = reopen(rootfd, m.destination);
    if (!final_flags || mnt::set_flags_recursive(top.get(), final_flags, m.destination))
        return;
    for (const auto& d : cgroup.dirs()) {
        std::string dest = cgroup.mode() == CgroupMode::V2 ? m.destination : m.destination + "/" + d.name;
        mnt::remount_bind(reopen(rootfd, dest).get(), final_flags, dest);
    }
    if (cgroup.mode() != CgroupMode::V2 &&
        ::mount(nullptr, mnt::fd_path(top.get()).c_str(), nullptr, MS_REMOUNT | final_flags, "mode=755") < 0)
        throw_errno("remount " + m.destination);
}

// tmpcopyup (runc's extension): the new tmpfs starts with a copy of what the
// image has at its path, and that directory's owner and mode. The fd opened
// before the mount still reaches the covered directory.
void mount_tmpfs_copyup(int rootfd, const Mount& m, const mnt::MountOptions& o)
{
    UniqueFd below = mnt::mkdir_in_root(rootfd, m.destination);
    UniqueFd covered = open_or_throw(mnt::fd_path(below.get()), O_RDONLY | O_DIRECTORY);
    mnt::mount_fs(m.source, m.type, below.get(), o.flags & ~kBindFlags, o.data, m.destination);
    UniqueFd fresh = mnt::open_in_root(rootfd, m.destination, O_RDONLY | O_DIRECTORY);
    struct stat st;
    if (::fstat(covered.get(), &st) < 0)
        throw_errno("stat " + m.destination);
    try {
        mnt::copy_into(covered.get(), fresh.get());
        mnt::set_attributes(fresh.get(), "", st, std::nullopt, m.destination);
    } catch (const Error& e) {
        throw Error("tmpcopyup " + m.destination + ": " + e.context(), e.err());
    }
    apply_propagation(rootfd, m.destination, o);
}

// In a user namespace that does not own the network namespace, the kernel
// refuses a new sysfs: the host's is bound instead, as runc does.
void mount_sysfs_or_bind(int target, const Mount& m, const mnt::MountOptions& o)
{
    try {
        mnt::mount_fs(m.source, m.type, target, o.flags & ~kBindFlags, o.data, m.destination);
    } catch (const Error& e) {
        if (e.err() != EPERM)
            throw;
        UniqueFd host = open_or_throw("/sys", O_PATH | O_DIRECTORY);
        mnt::bind_fd(host.get(), target, true, m.destination);
        unsigned long flags = o.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (flags)
            mnt::remount_bind(target, flags, m.destination);
    }
}

void mount_one(int rootfd, const Mount& m, const Cgroup& cgroup, bool userns, int idmapped)
{
    mnt::MountOptions o = mnt::parse_mount_options(m.options);
    if (m.type == "bind" || o.is_bind())
        return mount_bind(rootfd, m, o, idmapped);
    if (m.type == "cgroup" || m.type == "cgroup2")
        return mount_cgroup(rootfd, m, o, cgroup);
    if (o.tmpcopyup) {
        if (m.type != "tmpfs")
            fail("mounts: {}: tmpcopyup is for tmpfs mounts only", m.destination);
        return mount_tmpfs_copyup(rootfd, m, o);
    }
    bool special = m.type == "proc" || m.type == "sysfs";
    UniqueFd target = special ? special_target(rootfd, m) : mnt::mkdir_in_root(rootfd, m.destination);
    if (m.type == "sysfs" && userns)
        mount_sysfs_or_bind(target.get(), m, o);
    else
        mnt::mount_fs(m.source, m.type, target.get(), o.flags & ~kBindFlags, o.data, m.destination);
    apply_propagation(rootfd, m.destination, o);
}

bool has_mount(const Spec& spec, const std::string& dest, const char* type = nullptr)
{
    return std::any_of(spec.mounts.begin(), spec.mounts.end(), [&](const Mount& m) {
        return m.destination == dest && (!type || m.type == type);
    });
}

// In a user namespace mknod is refused: the host's node is bound instead.
void make_device(int rootfd, const mnt::DeviceNode& dev, bool userns)
{
    if (!userns)
        return mnt::create_device(rootfd, dev);
    UniqueFd host(::open(dev.path.c_str(), O_PATH | O_CLOEXEC));
    if (!host)
        throw_errno("linux.devices: in a user namespace the device is bound from the host's " + dev.path);
    UniqueFd target = mnt::mkfile_in_root(rootfd, dev.path);
    mnt::bind_fd(host.get(), target.get(), false, dev.path);
}

void make_devices(int rootfd, const Spec& spec, bool userns)
{
    // A /dev of our own (tmpfs) gets the standard nodes; a bind of the host's is left alone.
    bool own_dev = has_mount(spec, "/dev") && !has_mount(spec, "/dev", "bind");
    if (own_dev) {
        for (const auto& dev : mnt::default_devices())
            make_device(rootfd, dev, userns);
        mnt::create_dev_symlinks(rootfd);
        if (has_mount(spec, "/dev/pts", "devpts")) {
            UniqueFd dev = mnt::mkdir_in_root(rootfd, "/dev");
            ::unlinkat(dev.get(), "ptmx", 0);
            if (::symlinkat("pts/ptmx", dev.get(), "ptmx") < 0)
                throw_errno("symlink /dev/ptmx");
        }
    }
    for (const auto& dev : spec.linux.devices)
        make_device(rootfd, dev, userns);
}

// Masked and read-only paths that the rootfs does not have are skipped.
UniqueFd open_if_exists(int rootfd, const std::string& path, const char* field)
{
    int fd = mnt::try_open_in_root(rootfd, path, O_PATH);
    if (fd < 0 && errno != ENOENT)
        throw_errno(std::string(field) + ": open " + path);
    return UniqueFd(fd);
}

// A masked directory gets an empty read-only tmpfs; anything else, /dev/null.
void mask_path(int rootfd, int fd, const std::string& path)
{
    struct stat st;
    if (::fstat(fd, &st) < 0)
        throw_errno("stat " + path);
    if (S_ISDIR(st.st_mode)) {
        mnt::mount_fs("tmpfs", "tmpfs", fd, MS_RDONLY, "mode=0555", path);
        return;
    }
    UniqueFd null = mnt::open_in_root(rootfd, "/dev/null", O_PATH);
    mnt::bind_fd(null.get(), fd, false, path);
}

} // namespace

// pivot_root refuses a new root whose parent mount is shared; making that
// parent private also keeps the rootfs bind from propagating anywhere.
void make_rootfs_parent_private(const std::string& rootfs)
{
    mnt::MountEntry parent = mnt::mount_containing(mnt::read_mountinfo(), rootfs);
    if (parent.shared() && ::mount(nullptr, parent.mountpoint.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        throw_errno("make " + parent.mountpoint + " private");
}

void prepare_rootfs(const Spec& spec, const Cgroup& cgroup, const std::vector<UniqueFd>& idmapped)
{
    // Slave by default: host mounts still reach the container, nothing flows back.
    unsigned long prop = MS_SLAVE | MS_REC;
    if (!spec.linux.rootfs_propagation.empty())
        prop = mnt::parse_propagation(spec.linux.rootfs_propagation);
    if (::mount(nullptr, "/", nullptr, prop, nullptr) < 0)
        throw_errno("set propagation of /");
    make_rootfs_parent_private(spec.root_path);
    // pivot_root needs the rootfs to be a mount point.
    if (::mount(spec.root_path.c_str(), spec.root_path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        throw_errno("bind mount rootfs " + spec.root_path);
    UniqueFd rootfd = open_or_throw(spec.root_path, O_PATH | O_DIRECTORY);
    bool userns = spec.linux.find_namespace("user") != nullptr;
    for (size_t i = 0; i < spec.mounts.size(); i++)
        mount_one(rootfd.get(), spec.mounts[i], cgroup, userns, idmapped[i].get());
    make_devices(rootfd.get(), spec, userns);
    // Like runc, a missing process.cwd is created (while the root is still writable).
    mnt::mkdir_in_root(rootfd.get(), spec.process.cwd);
}

void enter_rootfs(const Spec& spec, bool no_pivot)
{
    if (no_pivot)
        mnt::move_root_to(spec.root_path);
    else
        mnt::pivot_root_to(spec.root_path);
}

void write_sysctls(const Spec& spec)
{
    for (const auto& [key, value] : spec.linux.sysctl) {
        std::string path = "/proc/sys/" + key;
        std::replace(path.begin() + 10, path.end(), '.', '/');
        try {
            write_existing_file(path, value);
        } catch (const Error& e) {
            throw Error("linux.sysctl: set " + key + "=" + value, e.err());
        }
    }
}

void bind_console(int pty_slave)
{
    UniqueFd root = open_or_throw("/", O_PATH | O_DIRECTORY);
    UniqueFd console = mnt::mkfile_in_root(root.get(), "/dev/console", 0600);
    mnt::bind_fd(pty_slave, console.get(), false, "/dev/console");
}

void finish_rootfs(const Spec& spec)
{
    UniqueFd root = open_or_throw("/", O_PATH | O_DIRECTORY);
    for (const auto& path : spec.linux.masked_paths)
        if (UniqueFd fd = open_if_exists(root.get(), path, "linux.maskedPaths"))
            mask_path(root.get(), fd.get(), path);
    for (const auto& path : spec.linux.readonly_paths) {
        if (UniqueFd fd = open_if_exists(root.get(), path, "linux.readonlyPaths")) {
            mnt::bind_fd(fd.get(), fd.get(), true, path);
            mnt::remount_bind(reopen(root.get(), path).get(),
                              MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, path);
        }
    }
    if (spec.root_readonly)
        mnt::remount_bind(reopen(root.get(), "/").get(), MS_RDONLY, "/");
    if (!spec.linux.rootfs_propagation.empty())
        mnt::set_propagation(root.get(), mnt::parse_propagation(spec.linux.rootfs_propagation), "/");
}

} // namespace ctr::rt

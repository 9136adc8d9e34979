#include "bundle.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "images.hpp"
#include "layers.hpp"
#include "scope.hpp"

namespace ctr::img {

namespace {

std::string bundle_ref(const Store& store, const std::string& dir)
{
    return store.root() + "/bundles/" + digest_hex(sha256_digest(dir)) + ".json";
}

void unmount_rootfs(const std::string& dir) { ::umount2((dir + "/rootfs").c_str(), MNT_DETACH); }

bool is_file_bind(const Json& m)
{
    struct stat st;
    return m.value("type", "") == "bind" && ::stat(m.value("source", "").c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

// Docker's init layer: the mount points the image lacks go into DIR/init, a
// lower layer of the bundle's own, so DIR/upper (what diff and commit read)
// holds only what the container wrote. The image's directories on the way
// are mirrored with their owner, mode and times. A mount point reached
// through a symlink or a file of the image is left to the runtime.
// Directories a layer only implied (fixes) are put there too, with the
// attributes of the lower copy they hide.
// DIR/rootfs must show the image alone (DIR/init still empty).
class InitLayer {
public:
    InitLayer(const std::string& dir, std::map<std::string, struct stat> fixes)
        : image_(dir + "/rootfs"), init_(dir + "/init"), fixes_(std::move(fixes))
    {
    }

    void add_fixes()
    {
        for (const auto& f : fixes_)
            add(f.first, false, true);
    }

    void add_mount_point(const Json& m) { add(m.value("destination", ""), is_file_bind(m), false); }

    // Times last: adding entries changed them.
    void finish()
    {
        for (auto it = mirrored_.rbegin(); it != mirrored_.rend(); ++it) {
            struct timespec times[2] = {it->second.st_atim, it->second.st_mtim};
            ::utimensat(AT_FDCWD, it->first.c_str(), times, AT_SYMLINK_NOFOLLOW);
        }
    }

private:
    // Walks PATH's components in the image; mirror_last: the last one too.
    void add(const std::string& path, bool file, bool mirror_last)
    {
        std::string rel;
        for (size_t start = 1; start < path.size();) {
            size_t end = std::min(path.find('/', start), path.size());
            rel.append("/").append(path, start, end - start);
            start = end + 1;
            bool last = start >= path.size();
            struct stat st;
            if (!image_stat(rel, st)) {
                if (last && file)
                    UniqueFd(::open((init_ + rel).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
                else if (::mkdir((init_ + rel).c_str(), 0755) < 0 && errno != EEXIST)
                    throw_errno("create mount point " + init_ + rel);
                continue;
            }
            if (!S_ISDIR(st.st_mode) || (last && !mirror_last))
                break;
            mirror(rel, st);
        }
    }

    bool image_stat(const std::string& rel, struct stat& st) const
    {
        if (auto it = fixes_.find(rel); it != fixes_.end()) {
            st = it->second;
            return true;
        }
        return ::lstat((image_ + rel).c_str(), &st) == 0;
    }

    void mirror(const std::string& rel, const struct stat& st)
    {
        std::string path = init_ + rel;
        if (::mkdir(path.c_str(), st.st_mode & 07777) < 0) {
            if (errno != EEXIST)
                throw_errno("create " + path);
            return;
        }
        if (::lchown(path.c_str(), st.st_uid, st.st_gid) < 0 && ::geteuid() == 0)
            throw_errno("chown " + path);
        if (::chmod(path.c_str(), st.st_mode & 07777) < 0)  // past the umask
            throw_errno("chmod " + path);
        mirrored_.emplace_back(path, st);
    }

    std::string image_, init_;
    std::map<std::string, struct stat> fixes_;
    std::vector<std::pair<std::string, struct stat>> mirrored_;
};

// A bundle whose anonymous volumes another bundle still mounts stays.
void refuse_if_used(const Store& store, const std::string& dir)
{
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(store.root() + "/bundles", ec)) {
        auto text = try_read_file(e.path().string());
        if (!text)
            continue;
        Json ref = Json::parse(*text, nullptr, false);
        if (!ref.is_object() || ref.value("bundle", "") == dir || !path_exists(ref.value("bundle", "") + "/image.json"))
            continue;
        for (const auto& used : ref.value("uses", std::vector<std::string>{}))
            if (used.rfind(dir + "/", 0) == 0)
                fail("{}: bundle {} uses its volume {} (--volumes-from): remove that bundle first", dir,
                     ref.value("bundle", ""), used);
    }
}

} // namespace

void mount_rootfs(const std::string& dir, const std::vector<std::string>& layers)
{
    std::string data = "lowerdir=" + dir + "/init";
    for (auto it = layers.rbegin(); it != layers.rend(); ++it)
        data += ":" + *it;
    data += ",upperdir=" + dir + "/upper,workdir=" + dir + "/work";
    if (data.size() >= 4096)
        fail("bundle {}: {} layers make overlay options longer than a page", dir, layers.size());
    if (::mount("overlay", (dir + "/rootfs").c_str(), "overlay", 0, data.c_str()) < 0)
        throw_errno("mount overlay on " + dir + "/rootfs");
}

void make_bundle(const Store& store, const std::string& name, const std::string& dir, const BundleOptions& opts)
{
    ImageInfo info = describe(store.layout(), find_image(store.layout(), name));
    std::vector<std::string> layers = ensure_layers(store, info, opts.jobs);
    if (::mkdir(dir.c_str(), 0700) < 0)
        throw_errno("create bundle " + dir);
    ScopeGuard cleanup([&] { remove_all(dir); });
    for (const char* sub : {"/rootfs", "/upper", "/work", "/init"})
        mkdir_all(dir + sub, 0755);
    mount_rootfs(dir, layers);
    ScopeGuard unmount([&] { unmount_rootfs(dir); });
    std::vector<Volume> volumes = requested_volumes(info.config, opts);
    Json spec;
    {
        UniqueFd rootfd = open_or_throw(dir + "/rootfs", O_PATH | O_DIRECTORY);
        prepare_volumes(store, dir, rootfd.get(), volumes);
        spec = bundle_spec(info.config, opts, rootfd.get(), volumes);
    }
    InitLayer init(dir, implicit_fixes(layers));
    init.add_fixes();
    for (const auto& m : spec["mounts"])
        init.add_mount_point(m);
    init.finish();
    // The image is seen again with the init layer (a lower changed under a
    // mounted overlay is not reliably seen).
    unmount_rootfs(dir);
    mount_rootfs(dir, layers);
    write_file_atomic(dir + "/config.json", spec.dump(1, '\t') + "\n");
    Json vols = Json::array();
    for (const auto& v : volumes)
        vols.push_back(v.to_json());
    Json record = {{"image", info.entry.name}, {"manifest", info.manifest_digest}, {"config", info.config_digest},
                   {"layers", diff_ids(info)}, {"store", store.root()}, {"volumes", vols}};
    write_file_atomic(dir + "/image.json", record.dump(1, '\t') + "\n");
    mkdir_all(store.root() + "/bundles");
    // Anonymous volumes of other bundles (--volumes-from): rm of theirs waits for this one.
    Json uses = Json::array();
    for (const auto& v : volumes)
        if (v.anonymous && v.source.rfind(dir + "/", 0) != 0)
            uses.push_back(v.source);
    write_file_atomic(bundle_ref(store, dir), Json{{"bundle", dir}, {"layers", diff_ids(info)}, {"uses", uses}}.dump());
    unmount.dismiss();
    cleanup.dismiss();
}

void remove_bundle(const Store& store, const std::string& dir)
{
    if (!path_exists(dir + "/image.json"))
        fail("{}: not a bundle made by ctr-layer (no image.json)", dir);
    refuse_if_used(store, dir);
    // A leftover or already-gone mount never blocks removal.
    if (::umount2((dir + "/rootfs").c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        throw_errno("unmount " + dir + "/rootfs");
    remove_all(dir);
    ::unlink(bundle_ref(store, dir).c_str());
}

} // namespace ctr::img

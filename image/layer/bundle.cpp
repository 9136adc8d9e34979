#include "bundle.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "images.hpp"
#include "layers.hpp"
#include "resolve.hpp"
#include "scope.hpp"
#include "spec_default.hpp"

namespace ctr::img {

namespace {

std::vector<std::string> strings(const Json& j, const char* key)
{
    std::vector<std::string> out;
    if (j.contains(key) && j[key].is_array())
        for (const auto& v : j[key])
            if (v.is_string())
                out.push_back(v.get<std::string>());
    return out;
}

// name:x:uid:gid:... lines of a passwd or group file inside the rootfs.
std::optional<std::vector<std::string>> lookup(int rootfd, const char* file, const std::string& key, size_t field)
{
    int fd = mnt::try_open_in_root(rootfd, file, O_RDONLY);
    if (fd < 0)
        return std::nullopt;
    UniqueFd guard(fd);
    std::istringstream in(read_fd(fd, file));
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        std::string part;
        while (std::getline(ss, part, ':'))
            f.push_back(part);
        if (f.size() > field && f[field] == key)
            return f;
    }
    return std::nullopt;
}

bool numeric(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

std::string mount_data(const std::vector<std::string>& lowers, const std::string& dir)
{
    std::string data = "lowerdir=";
    for (auto it = lowers.rbegin(); it != lowers.rend(); ++it)
        data += (it == lowers.rbegin() ? "" : ":") + *it;
    data += ",upperdir=" + dir + "/upper,workdir=" + dir + "/work";
    if (data.size() >= 4096)
        fail("bundle {}: {} layers make overlay options longer than a page", dir, lowers.size());
    return data;
}

std::string bundle_ref(const Store& store, const std::string& dir)
{
    return store.root() + "/bundles/" + digest_hex(sha256_digest(dir)) + ".json";
}

} // namespace

std::pair<uint32_t, uint32_t> resolve_user(int rootfd, const std::string& user)
{
    if (user.empty())
        return {0, 0};
    std::string u = user.substr(0, user.find(':'));
    std::string g = user.find(':') == std::string::npos ? "" : user.substr(user.find(':') + 1);
    uint32_t uid = 0, gid = 0;
    if (numeric(u)) {
        uid = static_cast<uint32_t>(std::stoul(u));
        if (auto pw = lookup(rootfd, "/etc/passwd", u, 2))
            gid = static_cast<uint32_t>(std::stoul((*pw)[3]));
    } else {
        auto pw = lookup(rootfd, "/etc/passwd", u, 0);
        if (!pw || pw->size() < 4)
            fail("user \"{}\": no such user in the image's /etc/passwd", u);
        uid = static_cast<uint32_t>(std::stoul((*pw)[2]));
        gid = static_cast<uint32_t>(std::stoul((*pw)[3]));
    }
    if (!g.empty()) {
        if (numeric(g)) {
            gid = static_cast<uint32_t>(std::stoul(g));
        } else {
            auto gr = lookup(rootfd, "/etc/group", g, 0);
            if (!gr || gr->size() < 3)
                fail("group \"{}\": no such group in the image's /etc/group", g);
            gid = static_cast<uint32_t>(std::stoul((*gr)[2]));
        }
    }
    return {uid, gid};
}

std::vector<std::string> process_args(const Json& config, const BundleOptions& opts)
{
    Json c = config.value("config", Json::object());
    std::vector<std::string> args = opts.entrypoint
        ? (opts.entrypoint->empty() ? std::vector<std::string>{} : std::vector<std::string>{*opts.entrypoint})
        : strings(c, "Entrypoint");
    // A new entrypoint drops the image's Cmd, as docker run --entrypoint does.
    std::vector<std::string> cmd = !opts.cmd.empty() ? opts.cmd
                                   : opts.entrypoint ? std::vector<std::string>{} : strings(c, "Cmd");
    args.insert(args.end(), cmd.begin(), cmd.end());
    if (args.empty())
        fail("the image has no Entrypoint or Cmd: give a command after --");
    return args;
}

void make_bundle(const Store& store, const std::string& name, const std::string& dir, const BundleOptions& opts)
{
    ImageInfo info = describe(store.layout(), find_image(store.layout(), name));
    std::vector<std::string> lowers = ensure_layers(store, info, opts.jobs);
    if (::mkdir(dir.c_str(), 0700) < 0)
        throw_errno("create bundle " + dir);
    ScopeGuard cleanup([&] { remove_all(dir); });
    for (const char* sub : {"/rootfs", "/upper", "/work"})
        mkdir_all(dir + sub, 0755);
    if (lowers.empty()) {
        mkdir_all(dir + "/empty");
        lowers.push_back(dir + "/empty");
    }
    if (::mount("overlay", (dir + "/rootfs").c_str(), "overlay", 0, mount_data(lowers, dir).c_str()) < 0)
        throw_errno("mount overlay on " + dir + "/rootfs");
    ScopeGuard unmount([&] { ::umount2((dir + "/rootfs").c_str(), MNT_DETACH); });
    UniqueFd rootfd = open_or_throw(dir + "/rootfs", O_PATH | O_DIRECTORY);

    const Json c = info.config.value("config", Json::object());
    Json spec = rt::default_spec();
    Json& p = spec["process"];
    p["terminal"] = opts.tty;
    p["args"] = process_args(info.config, opts);
    std::vector<std::string> env = strings(c, "Env");
    for (const auto& e : opts.env) {
        std::string kv = e;
        if (kv.find('=') == std::string::npos) {
            const char* v = std::getenv(kv.c_str());
            if (!v)
                continue;
            kv += std::string("=") + v;
        }
        std::string key = kv.substr(0, kv.find('='));
        std::erase_if(env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
        env.push_back(kv);
    }
    if (std::none_of(env.begin(), env.end(), [](const std::string& x) { return x.rfind("PATH=", 0) == 0; }))
        env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    p["env"] = env;
    std::string cwd = !opts.workdir.empty() ? opts.workdir : c.value("WorkingDir", "");
    p["cwd"] = cwd.empty() ? "/" : cwd;
    auto [uid, gid] = resolve_user(rootfd.get(), !opts.user.empty() ? opts.user : c.value("User", ""));
    p["user"] = {{"uid", uid}, {"gid", gid}};
    spec["root"] = {{"path", "rootfs"}, {"readonly", opts.read_only}};
    spec["hostname"] = opts.hostname.empty() ? "ctr" : opts.hostname;
    Json annotations = Json::object();
    if (c.contains("Labels") && c["Labels"].is_object())
        for (auto it = c["Labels"].begin(); it != c["Labels"].end(); ++it)
            if (it->is_string())
                annotations[it.key()] = *it;
    if (c.contains("StopSignal") && c["StopSignal"].is_string())
        annotations["org.opencontainers.image.stopSignal"] = c["StopSignal"];
    if (!annotations.empty())
        spec["annotations"] = annotations;
    if (opts.net == "host") {
        Json& ns = spec["linux"]["namespaces"];
        ns.erase(std::remove_if(ns.begin(), ns.end(), [](const Json& n) { return n["type"] == "network"; }),
                 ns.end());
    } else if (opts.net != "none") {
        fail("--net {}: only host and none are supported (bridge networking comes later)", opts.net);
    }
    write_file_atomic(dir + "/config.json", spec.dump(1, '\t') + "\n");
    Json record = {{"image", info.entry.name}, {"manifest", info.manifest_digest},
                   {"config", info.config_digest}, {"layers", diff_ids(info)}, {"store", store.root()}};
    write_file_atomic(dir + "/image.json", record.dump(1, '\t') + "\n");
    mkdir_all(store.root() + "/bundles");
    write_file_atomic(bundle_ref(store, dir), Json{{"bundle", dir}, {"layers", diff_ids(info)}}.dump());
    unmount.dismiss();
    cleanup.dismiss();
}

void remove_bundle(const Store& store, const std::string& dir)
{
    if (!path_exists(dir + "/image.json"))
        fail("{}: not a bundle made by ctr-layer (no image.json)", dir);
    // A leftover or already-gone mount never blocks removal.
    if (::umount2((dir + "/rootfs").c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        throw_errno("unmount " + dir + "/rootfs");
    remove_all(dir);
    ::unlink(bundle_ref(store, dir).c_str());
}

} // namespace ctr::img

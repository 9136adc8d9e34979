#include "bundle_spec.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "devices.hpp"
#include "error.hpp"
#include "file.hpp"
#include "resolve.hpp"
#include "spec_default.hpp"

namespace ctr::img {

namespace {

// What docker gives a container; --cap-add and --cap-drop start from here.
const std::vector<std::string> kDefaultCaps = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",           "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",  "CAP_SETFCAP",          "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};

const std::vector<std::string> kAllCaps = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"};

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

// KEY=VALUE over the image's Env; a bare KEY takes our environment's value.
void set_env(std::vector<std::string>& env, std::string kv)
{
    std::string name = kv.substr(0, kv.find('='));
    if (name.empty())
        fail("environment \"{}\": no variable name", kv);
    if (name.find_first_of(" \t") != std::string::npos)
        fail("environment \"{}\": the name \"{}\" contains whitespace", kv, name);
    if (kv.find('=') == std::string::npos) {
        const char* v = std::getenv(kv.c_str());
        if (!v)
            return;
        kv += std::string("=") + v;
    }
    std::string key = kv.substr(0, kv.find('='));
    std::erase_if(env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
    env.push_back(kv);
}

std::vector<std::string> process_env(const Json& c, const BundleOptions& opts)
{
    std::vector<std::string> env = strings(c, "Env");
    for (const auto& file : opts.env_files) {
        std::istringstream in(read_file(file));
        std::string line;
        while (std::getline(in, line)) {
            line.erase(0, line.find_first_not_of(" \t"));
            if (!line.empty() && line[0] != '#')
                set_env(env, line);
        }
    }
    for (const auto& e : opts.env)
        set_env(env, e);
    if (std::none_of(env.begin(), env.end(), [](const std::string& x) { return x.rfind("PATH=", 0) == 0; }))
        env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    return env;
}

std::string cap_name(const std::string& flag, std::string name)
{
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
    if (name == "ALL")
        return name;
    if (name.rfind("CAP_", 0) != 0)
        name = "CAP_" + name;
    if (std::find(kAllCaps.begin(), kAllCaps.end(), name) == kAllCaps.end())
        fail("{} {}: no such capability", flag, name);
    return name;
}

// What this host can grant (docker's "all" means these): its bounding set.
std::vector<std::string> host_caps()
{
    std::istringstream in(read_file("/proc/self/status"));
    uint64_t mask = ~0ULL;
    for (std::string line; std::getline(in, line);)
        if (line.rfind("CapBnd:", 0) == 0)
            mask = std::stoull(line.substr(7), nullptr, 16);
    std::vector<std::string> out;
    for (size_t i = 0; i < kAllCaps.size(); i++)  // kAllCaps is in capability-number order
        if (mask & (1ULL << i))
            out.push_back(kAllCaps[i]);
    return out;
}

std::vector<std::string> capabilities(const BundleOptions& opts)
{
    std::vector<std::string> caps = opts.privileged ? host_caps() : kDefaultCaps;
    for (const auto& c : opts.cap_drop) {
        std::string n = cap_name("--cap-drop", c);
        std::erase_if(caps, [&](const std::string& x) { return n == "ALL" || x == n; });
    }
    for (const auto& c : opts.cap_add) {
        std::string n = cap_name("--cap-add", c);
        for (const auto& add : n == "ALL" ? host_caps() : std::vector<std::string>{n})
            if (std::find(caps.begin(), caps.end(), add) == caps.end())
                caps.push_back(add);
    }
    return caps;
}

// The capabilities object: a non-root user keeps only the bounding set, as
// with docker, so its process has no capability unless it execs a file that
// grants one.
Json capability_sets(const BundleOptions& opts, uint32_t uid)
{
    Json caps = capabilities(opts);
    Json none = Json::array();
    return {{"bounding", caps}, {"effective", uid == 0 ? caps : none}, {"permitted", uid == 0 ? caps : none}};
}

Json resources(const BundleOptions& opts)
{
    Json r = Json::object();
    if (!opts.memory.empty()) {
        int64_t limit = parse_bytes(opts.memory, "--memory");
        if (limit < 6 * 1024 * 1024)
            fail("--memory {}: the minimum is 6 MiB", opts.memory);
        r["memory"] = {{"limit", limit}};
    }
    if (!opts.cpus.empty()) {
        double cpus = 0;
        size_t used = 0;
        try {
            cpus = std::stod(opts.cpus, &used);
        } catch (const std::exception&) {
        }
        long online = ::sysconf(_SC_NPROCESSORS_ONLN);
        if (used != opts.cpus.size() || !(cpus >= 0.01) || cpus > static_cast<double>(online))
            fail("--cpus {}: expected a number from 0.01 to {} (the CPUs online)", opts.cpus, online);
        r["cpu"] = {{"quota", std::llround(cpus * 100000)}, {"period", 100000}};
    }
    if (opts.pids_limit > 0)
        r["pids"] = {{"limit", opts.pids_limit}};
    return r;
}

// --privileged: every host device node, as docker gives them.
Json host_devices()
{
    namespace fs = std::filesystem;
    Json out = Json::array();
    std::error_code ec;
    auto it = fs::recursive_directory_iterator("/dev", fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string path = it->path().string();
        if (path == "/dev/pts" || path == "/dev/shm" || path == "/dev/mqueue") {
            it.disable_recursion_pending();
            continue;
        }
        struct stat st;
        if (::lstat(path.c_str(), &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            continue;
        bool standard = path == "/dev/console" || path == "/dev/ptmx" ||
                        std::any_of(mnt::default_devices().begin(), mnt::default_devices().end(),
                                    [&](const mnt::DeviceNode& d) { return d.path == path; });
        if (!standard)
            out.push_back({{"path", path}, {"type", S_ISCHR(st.st_mode) ? "c" : "b"},
                           {"major", major(st.st_rdev)}, {"minor", minor(st.st_rdev)},
                           {"fileMode", st.st_mode & 07777}, {"uid", st.st_uid}, {"gid", st.st_gid}});
    }
    return out;
}

void make_privileged(Json& spec)
{
    Json& linux = spec["linux"];
    linux.erase("maskedPaths");
    linux.erase("readonlyPaths");
    linux["resources"]["devices"] = Json::array({{{"allow", true}, {"access", "rwm"}}});
    linux["devices"] = host_devices();
    for (auto& m : spec["mounts"])
        if (m["destination"] == "/sys" || m["destination"] == "/sys/fs/cgroup") {
            Json& o = m["options"];
            o.erase(std::remove(o.begin(), o.end(), "ro"), o.end());
        }
    spec["process"]["noNewPrivileges"] = false;
}

Json tmpfs_mount(const std::string& spec)
{
    std::string dest = spec.substr(0, spec.find(':'));
    if (dest.empty() || dest[0] != '/' || clean_path(dest) == "/")
        fail("--tmpfs {}: expected an absolute path other than /, then :OPTIONS", spec);
    dest = clean_path(dest);
    Json options = {"rw", "noexec", "nosuid", "nodev"};
    if (spec.find(':') != std::string::npos) {
        std::stringstream ss(spec.substr(spec.find(':') + 1));
        for (std::string o; std::getline(ss, o, ',');)
            if (!o.empty())
                options.push_back(o);
    }
    return {{"destination", dest}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", options}};
}

} // namespace

int64_t parse_bytes(const std::string& s, const std::string& what)
{
    size_t used = 0;
    double n = -1;
    try {
        n = std::stod(s, &used);
    } catch (const std::exception&) {
    }
    std::string unit = s.substr(used);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    if (unit.size() == 2 && unit[1] == 'b')
        unit.pop_back();
    static const std::string units = "bkmgtp";
    size_t power = unit.empty() ? 0 : units.find(unit);
    if (n < 0 || used == 0 || unit.size() > 1 || power == std::string::npos)
        fail("{} {}: expected a size such as 512m, 1g, 100k or a number of bytes", what, s);
    return static_cast<int64_t>(n * std::pow(1024.0, static_cast<double>(power)));
}

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

std::vector<Volume> requested_volumes(const Json& image_config, const BundleOptions& opts)
{
    std::vector<Volume> out;
    std::vector<std::string> taken;
    auto add = [&](const Volume& v, const std::string& what) {
        if (std::find(taken.begin(), taken.end(), v.destination) != taken.end())
            fail("{}: {} is already a mount point", what, v.destination);
        taken.push_back(v.destination);
        out.push_back(v);
    };
    for (const auto& t : opts.tmpfs)
        taken.push_back(tmpfs_mount(t)["destination"]);
    for (const auto& spec : opts.volumes)
        add(parse_volume(spec), "-v " + spec);
    for (const auto& spec : opts.volumes_from)
        for (const auto& v : volumes_from(spec))
            add(v, "--volumes-from " + spec);
    Json c = image_config.value("config", Json::object());
    if (c.contains("Volumes") && c["Volumes"].is_object())
        for (auto it = c["Volumes"].begin(); it != c["Volumes"].end(); ++it)
            if (!it.key().empty() && it.key()[0] == '/' &&
                std::find(taken.begin(), taken.end(), clean_path(it.key())) == taken.end())
                add(parse_volume(it.key()), "image volume " + it.key());
    return out;
}

Json bundle_spec(const Json& image_config, const BundleOptions& opts, int rootfd, const std::vector<Volume>& volumes)
{
    const Json c = image_config.value("config", Json::object());
    Json spec = rt::default_spec();
    Json& p = spec["process"];
    p["terminal"] = opts.tty;
    p["args"] = process_args(image_config, opts);
    p["env"] = process_env(c, opts);
    std::string cwd = !opts.workdir.empty() ? opts.workdir : c.value("WorkingDir", "");
    p["cwd"] = cwd.empty() ? "/" : cwd;
    auto [uid, gid] = resolve_user(rootfd, !opts.user.empty() ? opts.user : c.value("User", ""));
    p["user"] = {{"uid", uid}, {"gid", gid}};
    p["capabilities"] = capability_sets(opts, uid);
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
    for (const auto& t : opts.tmpfs)
        spec["mounts"].push_back(tmpfs_mount(t));
    for (const auto& v : volumes)
        spec["mounts"].push_back(volume_mount(v));
    spec["linux"]["resources"].update(resources(opts));
    if (opts.privileged)
        make_privileged(spec);
    if (opts.net == "host") {
        Json& ns = spec["linux"]["namespaces"];
        ns.erase(std::remove_if(ns.begin(), ns.end(), [](const Json& n) { return n["type"] == "network"; }),
                 ns.end());
    } else if (opts.net != "none") {
        fail("--net {}: only host and none are supported (bridge networking comes later)", opts.net);
    }
    return spec;
}

} // namespace ctr::img

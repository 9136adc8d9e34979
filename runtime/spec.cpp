#include "spec.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <set>

#include "error.hpp"
#include "file.hpp"
#include "personality.hpp"
#include "userns.hpp"

namespace ctr::rt {

namespace {

// Fields of the runtime-spec that ctr-run does not implement yet. Refusing
// them is safer than running a container without the isolation they ask for.
const char* const kUnsupportedProcess[] = {"execCPUAffinity"};
const char* const kUnsupportedLinux[] = {"mountLabel", "memoryPolicy", "netDevices"};

bool is_set(const JsonView& parent, const char* key)
{
    auto v = parent.get(key);
    if (!v)
        return false;
    const Json& j = v->raw();
    if (j.is_object() || j.is_array() || j.is_string())
        return !j.empty() && !(j.is_string() && j.get<std::string>().empty());
    return true;
}

void refuse_unsupported(const JsonView& parent, const char* const* keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_set(parent, keys[i]))
            fail("{}.{}: not supported by ctr-run yet", parent.path(), keys[i]);
}

template <size_t N>
void refuse_unsupported(const JsonView& parent, const char* const (&keys)[N])
{
    refuse_unsupported(parent, keys, N);
}

std::string absolute(const std::string& path, const std::string& bundle)
{
    if (!path.empty() && path[0] == '/')
        return path;
    return bundle + "/" + path;
}

int rlimit_resource(const std::string& type, const std::string& where)
{
    static const std::map<std::string, int> kLimits = {
        {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
    };
    auto it = kLimits.find(type);
    if (it == kLimits.end())
        fail("{}: unknown rlimit type {}", where, type);
    return it->second;
}

User parse_user(const JsonView& v)
{
    User u;
    u.uid = v.opt_u32("uid").value_or(0);
    u.gid = v.opt_u32("gid").value_or(0);
    if (auto m = v.opt_u32("umask")) {
        if (*m > 0777)
            fail("{}.umask: must be at most 0777", v.path());
        u.umask = *m;
    }
    if (auto g = v.get("additionalGids"))
        for (const auto& item : g->items())
            u.additional_gids.push_back(item.u32());
    if (is_set(v, "username"))
        fail("{}.username: only for Windows containers", v.path());
    return u;
}

Capabilities parse_capabilities(const JsonView& v)
{
    Capabilities c;
    c.bounding = v.opt_strings("bounding");
    c.effective = v.opt_strings("effective");
    c.inheritable = v.opt_strings("inheritable");
    c.permitted = v.opt_strings("permitted");
    c.ambient = v.opt_strings("ambient");
    return c;
}

} // namespace

Process parse_process(const JsonView& v)
{
    v.expect_object();
    refuse_unsupported(v, kUnsupportedProcess);
    Process p;
    p.terminal = v.opt_bool("terminal").value_or(false);
    if (auto cs = v.get("consoleSize")) {
        ConsoleSize size;
        size.height = static_cast<unsigned short>(cs->at("height").u32());
        size.width = static_cast<unsigned short>(cs->at("width").u32());
        p.console_size = size;
    }
    if (auto u = v.get("user"))
        p.user = parse_user(*u);
    p.args = v.at("args").strings();
    if (p.args.empty())
        fail("{}.args: must not be empty", v.path());
    p.env = v.opt_strings("env");
    p.cwd = v.at("cwd").str();
    if (p.cwd.empty() || p.cwd[0] != '/')
        fail("{}.cwd: must be an absolute path, got \"{}\"", v.path(), p.cwd);
    if (auto caps = v.get("capabilities"))
        p.capabilities = parse_capabilities(*caps);
    if (auto limits = v.get("rlimits")) {
        std::set<std::string> seen;
        for (const auto& item : limits->items()) {
            Rlimit r;
            r.type = item.at("type").str();
            r.resource = rlimit_resource(r.type, item.path() + ".type");
            r.soft = item.at("soft").u64();
            r.hard = item.at("hard").u64();
            if (!seen.insert(r.type).second)
                fail("{}: {} given twice", item.path(), r.type);
            if (r.soft > r.hard)
                fail("{}: soft limit {} is above hard limit {}", item.path(), r.soft, r.hard);
            p.rlimits.push_back(r);
        }
    }
    p.no_new_privileges = v.opt_bool("noNewPrivileges").value_or(false);
    if (auto oom = v.get("oomScoreAdj")) {
        int adj = oom->i32();
        if (adj < -1000 || adj > 1000)
            fail("{}: must be between -1000 and 1000", oom->path());
        p.oom_score_adj = adj;
    }
    if (auto sch = v.get("scheduler"))
        p.scheduler = parse_scheduler(*sch);
    if (auto io = v.get("ioPriority"))
        p.io_priority = parse_io_priority(*io);
    p.apparmor_profile = v.opt_str("apparmorProfile").value_or("");
    p.selinux_label = v.opt_str("selinuxLabel").value_or("");
    return p;
}

namespace {

// The idmap and ridmap options are ours, not the kernel's: taken out of the list.
void parse_idmap(const JsonView& item, Mount& m)
{
    if (auto u = item.get("uidMappings"))
        m.uid_mappings = parse_id_mappings(*u);
    if (auto g = item.get("gidMappings"))
        m.gid_mappings = parse_id_mappings(*g);
    auto it = std::remove_if(m.options.begin(), m.options.end(), [&](const std::string& o) {
        if (o != "idmap" && o != "ridmap")
            return false;
        m.idmap = true;
        m.idmap_recursive = m.idmap_recursive || o == "ridmap";
        return true;
    });
    m.options.erase(it, m.options.end());
    bool mapped = !m.uid_mappings.empty() || !m.gid_mappings.empty();
    if (mapped && (m.uid_mappings.empty() || m.gid_mappings.empty()))
        fail("{}: an idmapped mount needs both uidMappings and gidMappings", item.path());
    m.idmap = m.idmap || mapped;
}

std::vector<Mount> parse_mounts(const JsonView& v, const std::string& bundle)
{
    std::vector<Mount> out;
    for (const auto& item : v.items()) {
        item.expect_object();
        Mount m;
        m.destination = item.at("destination").str();
        if (m.destination.empty() || m.destination[0] != '/')
            fail("{}.destination: must be an absolute path, got \"{}\"", item.path(), m.destination);
        m.type = item.opt_str("type").value_or("");
        m.source = item.opt_str("source").value_or("");
        m.options = item.opt_strings("options");
        parse_idmap(item, m);
        bool bind = m.type == "bind";
        for (const auto& o : m.options)
            bind = bind || o == "bind" || o == "rbind";
        if (m.idmap && !bind)
            fail("{}: idmapped mounts must be bind mounts", item.path());
        if (bind) {
            if (m.source.empty())
                fail("{}.source: required for a bind mount", item.path());
            m.source = absolute(m.source, bundle);
        } else if (m.type.empty()) {
            fail("{}.type: required for a mount that is not a bind mount", item.path());
        }
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<Namespace> parse_namespaces(const JsonView& v)
{
    const std::set<std::string> kSupported(supported_namespaces().begin(), supported_namespaces().end());
    std::vector<Namespace> out;
    std::set<std::string> seen;
    for (const auto& item : v.items()) {
        Namespace ns;
        ns.type = item.at("type").str();
        ns.path = item.opt_str("path").value_or("");
        if (!kSupported.count(ns.type))
            fail("{}.type: unknown namespace type \"{}\"", item.path(), ns.type);
        if (!seen.insert(ns.type).second)
            fail("{}: {} namespace given twice", item.path(), ns.type);
        out.push_back(ns);
    }
    return out;
}

mnt::DeviceNode parse_device(const JsonView& v)
{
    mnt::DeviceNode d;
    d.path = v.at("path").str();
    if (d.path.empty() || d.path[0] != '/')
        fail("{}.path: must be an absolute path", v.path());
    std::string type = v.at("type").str();
    if (type != "c" && type != "b" && type != "u" && type != "p")
        fail("{}.type: expected one of c, b, u, p, got \"{}\"", v.path(), type);
    d.type = type[0];
    if (d.type != 'p') {
        d.major = v.at("major").i64();
        d.minor = v.at("minor").i64();
    }
    d.mode = v.opt_u32("fileMode").value_or(0666) & 07777;
    d.uid = v.opt_u32("uid").value_or(0);
    d.gid = v.opt_u32("gid").value_or(0);
    return d;
}

DeviceRule parse_device_rule(const JsonView& v)
{
    DeviceRule r;
    r.allow = v.at("allow").boolean();
    std::string type = v.opt_str("type").value_or("a");
    if (type != "a" && type != "c" && type != "b")
        fail("{}.type: expected one of a, c, b, got \"{}\"", v.path(), type);
    r.type = type[0];
    if (auto m = v.get("major"); m && m->i64() >= 0)
        r.major = m->i64();
    if (auto m = v.get("minor"); m && m->i64() >= 0)
        r.minor = m->i64();
    r.access = v.opt_str("access").value_or("rwm");
    if (r.access.empty() || r.access.find_first_not_of("rwm") != std::string::npos)
        fail("{}.access: expected letters of \"rwm\", got \"{}\"", v.path(), r.access);
    return r;
}

std::vector<std::string> parse_paths(const JsonView& v, const char* key)
{
    std::vector<std::string> out = v.opt_strings(key);
    for (const auto& p : out)
        if (p.empty() || p[0] != '/')
            fail("{}.{}: \"{}\" is not an absolute path", v.path(), key, p);
    return out;
}

Linux parse_linux(const JsonView& v)
{
    v.expect_object();
    refuse_unsupported(v, kUnsupportedLinux);
    Linux l;
    if (auto ns = v.get("namespaces"))
        l.namespaces = parse_namespaces(*ns);
    if (auto devs = v.get("devices"))
        for (const auto& item : devs->items())
            l.devices.push_back(parse_device(item));
    if (auto res = v.get("resources")) {
        if (auto rules = res->get("devices"))
            for (const auto& item : rules->items())
                l.device_rules.push_back(parse_device_rule(item));
        l.resources = parse_resources(*res);
        l.has_resources = !res->raw().empty();
    }
    l.cgroups_path = v.opt_str("cgroupsPath").value_or("");
    if (auto s = v.get("sysctl"))
        l.sysctl = s->string_map();
    l.masked_paths = parse_paths(v, "maskedPaths");
    l.readonly_paths = parse_paths(v, "readonlyPaths");
    // An empty object asks for nothing (no filter), as runc takes it.
    if (is_set(v, "seccomp"))
        l.seccomp = parse_seccomp(v.at("seccomp"));
    if (auto u = v.get("uidMappings"))
        l.uid_mappings = parse_id_mappings(*u);
    if (auto g = v.get("gidMappings"))
        l.gid_mappings = parse_id_mappings(*g);
    if (auto p = v.get("personality"))
        l.personality = parse_personality(*p);
    if (auto t = v.get("timeOffsets"))
        l.time_offsets = parse_time_offsets(*t);
    l.intel_rdt = is_set(v, "intelRdt");
    l.rootfs_propagation = v.opt_str("rootfsPropagation").value_or("");
    if (!l.rootfs_propagation.empty() && !std::set<std::string>{"private", "rprivate", "slave",
            "rslave", "shared", "rshared", "unbindable", "runbindable"}.count(l.rootfs_propagation))
        fail("{}.rootfsPropagation: unknown propagation \"{}\"", v.path(), l.rootfs_propagation);
    return l;
}

// Mappings need a user namespace. A joined one has its own: mappings given
// with it (podman passes them, runc 1.1 wants them) describe it and are not written.
void check_user_namespace(const Spec& s)
{
    const Linux& l = s.linux;
    const Namespace* user = l.find_namespace("user");
    bool mapped = !l.uid_mappings.empty() || !l.gid_mappings.empty();
    const char* field = l.uid_mappings.empty() ? "linux.gidMappings" : "linux.uidMappings";
    if (mapped && !user)
        fail("{}: mappings need a user namespace in linux.namespaces", field);
    if (user && user->path.empty() && (l.uid_mappings.empty() || l.gid_mappings.empty()))
        fail("linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
    for (const auto& m : s.mounts)
        if (m.idmap && m.uid_mappings.empty() && !mapped)
            fail("mounts: {}: idmap without mappings takes the container's, and it has none", m.destination);
}

} // namespace

const std::vector<std::string>& supported_namespaces()
{
    static const std::vector<std::string> kTypes = {"cgroup", "ipc",  "mount", "network",
                                                    "pid",    "time", "user",  "uts"};
    return kTypes;
}

const Namespace* Linux::find_namespace(const std::string& type) const
{
    for (const auto& ns : namespaces)
        if (ns.type == type)
            return &ns;
    return nullptr;
}

Hook parse_hook(const JsonView& v)
{
    Hook h;
    h.path = v.at("path").str();
    if (h.path.empty() || h.path[0] != '/')
        fail("{}.path: must be an absolute path", v.path());
    h.args = v.opt_strings("args");
    h.env = v.opt_strings("env");
    if (auto t = v.get("timeout")) {
        h.timeout = t->i32();
        if (*h.timeout <= 0)
            fail("{}: must be greater than zero", t->path());
    }
    return h;
}

Hooks parse_hooks(const JsonView& v)
{
    Hooks h;
    auto list = [&](const char* key, std::vector<Hook>& out) {
        if (auto items = v.get(key))
            for (const auto& item : items->items())
                out.push_back(parse_hook(item));
    };
    list("prestart", h.prestart);
    list("createRuntime", h.create_runtime);
    list("createContainer", h.create_container);
    list("startContainer", h.start_container);
    list("poststart", h.poststart);
    list("poststop", h.poststop);
    return h;
}

Spec parse_spec(const Json& doc, const std::string& bundle)
{
    JsonView root(doc, "");
    root.expect_object();
    for (const char* other : {"windows", "solaris", "vm", "zos"})
        if (is_set(root, other))
            fail("{}: not a Linux container configuration", other);
    Spec s;
    s.bundle = bundle;
    s.oci_version = root.at("ociVersion").str();
    if (s.oci_version.rfind("1.", 0) != 0)
        fail("ociVersion: unsupported version \"{}\" (expected 1.x)", s.oci_version);
    s.process = parse_process(root.at("process"));
    JsonView r = root.at("root");
    s.root_path = absolute(r.at("path").str(), bundle);
    s.root_readonly = r.opt_bool("readonly").value_or(false);
    s.hostname = root.opt_str("hostname").value_or("");
    s.domainname = root.opt_str("domainname");
    if (auto m = root.get("mounts"))
        s.mounts = parse_mounts(*m, bundle);
    if (auto h = root.get("hooks")) {
        s.hooks = parse_hooks(*h);
        s.hooks_json = h->raw();
    }
    if (auto a = root.get("annotations"))
        s.annotations = a->string_map();
    if (auto l = root.get("linux"))
        s.linux = parse_linux(*l);
    if (!s.linux.find_namespace("mount"))
        fail("linux.namespaces: a mount namespace is required");
    check_user_namespace(s);
    const Namespace* time = s.linux.find_namespace("time");
    if (!s.linux.time_offsets.empty() && (!time || !time->path.empty()))
        fail("linux.timeOffsets: needs a new time namespace in linux.namespaces");
    if ((!s.hostname.empty() || s.domainname) && !s.linux.find_namespace("uts"))
        fail("{}: setting it needs a uts namespace", s.hostname.empty() ? "domainname" : "hostname");
    return s;
}

Spec load_spec(const std::string& bundle)
{
    std::string path = bundle + "/config.json";
    std::string text;
    try {
        text = read_file(path);
    } catch (const Error& e) {
        throw Error("read " + path, e.err());
    }
    return parse_spec(parse_json(text, "config.json"), bundle);
}

} // namespace ctr::rt

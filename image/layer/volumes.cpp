#include "volumes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "copy.hpp"
#include "resolve.hpp"
#include "scope.hpp"

namespace ctr::img {

namespace {

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t end; (end = s.find(sep, start)) != std::string::npos; start = end + 1)
        out.push_back(s.substr(start, end - start));
    out.push_back(s.substr(start));
    return out;
}

bool host_path(const std::string& s) { return s[0] == '/' || s.rfind("./", 0) == 0 || s.rfind("../", 0) == 0; }

void check_name(const std::string& name, const std::string& spec)
{
    bool ok = std::isalnum(static_cast<unsigned char>(name[0])) &&
              std::all_of(name.begin(), name.end(), [](char c) {
                  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
              });
    if (!ok)
        fail("volume \"{}\": \"{}\" is neither a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]*) nor a host path", spec,
             name);
}

void apply_options(Volume& v, const std::string& opts, const std::string& spec)
{
    static const std::vector<std::string> propagation = {"shared", "rshared", "slave",
                                                         "rslave", "private", "rprivate"};
    for (const auto& o : split(opts, ',')) {
        if (o == "ro" || o == "rw")
            v.readonly = o == "ro";
        else if (o == "nocopy")
            v.copy_up = false;
        else if (o == "z" || o == "Z")
            continue;  // SELinux relabelling: nothing to do without SELinux
        else if (std::find(propagation.begin(), propagation.end(), o) != propagation.end())
            v.options.push_back(o);
        else
            fail("volume \"{}\": unknown option \"{}\" (ro, rw, nocopy, z, Z or a propagation)", spec, o);
    }
}

bool empty_dir(const std::string& path)
{
    UniqueFd fd = open_or_throw(path, O_RDONLY | O_DIRECTORY);
    DIR* d = ::fdopendir(::dup(fd.get()));
    if (!d)
        throw_errno("read " + path);
    int n = 0;
    while (::readdir(d))
        n++;
    ::closedir(d);
    return n <= 2;
}

// A new volume takes the image's directory at its destination: its content,
// owner and mode.
// The copy is made beside the volume and renamed onto it, so a failed copy
// leaves the volume as it was.
void copy_up(int rootfd, const Volume& v)
{
    std::string tmp = v.source + ".ctr-tmp-" + std::to_string(::getpid());
    mkdir_all(tmp, 0755);
    ScopeGuard cleanup([&] { remove_all(tmp); });
    if (int fd = mnt::try_open_in_root(rootfd, v.destination, O_RDONLY | O_DIRECTORY); fd >= 0) {
        UniqueFd src(fd);
        UniqueFd dst = open_or_throw(tmp, O_RDONLY | O_DIRECTORY);
        copy_into(src.get(), dst.get());
        struct stat st;
        if (::fstat(src.get(), &st) < 0)
            throw_errno("stat " + v.destination);
        if ((::geteuid() == 0 && ::fchown(dst.get(), st.st_uid, st.st_gid) < 0) ||
            ::fchmod(dst.get(), st.st_mode & 07777) < 0)
            throw_errno("set owner and mode of volume " + v.source);
    }
    // rename(2) replaces the volume's directory only while it is empty.
    if (::rename(tmp.c_str(), v.source.c_str()) < 0)
        throw_errno("fill volume " + v.source);
    cleanup.dismiss();
}

} // namespace

std::string clean_path(const std::string& path)
{
    std::vector<std::string> parts;
    for (const auto& comp : split(path, '/')) {
        if (comp == "..") {
            if (!parts.empty())
                parts.pop_back();
        } else if (!comp.empty() && comp != ".") {
            parts.push_back(comp);
        }
    }
    std::string out;
    for (const auto& p : parts)
        out.append("/").append(p);
    return out.empty() ? "/" : out;
}

Json Volume::to_json() const
{
    Json j = {{"destination", destination}, {"source", source}, {"readonly", readonly}};
    if (!name.empty())
        j["name"] = name;
    if (anonymous)
        j["anonymous"] = true;
    if (!options.empty())
        j["options"] = options;
    return j;
}

Volume Volume::from_json(const Json& j)
{
    Volume v;
    v.destination = j.value("destination", "");
    v.source = j.value("source", "");
    v.name = j.value("name", "");
    v.anonymous = j.value("anonymous", false);
    v.readonly = j.value("readonly", false);
    v.options = j.value("options", std::vector<std::string>{});
    v.copy_up = false;
    return v;
}

Volume parse_volume(const std::string& spec)
{
    std::vector<std::string> parts = split(spec, ':');
    if (spec.empty() || parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); }))
        fail("volume \"{}\": expected [SOURCE:]DEST[:OPTIONS]", spec);
    Volume v;
    // DEST alone, or DEST:OPTIONS, make an anonymous volume.
    bool anonymous = parts.size() == 1 || (parts.size() == 2 && parts[1][0] != '/');
    v.destination = anonymous ? parts[0] : parts[1];
    if (v.destination[0] != '/')
        fail("volume \"{}\": the container path \"{}\" is not absolute", spec, v.destination);
    v.destination = clean_path(v.destination);
    if (v.destination == "/")
        fail("volume \"{}\": cannot mount a volume on /", spec);
    if (anonymous) {
        v.anonymous = true;
    } else if (host_path(parts[0])) {
        v.source = absolute_path(parts[0]);
        v.copy_up = false;
    } else {
        check_name(parts[0], spec);
        v.name = parts[0];
    }
    size_t opts = anonymous ? 1 : 2;
    if (parts.size() > opts)
        apply_options(v, parts[opts], spec);
    return v;
}

std::vector<Volume> volumes_from(const std::string& spec)
{
    std::string bundle = spec, mode;
    if (size_t colon = spec.rfind(':'); colon != std::string::npos) {
        bundle = spec.substr(0, colon);
        mode = spec.substr(colon + 1);
        if (mode != "ro" && mode != "rw")
            fail("--volumes-from {}: the mode after ':' must be ro or rw", spec);
    }
    std::string record = absolute_path(bundle) + "/image.json";
    if (!path_exists(record))
        fail("--volumes-from {}: not a bundle made by ctr-layer (no image.json)", bundle);
    std::vector<Volume> out;
    for (const auto& j : parse_json(read_file(record), record).value("volumes", Json::array())) {
        Volume v = Volume::from_json(j);
        if (!mode.empty())
            v.readonly = mode == "ro";
        out.push_back(v);
    }
    return out;
}

void prepare_volumes(const Store& store, const std::string& bundle, int rootfd, std::vector<Volume>& volumes)
{
    for (auto& v : volumes) {
        bool fresh = false;
        if (v.anonymous && v.source.empty()) {
            v.source = bundle + "/volumes/" + digest_hex(sha256_digest(v.destination)).substr(0, 16);
            fresh = true;
        } else if (!v.name.empty() && v.source.empty()) {
            v.source = store.root() + "/volumes/" + v.name + "/_data";
            fresh = !path_exists(v.source) || empty_dir(v.source);
        } else if (!path_exists(v.source)) {
            if (!v.name.empty() || v.anonymous)
                fail("volume {} of another bundle: {} is gone", v.destination, v.source);
            // docker run -v creates a missing host directory; so do we.
        }
        if (fresh && v.copy_up)
            copy_up(rootfd, v);
        else
            mkdir_all(v.source, 0755);
    }
}

Json volume_mount(const Volume& v)
{
    Json options = {"rbind", v.readonly ? "ro" : "rw"};
    for (const auto& o : v.options)
        options.push_back(o);
    return {{"destination", v.destination}, {"type", "bind"}, {"source", v.source}, {"options", options}};
}

} // namespace ctr::img

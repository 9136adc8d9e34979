#include "commands.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <set>

#include "archive.hpp"
#include "catalog.hpp"
#include "error.hpp"
#include "file.hpp"
#include "images.hpp"
#include "layers.hpp"
#include "log.hpp"
#include "reference.hpp"
#include "scope.hpp"

namespace ctr::img {

namespace {

void print(const std::string& s) { std::cout << s << '\n'; }

std::string table(const std::vector<std::vector<std::string>>& rows)
{
    std::vector<size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()));
        for (size_t i = 0; i < row.size(); i++)
            width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); i++)
            line += i + 1 < row.size() ? row[i] + std::string(width[i] - row[i].size() + 3, ' ') : row[i];
        out += line + "\n";
    }
    return out;
}

// "registry/repo:tag" -> ("registry/repo", "tag"); a digest name has no tag.
std::pair<std::string, std::string> split_name(const std::string& name)
{
    try {
        Reference r = parse_reference(name);
        return {r.name(), r.tag.empty() ? "<none>" : r.tag};
    } catch (const Error&) {
        return {name.empty() ? "<none>" : name, "<none>"};
    }
}

std::vector<std::string> list_dir(const std::string& dir)
{
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return out;
    while (struct dirent* e = ::readdir(d))
        if (e->d_name[0] != '.')
            out.push_back(e->d_name);
    ::closedir(d);
    return out;
}

} // namespace

std::string time_ago(const std::string& rfc3339)
{
    struct tm tm = {};
    if (rfc3339.size() < 19 || !strptime(rfc3339.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
        return rfc3339.empty() ? "-" : rfc3339;
    long secs = static_cast<long>(std::time(nullptr) - timegm(&tm));
    if (secs < 0)
        return "in the future";
    struct Unit {
        long secs;
        const char* name;
    };
    for (Unit u : {Unit{365L * 86400, "year"}, Unit{30L * 86400, "month"}, Unit{7L * 86400, "week"},
                   Unit{86400, "day"}, Unit{3600, "hour"}, Unit{60, "minute"}}) {
        if (secs >= u.secs) {
            long n = secs / u.secs;
            return fmt::format("{} {}{} ago", n, u.name, n == 1 ? "" : "s");
        }
    }
    return "seconds ago";
}

std::string human_size(int64_t bytes)
{
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    return u == 0 ? fmt::format("{}B", bytes) : fmt::format("{:.3g}{}", v, units[u]);
}

Json select_path(const Json& doc, const std::string& path)
{
    std::string p = path;
    if (p.rfind("{{", 0) == 0 && p.size() >= 4 && p.compare(p.size() - 2, 2, "}}") == 0)
        p = p.substr(2, p.size() - 4);
    while (!p.empty() && p.front() == ' ')
        p.erase(0, 1);
    while (!p.empty() && p.back() == ' ')
        p.pop_back();
    if (p.empty() || p[0] != '.')
        fail("--format: \"{}\" is not a path like .config.Env", path);
    const Json* cur = &doc;
    size_t i = 1;
    while (i <= p.size() && p != ".") {
        size_t end = p.find('.', i);
        std::string key = p.substr(i, end == std::string::npos ? std::string::npos : end - i);
        if (!cur->is_object())
            fail("--format: {}: not an object at \"{}\"", path, key);
        const Json* next = nullptr;
        if (cur->contains(key)) {
            next = &(*cur)[key];
        } else {
            for (auto it = cur->begin(); it != cur->end(); ++it) {
                std::string a = it.key(), b = key;
                std::transform(a.begin(), a.end(), a.begin(), ::tolower);
                std::transform(b.begin(), b.end(), b.begin(), ::tolower);
                if (a == b)
                    next = &it.value();
            }
        }
        if (!next)
            fail("--format: {}: no key \"{}\"", path, key);
        cur = next;
        if (end == std::string::npos)
            break;
        i = end + 1;
    }
    return *cur;
}

int cmd_ls(const Store& store, const std::string& format)
{
    if (format != "table" && format != "json")
        fail("--format: expected table or json, got \"{}\"", format);
    Json out = Json::array();
    std::vector<std::vector<std::string>> rows = {{"NAME", "TAG", "ID", "CREATED", "SIZE"}};
    for (const auto& e : list_images(store.layout())) {
        ImageInfo info = describe(store.layout(), e);
        auto [name, tag] = split_name(e.name);
        std::string created = info.config.value("created", "");
        out.push_back({{"name", name}, {"tag", tag}, {"id", info.config_digest},
                       {"digest", info.manifest_digest}, {"created", created}, {"size", info.size}});
        rows.push_back({name, tag, info.config_digest.substr(7, 12), time_ago(created), human_size(info.size)});
    }
    if (format == "json")
        print(out.dump());
    else
        std::cout << table(rows);
    return 0;
}

int cmd_inspect(const Store& store, const std::string& name, const std::string& format)
{
    ImageInfo info = describe(store.layout(), find_image(store.layout(), name));
    Json doc = info.config;
    doc["name"] = info.entry.name;
    doc["id"] = info.config_digest;
    doc["digest"] = info.manifest_digest;
    doc["manifest"] = info.manifest;
    if (format.empty()) {
        print(doc.dump(2));
        return 0;
    }
    Json v = select_path(doc, format);
    print(v.is_string() ? v.get<std::string>() : v.dump());
    return 0;
}

int cmd_history(const Store& store, const std::string& name)
{
    ImageInfo info = describe(store.layout(), find_image(store.layout(), name));
    const Json& layers = info.manifest.value("layers", Json::array());
    std::vector<std::vector<std::string>> rows = {{"CREATED", "CREATED BY", "SIZE", "COMMENT"}};
    size_t layer = 0;
    for (const auto& h : info.config.value("history", Json::array())) {
        int64_t size = 0;
        if (!h.value("empty_layer", false) && layer < layers.size())
            size = layers[layer++].value("size", int64_t{0});
        std::string by = h.value("created_by", "");
        if (by.size() > 60)
            by = by.substr(0, 57) + "...";
        rows.push_back({time_ago(h.value("created", "")), by, human_size(size), h.value("comment", "")});
    }
    std::cout << table(rows);
    return 0;
}

int cmd_tag(const Store& store, const std::string& src, const std::string& dest)
{
    ImageEntry e = find_image(store.layout(), src);
    std::string name = parse_reference(dest).str();
    Descriptor d = e.desc;
    d.annotations.erase(kRefNameAnnotation);
    store.layout().set_ref(name, d);
    return 0;
}

int cmd_rm(const Store& store, const std::vector<std::string>& names)
{
    // Check every name first: rm removes all or nothing.
    std::vector<std::string> victims;
    for (const auto& n : names) {
        auto found = find_images(store.layout(), n);
        if (found.empty())
            fail("{}: no such image in the store", n);
        for (const auto& e : found)
            victims.push_back(e.name);
    }
    for (const auto& v : victims)
        store.layout().remove_ref(v);
    return 0;
}

int cmd_gc(const Store& store)
{
    UniqueFd no_writers = store.layout().gc_guard(true);
    UniqueFd lock = store.layout().lock();
    Reachable keep = reachable(store.layout());
    std::set<std::string> blobs(keep.blobs.begin(), keep.blobs.end());
    std::set<std::string> layers(keep.diff_ids.begin(), keep.diff_ids.end());
    // Layers under a bundle made by ctr-layer stay while the bundle does.
    for (const auto& ref : list_dir(store.root() + "/bundles")) {
        std::string path = store.root() + "/bundles/" + ref;
        auto text = try_read_file(path);
        if (!text)
            continue;
        Json j = parse_json(*text, path);
        if (!path_exists(j.value("bundle", "") + "/image.json")) {
            ::unlink(path.c_str());  // the bundle is gone: so is its claim
            continue;
        }
        for (const auto& id : j.value("layers", Json::array()))
            if (id.is_string())
                layers.insert(id.get<std::string>());
    }
    int64_t freed = 0;
    int removed_blobs = 0, removed_layers = 0;
    std::string blob_dir = store.layout().dir() + "/blobs/sha256";
    for (const auto& hex : list_dir(blob_dir)) {
        if (blobs.count("sha256:" + hex))
            continue;
        struct stat st;
        std::string path = blob_dir + "/" + hex;
        if (::stat(path.c_str(), &st) == 0)
            freed += st.st_size;
        if (::unlink(path.c_str()) < 0 && errno != ENOENT)
            throw_errno("remove " + path);
        removed_blobs++;
    }
    std::string layer_dir = store.root() + "/layers/sha256";
    for (const auto& hex : list_dir(layer_dir)) {
        if (layers.count("sha256:" + hex))
            continue;
        remove_all(layer_dir + "/" + hex);
        std::string list = implicit_list(layer_dir + "/" + hex);
        if (::unlink(list.c_str()) < 0 && errno != ENOENT)
            throw_errno("remove " + list);
        removed_layers++;
    }
    log::info(fmt::format("removed {} blobs ({}) and {} extracted layers", removed_blobs, human_size(freed),
                          removed_layers));
    return 0;
}

int cmd_save(const Store& store, const std::vector<std::string>& names, const std::string& output,
             const std::string& format)
{
    if (format != "oci-archive" && format != "docker-archive")
        fail("--format: expected oci-archive or docker-archive, got \"{}\"", format);
    std::vector<ImageEntry> images;
    for (const auto& n : names)
        images.push_back(find_image(store.layout(), n));
    auto write = [&](int fd) {
        if (format == "oci-archive")
            save_oci_archive(store.layout(), images, fd);
        else
            save_docker_archive(store.layout(), images, fd);
    };
    if (output.empty() || output == "-") {
        if (::isatty(STDOUT_FILENO))
            fail("save: refusing to write an archive to a terminal (use -o FILE or a pipe)");
        write(STDOUT_FILENO);
        return 0;
    }
    std::string tmp = output + ".tmp." + std::to_string(::getpid());
    ScopeGuard remove_tmp([&] { ::unlink(tmp.c_str()); });
    {
        UniqueFd fd = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write(fd.get());
        if (::fsync(fd.get()) < 0)
            throw_errno("fsync " + tmp);
    }
    if (::rename(tmp.c_str(), output.c_str()) < 0)
        throw_errno("rename " + tmp + " to " + output);
    remove_tmp.dismiss();
    return 0;
}

int cmd_load(const Store& store, const std::string& input)
{
    UniqueFd file;
    int fd = STDIN_FILENO;
    if (!input.empty() && input != "-") {
        file = open_or_throw(input, O_RDONLY);
        fd = file.get();
    }
    UniqueFd no_gc = store.layout().gc_guard(false);
    for (const auto& line : load_archive(store.layout(), fd, store.root() + "/tmp"))
        print(line);
    return 0;
}

int cmd_search(const std::string& target, const reg::RegistryFlags& flags)
{
    auto slash = target.find('/');
    std::string registry = target.substr(0, slash);
    std::string prefix = slash == std::string::npos ? "" : target.substr(slash + 1);
    reg::RegistryClient client(registry, reg::registry_options(flags));
    for (const auto& repo : reg::list_repositories(client, prefix))
        print(registry + "/" + repo);
    return 0;
}

int cmd_tags(const std::string& repo, const reg::RegistryFlags& flags)
{
    Reference r = parse_reference(repo);
    reg::RegistryClient client(r.registry, reg::registry_options(flags));
    for (const auto& tag : reg::list_tags(client, r.repository))
        print(r.name() + ":" + tag);
    return 0;
}

} // namespace ctr::img

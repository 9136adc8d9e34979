#include "archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "error.hpp"
#include "file.hpp"
#include "reference.hpp"
#include "scope.hpp"
#include "tar.hpp"

namespace ctr::img {

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

// Copies a file into the layout as the blob it claims to be (verified).
void import_blob(const OciLayout& layout, const std::string& path, const std::string& digest)
{
    if (layout.has_blob(digest))
        return;
    UniqueFd in = open_or_throw(path, O_RDONLY);
    struct stat st;
    if (::fstat(in.get(), &st) < 0)
        throw_errno("stat " + path);
    BlobWriter w(layout, digest, st.st_size);
    if (w.done())
        return;
    w.restart();
    read_chunks(in.get(), path, [&](const char* data, size_t len) { w.write(data, len); });
    w.finish();
}

// Entry names from an untrusted archive: relative, no "..", regular files only.
bool safe_name(const std::string& name)
{
    if (name.empty() || name[0] == '/')
        return false;
    size_t start = 0;
    while (start <= name.size()) {
        size_t end = name.find('/', start);
        std::string comp = name.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (comp == "..")
            return false;
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return true;
}

void extract(int fd, const std::string& dir)
{
    ArchivePtr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
        archive_fail(a.get(), "read archive");
    struct archive_entry* e;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        std::string name = archive_entry_pathname(e);
        while (name.rfind("./", 0) == 0)
            name = name.substr(2);
        if (archive_entry_filetype(e) != AE_IFREG || name.empty())
            continue;
        if (!safe_name(name))
            fail("archive entry \"{}\": not a relative path inside the archive", name);
        std::string path = dir + "/" + name;
        mkdir_all(path.substr(0, path.rfind('/')));
        UniqueFd out = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
        if (archive_read_data_into_fd(a.get(), out.get()) != ARCHIVE_OK)
            archive_fail(a.get(), "read archive entry " + name);
    }
    if (rc != ARCHIVE_EOF)
        archive_fail(a.get(), "read archive");
}

std::string normalise_name(const std::string& name)
{
    return parse_reference(name).str();
}

std::vector<std::string> load_oci(const OciLayout& layout, const std::string& dir)
{
    OciLayout src(dir, dir + "/.lock");
    std::vector<std::string> out;
    for (const auto& e : list_images(src)) {
        for (const auto& b : image_blobs(src, e.desc)) {
            if (src.has_blob(b.digest))
                import_blob(layout, src.blob_path(b.digest), b.digest);
            else if (!is_non_distributable(b.media_type))
                fail("archive: blob {} is missing", b.digest);
        }
        std::string name = e.name.empty() ? "" : normalise_name(e.name);
        Descriptor d = e.desc;
        d.annotations.erase(kRefNameAnnotation);
        layout.set_ref(name, d);
        out.push_back(name + "@" + d.digest);
    }
    return out;
}

std::string layer_media_type(const std::string& path)
{
    std::string head = read_file(path).substr(0, 4);
    if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f && static_cast<unsigned char>(head[1]) == 0x8b)
        return media::kOciLayerGzip;
    if (head == std::string("\x28\xb5\x2f\xfd", 4))
        return media::kOciLayerZstd;
    return media::kOciLayer;
}

std::vector<std::string> load_docker(const OciLayout& layout, const std::string& dir)
{
    Json manifest = parse_json(read_file(dir + "/manifest.json"), "manifest.json");
    if (!manifest.is_array())
        fail("manifest.json: expected an array");
    std::vector<std::string> out;
    for (const auto& item : manifest) {
        JsonView v(item, "manifest.json[]");
        std::string config_path = dir + "/" + v.at("Config").str();
        std::string config = read_file(config_path);
        std::string config_digest = sha256_digest(config);
        layout.put_blob(config_digest, config);
        Json m = {{"schemaVersion", 2}, {"mediaType", media::kOciManifest},
                  {"config", {{"mediaType", media::kOciConfig}, {"digest", config_digest},
                              {"size", config.size()}}},
                  {"layers", Json::array()}};
        for (const auto& l : v.at("Layers").strings()) {
            if (!safe_name(l))
                fail("manifest.json: layer path \"{}\" leaves the archive", l);
            std::string path = dir + "/" + l;
            std::string digest = sha256_file(path);
            import_blob(layout, path, digest);
            struct stat st;
            ::stat(path.c_str(), &st);
            m["layers"].push_back({{"mediaType", layer_media_type(path)}, {"digest", digest}, {"size", st.st_size}});
        }
        std::string body = m.dump();
        std::string digest = sha256_digest(body);
        layout.put_blob(digest, body);
        Descriptor d{media::kOciManifest, digest, static_cast<int64_t>(body.size()), {}, {}, {}};
        std::vector<std::string> tags = v.opt_strings("RepoTags");
        if (tags.empty()) {
            layout.set_ref("", d);
            out.push_back("@" + digest);
        }
        for (const auto& t : tags) {
            std::string name = normalise_name(t);
            layout.set_ref(name, d);
            out.push_back(name + "@" + digest);
        }
    }
    return out;
}

// "docker.io/library/busybox:latest" -> "busybox:latest", as docker save writes RepoTags.
std::string familiar(const std::string& name)
{
    std::string s = name;
    if (s.rfind("docker.io/", 0) == 0)
        s = s.substr(10);
    if (s.rfind("library/", 0) == 0)
        s = s.substr(8);
    return s;
}

// Decompresses a layer blob to a file; returns its path (in tmp_dir) and diff_id.
std::pair<std::string, std::string> uncompressed_layer(const std::string& blob, const std::string& tmp_dir)
{
    ArchivePtr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_raw(a.get());
    if (archive_read_open_filename(a.get(), blob.c_str(), 1 << 16) != ARCHIVE_OK)
        archive_fail(a.get(), "read layer " + blob);
    struct archive_entry* e;
    if (archive_read_next_header(a.get(), &e) != ARCHIVE_OK)
        archive_fail(a.get(), "read layer " + blob);
    std::string path = tmp_dir + "/layer.tar";
    UniqueFd out = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    Sha256 h;
    char buf[1 << 16];
    for (;;) {
        la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
        if (n < 0)
            archive_fail(a.get(), "decompress layer " + blob);
        if (n == 0)
            break;
        h.update(buf, static_cast<size_t>(n));
        write_all(out.get(), std::string_view(buf, static_cast<size_t>(n)), path);
    }
    return {path, h.digest()};
}

} // namespace

void save_oci_archive(const OciLayout& layout, const std::vector<ImageEntry>& images, int fd)
{
    TarWriter tar(fd);
    tar.add_bytes("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    Json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", Json::array()}};
    std::set<std::string> written;
    tar.dir("blobs/");
    tar.dir("blobs/sha256/");
    for (const auto& e : images) {
        Descriptor d = e.desc;
        if (!e.name.empty())
            d.annotations[kRefNameAnnotation] = e.name;
        index["manifests"].push_back(d.to_json());
        for (const auto& b : image_blobs(layout, e.desc))
            if (layout.has_blob(b.digest) && written.insert(b.digest).second)
                tar.add_file("blobs/sha256/" + digest_hex(b.digest), layout.blob_path(b.digest));
    }
    tar.add_bytes("index.json", index.dump());
    tar.close();
}

void save_docker_archive(const OciLayout& layout, const std::vector<ImageEntry>& images, int fd)
{
    TarWriter tar(fd);
    Json manifest = Json::array();
    std::set<std::string> written;
    char tmpl[] = "/tmp/ctr-save.XXXXXX";
    if (!::mkdtemp(tmpl))
        throw_errno("mkdtemp");
    std::string tmp = tmpl;
    ScopeGuard cleanup([&] { remove_all(tmp); });
    for (const auto& e : images) {
        ImageInfo info = describe(layout, e);
        std::string config_name = digest_hex(info.config_digest) + ".json";
        if (written.insert(config_name).second)
            tar.add_file(config_name, layout.blob_path(info.config_digest));
        Json layers = Json::array();
        for (const auto& l : info.manifest.value("layers", Json::array())) {
            std::string blob = layout.blob_path(l.value("digest", ""));
            auto [path, diff_id] = uncompressed_layer(blob, tmp);
            std::string name = digest_hex(diff_id) + "/layer.tar";
            if (written.insert(name).second)
                tar.add_file(name, path);
            layers.push_back(name);
        }
        Json tags = Json::array();
        if (!e.name.empty())
            tags.push_back(familiar(e.name));
        manifest.push_back({{"Config", config_name}, {"RepoTags", tags}, {"Layers", layers}});
    }
    tar.add_bytes("manifest.json", manifest.dump());
    tar.close();
}

std::vector<std::string> load_archive(const OciLayout& layout, int fd, const std::string& tmp_dir)
{
    mkdir_all(tmp_dir);
    std::string tmpl_s = tmp_dir + "/load.XXXXXX";
    std::vector<char> tmpl(tmpl_s.begin(), tmpl_s.end());
    tmpl.push_back('\0');
    if (!::mkdtemp(tmpl.data()))
        throw_errno("mkdtemp " + tmpl_s);
    std::string dir = tmpl.data();
    ScopeGuard cleanup([&] { remove_all(dir); });
    extract(fd, dir);
    if (path_exists(dir + "/oci-layout") && path_exists(dir + "/index.json"))
        return load_oci(layout, dir);
    if (path_exists(dir + "/manifest.json"))
        return load_docker(layout, dir);
    fail("archive: neither an OCI layout (oci-layout, index.json) nor a docker archive (manifest.json)");
}

} // namespace ctr::img

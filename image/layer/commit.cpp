#include "commit.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include <memory>

#include "decompress.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "images.hpp"
#include "layers.hpp"
#include "log.hpp"
#include "manifest.hpp"
#include "reference.hpp"
#include "scope.hpp"
#include "tar.hpp"

namespace ctr::img {

namespace {

// tar bytes in; gzip to a file out, hashing both sides (diff_id, digest).
struct GzipSink {
    UniqueFd fd;
    std::string path;
    z_stream z = {};
    Sha256 plain, packed;
    int64_t size = 0;

    explicit GzipSink(std::string p) : path(std::move(p))
    {
        fd = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            fail("cannot initialise zlib");
    }
    ~GzipSink() { deflateEnd(&z); }

    void push(const void* data, size_t len, int flush)
    {
        plain.update(data, len);
        z.next_in = static_cast<Bytef*>(const_cast<void*>(data));
        z.avail_in = static_cast<uInt>(len);
        char out[1 << 16];
        do {
            z.next_out = reinterpret_cast<Bytef*>(out);
            z.avail_out = sizeof out;
            deflate(&z, flush);
            size_t n = sizeof out - z.avail_out;
            packed.update(out, n);
            write_all(fd.get(), std::string_view(out, n), path);
            size += static_cast<int64_t>(n);
        } while (z.avail_out == 0);
    }
};

struct NewLayer {
    std::string digest, diff_id;
    int64_t size;
};

// A tar of an overlay upper directory, in the image-spec's whiteout form.
NewLayer layer_from_upper(const OciLayout& layout, const std::string& upper)
{
    std::string tmp = layout.dir() + "/.ctr-tmp/commit-" + std::to_string(::getpid()) + ".tar.gz";
    ScopeGuard remove_tmp([&] { ::unlink(tmp.c_str()); });
    GzipSink sink(tmp);
    TarWriter tar([&](const void* data, size_t len) { sink.push(data, len, Z_NO_FLUSH); });
    walk_tree(upper, [&](struct archive_entry* e, const std::string& rel) {
        std::string src = archive_entry_sourcepath(e);
        // Overlay bookkeeping xattrs never go into a layer.
        archive_entry_xattr_clear(e);
        std::string name = rel.substr(1);
        struct stat st;
        if (::lstat(src.c_str(), &st) < 0)
            throw_errno("stat " + src);
        if (is_whiteout(st)) {
            auto slash = name.rfind('/');
            std::string wh = (slash == std::string::npos ? "" : name.substr(0, slash + 1)) + ".wh." +
                             name.substr(slash == std::string::npos ? 0 : slash + 1);
            archive_entry_set_pathname(e, wh.c_str());
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, 0);
            archive_entry_set_rdev(e, 0);
            tar.add_entry(e, src);
            return;
        }
        archive_entry_set_pathname(e, name.c_str());
        tar.add_entry(e, src);
        char v[2] = {};
        if (S_ISDIR(st.st_mode) && ::lgetxattr(src.c_str(), "trusted.overlay.opaque", v, 1) == 1 && v[0] == 'y')
            tar.add_bytes(name + "/.wh..wh..opq", "");
    });
    tar.close();
    sink.push(nullptr, 0, Z_FINISH);
    if (::fsync(sink.fd.get()) < 0)
        throw_errno("fsync " + tmp);
    NewLayer l{sink.packed.digest(), sink.plain.digest(), sink.size};
    if (!layout.has_blob(l.digest) && ::rename(tmp.c_str(), layout.blob_path(l.digest).c_str()) < 0)
        throw_errno("rename " + tmp);
    return l;
}

std::vector<std::string> split_words(const std::string& s)
{
    if (!s.empty() && s[0] == '[') {
        Json j = parse_json(s, "--change");
        std::vector<std::string> out;
        for (const auto& v : j)
            out.push_back(v.get<std::string>());
        return out;
    }
    return {"/bin/sh", "-c", s};  // shell form, as in a Dockerfile
}

// Writes config and manifest blobs and names the image; returns the manifest digest.
std::string write_image(const Store& store, Json config, std::vector<Descriptor> layers, const std::string& name)
{
    std::string config_text = config.dump();
    std::string config_digest = sha256_digest(config_text);
    store.layout().put_blob(config_digest, config_text);
    Json m = {{"schemaVersion", 2}, {"mediaType", media::kOciManifest},
              {"config", {{"mediaType", media::kOciConfig}, {"digest", config_digest}, {"size", config_text.size()}}},
              {"layers", Json::array()}};
    for (const auto& l : layers)
        m["layers"].push_back(l.to_json());
    std::string body = m.dump();
    std::string digest = sha256_digest(body);
    store.layout().put_blob(digest, body);
    store.layout().set_ref(parse_reference(name).str(),
                           {media::kOciManifest, digest, static_cast<int64_t>(body.size()), {}, {}, {}});
    return digest;
}

// A layer must be a tar (gzip or zstd compressed, or not): read every header.
void check_tar(const std::string& path, const std::string& what)
{
    using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
    ArchivePtr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    struct archive_entry* e;
    int rc = archive_read_open_filename(a.get(), path.c_str(), 1 << 16);
    while (rc == ARCHIVE_OK && (rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    }
    if (rc != ARCHIVE_EOF)
        fail("{}: not a tar archive: {}", what,
             archive_error_string(a.get()) ? archive_error_string(a.get()) : "unreadable");
}

} // namespace

void apply_change(Json& config, const std::string& change)
{
    auto sp = change.find(' ');
    std::string op = change.substr(0, sp);
    std::string arg = sp == std::string::npos ? "" : change.substr(sp + 1);
    for (auto& c : op)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Json& c = config["config"];
    if (!c.is_object())
        c = Json::object();
    if (op == "CMD")
        c["Cmd"] = split_words(arg);
    else if (op == "ENTRYPOINT")
        c["Entrypoint"] = split_words(arg);
    else if (op == "WORKDIR")
        c["WorkingDir"] = arg;
    else if (op == "USER")
        c["User"] = arg;
    else if (op == "ENV" || op == "LABEL") {
        auto eq = arg.find('=');
        if (eq == std::string::npos)
            fail("--change {}: expected KEY=VALUE", change);
        if (op == "ENV") {
            Json env = c.value("Env", Json::array());
            Json kept = Json::array();
            for (const auto& e : env)
                if (e.get<std::string>().rfind(arg.substr(0, eq + 1), 0) != 0)
                    kept.push_back(e);
            kept.push_back(arg);
            c["Env"] = kept;
        } else {
            c["Labels"][arg.substr(0, eq)] = arg.substr(eq + 1);
        }
    } else {
        fail("--change \"{}\": supported are CMD, ENTRYPOINT, ENV, WORKDIR, USER and LABEL", change);
    }
}

std::string commit_bundle(const Store& store, const std::string& dir, const std::string& name,
                          const CommitOptions& opts)
{
    std::string record_path = dir + "/image.json";
    if (!path_exists(record_path))
        fail("{}: not a bundle made by ctr-layer (no image.json)", dir);
    Json record = parse_json(read_file(record_path), record_path);
    std::string manifest_digest = record.value("manifest", "");
    Json manifest = parse_json(store.layout().read_blob(manifest_digest), "manifest " + manifest_digest);
    Json config = parse_json(store.layout().read_blob(record.value("config", "")), "config");
    UniqueFd no_gc = store.layout().gc_guard(false);
    NewLayer l = layer_from_upper(store.layout(), dir + "/upper");
    std::string now = log::now_rfc3339();
    config["created"] = now;
    config["rootfs"]["diff_ids"].push_back(l.diff_id);
    Json h = {{"created", now}, {"created_by", "ctr-layer commit"}};
    if (!opts.message.empty())
        h["comment"] = opts.message;
    config["history"].push_back(h);
    for (const auto& c : opts.changes)
        apply_change(config, c);
    std::vector<Descriptor> layers;
    JsonView mv(manifest, "manifest");
    for (const auto& d : mv.at("layers").items())
        layers.push_back(parse_descriptor(d));
    layers.push_back({media::kOciLayerGzip, l.digest, l.size, {}, {}, {}});
    return write_image(store, config, layers, name);
}

std::string import_tar(const Store& store, const std::string& file, const std::string& name,
                       const CommitOptions& opts)
{
    UniqueFd no_gc = store.layout().gc_guard(false);
    std::string tmp = store.layout().dir() + "/.ctr-tmp/import-" + std::to_string(::getpid());
    ScopeGuard remove_tmp([&] { ::unlink(tmp.c_str()); });
    {
        UniqueFd in = file == "-" ? UniqueFd(::dup(STDIN_FILENO)) : open_or_throw(file, O_RDONLY);
        UniqueFd out = open_or_throw(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        read_chunks(in.get(), file, [&](const char* d, size_t n) { write_all(out.get(), std::string_view(d, n), tmp); });
    }
    check_tar(tmp, file);
    LayerReader reader(tmp);
    std::string diff_id = reader.diff_id();
    std::string compression = reader.compression();
    std::string digest = sha256_file(tmp);
    struct stat st;
    ::stat(tmp.c_str(), &st);
    if (!store.layout().has_blob(digest) && ::rename(tmp.c_str(), store.layout().blob_path(digest).c_str()) < 0)
        throw_errno("rename " + tmp);
    std::string type = compression == "gzip" ? media::kOciLayerGzip
                       : compression == "zstd" ? media::kOciLayerZstd : media::kOciLayer;
    std::string now = log::now_rfc3339();
    Platform p = host_platform();
    Json config = {{"created", now}, {"architecture", p.architecture}, {"os", p.os}, {"config", Json::object()},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
                   {"history", {{{"created", now}, {"created_by", "ctr-layer import " + file}}}}};
    if (!opts.message.empty())
        config["history"][0]["comment"] = opts.message;
    for (const auto& c : opts.changes)
        apply_change(config, c);
    return write_image(store, config, {{type, digest, st.st_size, {}, {}, {}}}, name);
}

} // namespace ctr::img

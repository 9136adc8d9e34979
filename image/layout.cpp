#include "layout.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"
#include "file.hpp"

namespace ctr::img {

namespace {

constexpr const char* kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";

void flock_fd(int fd, const std::string& what, int how = LOCK_EX)
{
    while (::flock(fd, how) < 0) {
        if (errno != EINTR)
            throw_errno("lock " + what);
    }
}

// Puts a verified partial file in place as the blob.
void commit_partial(int fd, const std::string& partial, const std::string& blob)
{
    if (::fsync(fd) < 0)
        throw_errno("fsync " + partial);
    if (::rename(partial.c_str(), blob.c_str()) < 0)
        throw_errno("rename " + partial);
}

} // namespace

OciLayout::OciLayout(std::string dir, std::string lock_path)
    : dir_(std::move(dir)), lock_path_(std::move(lock_path))
{
}

void OciLayout::init() const
{
    mkdir_all(dir_ + "/blobs/sha256");
    mkdir_all(dir_ + "/.ctr-tmp");
    std::string layout = dir_ + "/oci-layout";
    if (!path_exists(layout)) {
        UniqueFd l = lock();
        if (!path_exists(layout)) {
            if (!path_exists(dir_ + "/index.json"))
                write_file_atomic(dir_ + "/index.json",
                                  R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})");
            write_file_atomic(layout, kLayoutFile);
        }
    }
    Json j = parse_json(read_file(layout), layout);
    if (!j.is_object() || j.value("imageLayoutVersion", "") != "1.0.0")
        fail("{}: not an OCI image layout (imageLayoutVersion 1.0.0)", dir_);
}

UniqueFd OciLayout::lock() const
{
    UniqueFd fd = open_or_throw(lock_path_, O_RDWR | O_CREAT, 0644);
    flock_fd(fd.get(), lock_path_);
    return fd;
}

UniqueFd OciLayout::gc_guard(bool exclusive) const
{
    std::string path = dir_ + "/.ctr-tmp/gc.lock";
    UniqueFd fd = open_or_throw(path, O_RDWR | O_CREAT, 0644);
    flock_fd(fd.get(), path, exclusive ? LOCK_EX : LOCK_SH);
    return fd;
}

std::string OciLayout::blob_path(const std::string& digest) const
{
    return dir_ + "/blobs/sha256/" + digest_hex(digest);
}

bool OciLayout::has_blob(const std::string& digest) const { return path_exists(blob_path(digest)); }

std::string OciLayout::read_blob(const std::string& digest) const
{
    std::string data = read_file(blob_path(digest));
    std::string got = sha256_digest(data);
    if (got != digest)
        fail("blob {} in {} is corrupt: its content hashes to {}", digest, dir_, got);
    return data;
}

void OciLayout::put_blob(const std::string& digest, std::string_view data) const
{
    std::string got = sha256_digest(data);
    if (got != digest)
        fail("blob {}: content hashes to {}", digest, got);
    if (!has_blob(digest))
        write_file_atomic(blob_path(digest), data, 0644);
}

std::string OciLayout::partial_path(const std::string& digest) const
{
    return dir_ + "/.ctr-tmp/" + digest_hex(digest) + ".partial";
}

Json OciLayout::read_index() const
{
    std::string path = dir_ + "/index.json";
    Json j = parse_json(read_file(path), path);
    if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array())
        fail("{}: not an OCI image index", path);
    return j;
}

std::vector<Descriptor> OciLayout::refs() const
{
    Json index = read_index();
    std::vector<Descriptor> out;
    JsonView v(index, "index.json");
    for (const auto& m : v.at("manifests").items())
        out.push_back(parse_descriptor(m));
    return out;
}

std::optional<Descriptor> OciLayout::find_ref(const std::string& name) const
{
    for (auto& d : refs()) {
        auto it = d.annotations.find(kRefNameAnnotation);
        if (it != d.annotations.end() && it->second == name)
            return d;
    }
    return std::nullopt;
}

void OciLayout::write_index(const Json& index) const
{
    write_file_atomic(dir_ + "/index.json", index.dump(), 0644);
}

void OciLayout::set_ref(const std::string& name, Descriptor d) const
{
    UniqueFd l = lock();
    Json index = read_index();
    Json kept = Json::array();
    for (const auto& m : index["manifests"]) {
        std::string has = m.contains("annotations") ? m["annotations"].value(kRefNameAnnotation, "") : "";
        // An unnamed entry is kept once per digest.
        bool same = name.empty() ? has.empty() && m.value("digest", "") == d.digest : has == name;
        if (!same)
            kept.push_back(m);
    }
    if (!name.empty())
        d.annotations[kRefNameAnnotation] = name;
    kept.push_back(d.to_json());
    index["manifests"] = kept;
    write_index(index);
}

bool OciLayout::remove_ref(const std::string& name) const
{
    UniqueFd l = lock();
    Json index = read_index();
    Json kept = Json::array();
    for (const auto& m : index["manifests"])
        if (!(m.contains("annotations") && m["annotations"].value(kRefNameAnnotation, "") == name))
            kept.push_back(m);
    bool removed = kept.size() != index["manifests"].size();
    index["manifests"] = kept;
    if (removed)
        write_index(index);
    return removed;
}

BlobWriter::BlobWriter(const OciLayout& layout, std::string digest, int64_t size)
    : layout_(layout), digest_(std::move(digest)), size_(size), partial_(layout.partial_path(digest_))
{
    if (layout_.has_blob(digest_)) {
        done_ = true;
        return;
    }
    fd_ = open_or_throw(partial_, O_RDWR | O_CREAT, 0644);
    flock_fd(fd_.get(), partial_);
    // Another process may have finished this blob while we waited for the lock
    // (then the partial file we hold is a fresh, empty one: remove it).
    if (layout_.has_blob(digest_)) {
        struct stat st;
        if (::fstat(fd_.get(), &st) == 0 && st.st_size == 0)
            ::unlink(partial_.c_str());
        done_ = true;
        return;
    }
    hash_ = std::make_unique<Sha256>();
    // Resume: hash what an earlier, interrupted download left.
    read_chunks(fd_.get(), partial_, [&](const char* data, size_t len) {
        hash_->update(data, len);
        written_ += static_cast<int64_t>(len);
    });
    // Killed after its last write but before the rename: the whole blob is
    // here, and a Range request for more would only get 416.
    if (written_ == size_ && hash_->digest() == digest_) {
        commit_partial(fd_.get(), partial_, layout_.blob_path(digest_));
        done_ = true;
        return;
    }
    if (written_ >= size_)
        restart();
}

BlobWriter::~BlobWriter()
{
    try {
        if (fd_ && !done_)
            flush();
    } catch (const Error&) {
        // What was not flushed is downloaded again next time.
    }
}

void BlobWriter::flush()
{
    write_all(fd_.get(), buf_, partial_);
    buf_.clear();
}

void BlobWriter::restart()
{
    buf_.clear();
    if (::ftruncate(fd_.get(), 0) < 0 || ::lseek(fd_.get(), 0, SEEK_SET) < 0)
        throw_errno("truncate " + partial_);
    hash_ = std::make_unique<Sha256>();
    written_ = 0;
}

void BlobWriter::write(const void* data, size_t len)
{
    if (written_ + static_cast<int64_t>(len) > size_)
        fail("blob {}: the registry sent more than the {} bytes its descriptor says", digest_, size_);
    buf_.append(static_cast<const char*>(data), len);
    if (buf_.size() >= (256 << 10))
        flush();
    hash_->update(data, len);
    written_ += static_cast<int64_t>(len);
}

void BlobWriter::finish()
{
    if (done_)
        return;
    flush();
    if (written_ != size_)
        fail("blob {}: got {} bytes, expected {}", digest_, written_, size_);
    std::string got = hash_->digest();
    if (got != digest_) {
        ::unlink(partial_.c_str());
        fail("blob {}: digest mismatch: the content received hashes to {}", digest_, got);
    }
    commit_partial(fd_.get(), partial_, layout_.blob_path(digest_));
    done_ = true;
}

} // namespace ctr::img

#include "tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "error.hpp"
#include "file.hpp"

namespace ctr::img {

namespace {

using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

la_ssize_t to_sink(struct archive*, void* p, const void* buf, size_t len)
{
    try {
        (*static_cast<std::function<void(const void*, size_t)>*>(p))(buf, len);
    } catch (...) {
        return -1;
    }
    return static_cast<la_ssize_t>(len);
}

} // namespace

void archive_fail(struct archive* a, const std::string& what)
{
    const char* msg = archive_error_string(a);
    fail("{}: {}", what, msg ? msg : "libarchive error");
}

TarWriter::TarWriter(int fd) : a_(archive_write_new())
{
    if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK || archive_write_open_fd(a_, fd) != ARCHIVE_OK)
        archive_fail(a_, "write archive");
}

TarWriter::TarWriter(std::function<void(const void*, size_t)> sink) : a_(archive_write_new()), sink_(std::move(sink))
{
    archive_write_set_format_pax_restricted(a_);
    archive_write_set_bytes_in_last_block(a_, 1);
    if (archive_write_open(a_, &sink_, nullptr, to_sink, nullptr) != ARCHIVE_OK)
        archive_fail(a_, "write archive");
}

TarWriter::~TarWriter() { archive_write_free(a_); }

void TarWriter::header(struct archive_entry* e, const std::string& name)
{
    if (archive_write_header(a_, e) != ARCHIVE_OK)
        archive_fail(a_, "write " + name);
}

void TarWriter::add_bytes(const std::string& name, const std::string& data)
{
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    header(e.get(), name);
    if (archive_write_data(a_, data.data(), data.size()) < 0)
        archive_fail(a_, "write " + name);
}

void TarWriter::add_file(const std::string& name, const std::string& path)
{
    struct stat st;
    if (::stat(path.c_str(), &st) < 0)
        throw_errno("stat " + path);
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), st.st_size);
    add_entry(e.get(), path);
}

void TarWriter::dir(const std::string& name)
{
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFDIR);
    archive_entry_set_perm(e.get(), 0755);
    header(e.get(), name);
}

void TarWriter::add_entry(struct archive_entry* e, const std::string& src)
{
    std::string name = archive_entry_pathname(e);
    header(e, name);
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) <= 0)
        return;
    UniqueFd in = open_or_throw(src, O_RDONLY);
    read_chunks(in.get(), src, [&](const char* data, size_t len) {
        if (archive_write_data(a_, data, len) < 0)
            archive_fail(a_, "write " + name);
    });
}

void TarWriter::close()
{
    if (archive_write_close(a_) != ARCHIVE_OK)
        archive_fail(a_, "finish archive");
}

void walk_tree(const std::string& root, const std::function<void(struct archive_entry*, const std::string&)>& fn)
{
    std::unique_ptr<struct archive, int (*)(struct archive*)> disk(archive_read_disk_new(), archive_read_free);
    archive_read_disk_set_symlink_physical(disk.get());
    archive_read_disk_set_standard_lookup(disk.get());
    archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
    if (archive_read_disk_open(disk.get(), root.c_str()) != ARCHIVE_OK)
        archive_fail(disk.get(), "read " + root);
    for (;;) {
        EntryPtr e(archive_entry_new(), archive_entry_free);
        int rc = archive_read_next_header2(disk.get(), e.get());
        if (rc == ARCHIVE_EOF)
            return;
        if (rc != ARCHIVE_OK)
            archive_fail(disk.get(), "read " + root);
        archive_read_disk_descend(disk.get());
        std::string rel = std::string(archive_entry_sourcepath(e.get())).substr(root.size());
        if (!rel.empty())
            fn(e.get(), rel);
    }
}

} // namespace ctr::img

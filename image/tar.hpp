// Writing tar streams with libarchive (to an fd, or to a byte sink), and
// walking a directory tree as tar entries without following symlinks.
#pragma once

#include <functional>
#include <memory>
#include <string>

struct archive;
struct archive_entry;

namespace ctr::img {

[[noreturn]] void archive_fail(struct archive* a, const std::string& what);

class TarWriter {
public:
    explicit TarWriter(int fd);
    // Every byte of the tar stream goes to sink (e.g. to hash and compress it).
    explicit TarWriter(std::function<void(const void*, size_t)> sink);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    void add_bytes(const std::string& name, const std::string& data);
    void add_file(const std::string& name, const std::string& path);
    void dir(const std::string& name);
    // An entry as read from disk; a regular file's data comes from src.
    void add_entry(struct archive_entry* e, const std::string& src);
    void close();

private:
    void header(struct archive_entry* e, const std::string& name);
    struct archive* a_;
    std::function<void(const void*, size_t)> sink_;
};

// Calls fn for every entry below root (root itself excluded), parents
// first, with the path relative to root ("/etc/hello"); symlinks are not
// followed, and other mounts not entered.
void walk_tree(const std::string& root, const std::function<void(struct archive_entry*, const std::string& rel)>& fn);

} // namespace ctr::img

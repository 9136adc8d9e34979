#include <doctest/doctest.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include <functional>

#include "digest.hpp"
#include "error.hpp"
#include "file.hpp"
#include "unpack.hpp"

using namespace ctr;
using namespace ctr::img;

namespace {

struct Entry {
    std::string name;
    mode_t type = AE_IFREG;
    std::string data;    // file content, or symlink/hardlink target
    mode_t perm = 0644;
    bool hardlink = false;
};

struct Temp {
    std::string dir;
    Temp()
    {
        char tmpl[] = "/tmp/ctr-unpack-test.XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
    }
    ~Temp() { remove_all(dir); }
};

// A tar of entries at path, compressed with filter ("none", "gzip", "zstd").
void make_tar(const std::string& path, const std::vector<Entry>& entries, const std::string& filter = "none")
{
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (filter == "gzip")
        archive_write_add_filter_gzip(a);
    if (filter == "zstd")
        archive_write_add_filter_zstd(a);
    REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
    for (const auto& en : entries) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, en.name.c_str());
        archive_entry_set_mtime(e, 1000000000, 0);
        if (en.hardlink) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, en.data.c_str());
        } else {
            archive_entry_set_filetype(e, en.type);
            archive_entry_set_perm(e, en.perm);
            if (en.type == AE_IFLNK)
                archive_entry_set_symlink(e, en.data.c_str());
            if (en.type == AE_IFREG)
                archive_entry_set_size(e, static_cast<la_int64_t>(en.data.size()));
        }
        REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
        if (en.type == AE_IFREG && !en.hardlink)
            archive_write_data(a, en.data.data(), en.data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

const std::vector<Entry> kBasic = {
    {"./", AE_IFDIR, "", 0755},
    {"./etc/", AE_IFDIR, "", 0755},
    {"./etc/hello", AE_IFREG, "hello\n", 0640},
    {"./etc/link", AE_IFLNK, "hello", 0777},
    {"./etc/hard", AE_IFREG, "etc/hello", 0644, true},
    {"bin/tool", AE_IFREG, "#!/bin/sh\n", 0755},
};

} // namespace

TEST_CASE("a layer unpacks with modes, links and times; diff_id is the uncompressed digest")
{
    Temp t;
    make_tar(t.dir + "/plain.tar", kBasic);
    std::string expected = sha256_file(t.dir + "/plain.tar");
    for (std::string filter : {"none", "gzip", "zstd"}) {
        std::string blob = t.dir + "/layer." + filter;
        make_tar(blob, kBasic, filter);
        UnpackResult r = unpack_layer(blob, t.dir + "/out-" + filter);
        CHECK(r.diff_id == expected);
        CHECK(r.compression == filter);
        std::string root = t.dir + "/out-" + filter;
        CHECK(read_file(root + "/etc/hello") == "hello\n");
        struct stat st;
        REQUIRE(::lstat((root + "/etc/hello").c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0640);
        CHECK(st.st_mtime == 1000000000);
        CHECK(st.st_nlink == 2);  // etc/hard
        REQUIRE(::lstat((root + "/etc/link").c_str(), &st) == 0);
        CHECK(S_ISLNK(st.st_mode));
        REQUIRE(::stat((root + "/bin").c_str(), &st) == 0);  // made for bin/tool, no entry of its own
        CHECK(S_ISDIR(st.st_mode));
    }
}

TEST_CASE("whiteouts become 0/0 char devices and opaque dirs an xattr")
{
    if (::geteuid() != 0) {
        MESSAGE("skipped: device nodes and trusted.* xattrs need root");
        return;
    }
    Temp t;
    make_tar(t.dir + "/l.tar", {{"d/", AE_IFDIR, "", 0755}, {"d/.wh..wh..opq", AE_IFREG, ""},
                                 {".wh.gone", AE_IFREG, ""}});
    unpack_layer(t.dir + "/l.tar", t.dir + "/out");
    struct stat st;
    REQUIRE(::lstat((t.dir + "/out/gone").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
    char v[4] = {};
    CHECK(::getxattr((t.dir + "/out/d").c_str(), "trusted.overlay.opaque", v, sizeof v) == 1);
    CHECK(v[0] == 'y');
    CHECK_FALSE(path_exists(t.dir + "/out/d/.wh..wh..opq"));
}

TEST_CASE("directories the tar has no entry for are reported as implicit")
{
    Temp t;
    make_tar(t.dir + "/l.tar", {{"a/b/c/file", AE_IFREG, "x"}, {"a/b/", AE_IFDIR, "", 0700},
                                 {"d/.wh.gone", AE_IFREG, ""}});
    UnpackResult r = unpack_layer(t.dir + "/l.tar", t.dir + "/out");
    // a/b's entry comes after its child: it still counts as explicit.
    CHECK(r.implicit_dirs == std::vector<std::string>{"/a", "/a/b/c", "/d"});
}

TEST_CASE("a whiteout under a file or symlink of the same layer is moot")
{
    Temp t;
    // umoci writes this when a directory becomes a file: the file, then the
    // old directory's entries whited out under it.
    make_tar(t.dir + "/l.tar", {{"d", AE_IFREG, "now a file"}, {"d/.wh.f", AE_IFREG, ""},
                                 {"s", AE_IFLNK, "/etc"}, {"s/.wh.passwd", AE_IFREG, ""}});
    unpack_layer(t.dir + "/l.tar", t.dir + "/out");
    CHECK(read_file(t.dir + "/out/d") == "now a file");
    struct stat st;
    REQUIRE(::lstat((t.dir + "/out/s").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_FALSE(path_exists(t.dir + "/out/etc"));
}

TEST_CASE("hostile entries are refused or contained, never written outside")
{
    Temp t;
    auto refused = [&](const std::vector<Entry>& entries, const std::string& what) {
        static int n = 0;
        std::string blob = t.dir + "/bad" + std::to_string(++n) + ".tar";
        make_tar(blob, entries);
        CHECK_THROWS_WITH_AS(unpack_layer(blob, t.dir + "/out" + std::to_string(n)), doctest::Contains(what.c_str()), Error);
    };
    refused({{"../evil", AE_IFREG, "x"}}, "entry \"../evil\"");
    refused({{"a/../../evil", AE_IFREG, "x"}}, "would leave the layer");
    refused({{"x", AE_IFREG, "../../etc/passwd", 0644, true}}, "would leave the layer");
    refused({{"x", AE_IFREG, "/etc/passwd", 0644, true}}, "entry \"x\"");  // no such file in the layer
    refused({{".wh.", AE_IFREG, ""}}, "names nothing");
    CHECK_FALSE(path_exists(t.dir + "/evil"));

    // An absolute name lands inside; a write through a symlink to /etc is
    // resolved inside the layer (where /etc does not exist) and refused.
    std::string marker = "ctr-unpack-test-" + std::to_string(::getpid());
    make_tar(t.dir + "/abs.tar", {{"/abs/file", AE_IFREG, "a"}});
    unpack_layer(t.dir + "/abs.tar", t.dir + "/in");
    CHECK(read_file(t.dir + "/in/abs/file") == "a");
    refused({{"link", AE_IFLNK, "/etc"}, {"link/" + marker, AE_IFREG, "escape?"}}, "entry \"link/" + marker);
    CHECK_FALSE(path_exists("/etc/" + marker));
    // With /etc inside the layer, the same write lands there.
    make_tar(t.dir + "/contained.tar", {{"etc/", AE_IFDIR, "", 0755},
                                        {"link", AE_IFLNK, "/etc"},
                                        {"link/" + marker, AE_IFREG, "inside"}});
    unpack_layer(t.dir + "/contained.tar", t.dir + "/in2");
    CHECK(read_file(t.dir + "/in2/etc/" + marker) == "inside");
    CHECK_FALSE(path_exists("/etc/" + marker));
}

namespace {

std::string gzip_bytes(const std::string& in)
{
    z_stream z = {};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, in.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

} // namespace

TEST_CASE("a layer gzipped as several concatenated members reads as one stream")
{
    Temp t;
    make_tar(t.dir + "/plain.tar", kBasic);
    std::string tar = read_file(t.dir + "/plain.tar");
    size_t half = tar.size() / 2;
    write_file_atomic(t.dir + "/multi.gz", gzip_bytes(tar.substr(0, half)) + gzip_bytes(tar.substr(half)));
    UnpackResult r = unpack_layer(t.dir + "/multi.gz", t.dir + "/out");
    CHECK(r.diff_id == sha256_digest(tar));
    CHECK(read_file(t.dir + "/out/etc/hello") == "hello\n");
    write_file_atomic(t.dir + "/cut.gz", gzip_bytes(tar).substr(0, 100));
    CHECK_THROWS_AS(unpack_layer(t.dir + "/cut.gz", t.dir + "/out2"), Error);
}

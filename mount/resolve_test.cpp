#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"
#include "file.hpp"
#include "resolve.hpp"

using namespace ctr;
using namespace ctr::mnt;

namespace {

struct TempRoot {
    std::string dir;
    UniqueFd fd;
    TempRoot()
    {
        char tmpl[] = "/tmp/ctr-resolve-test.XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        fd = open_or_throw(dir, O_PATH | O_DIRECTORY);
    }
    ~TempRoot() { remove_all(dir); }
};

std::string real(int fd)
{
    char buf[4096];
    ssize_t n = readlink(fd_path(fd).c_str(), buf, sizeof buf - 1);
    REQUIRE(n > 0);
    return std::string(buf, static_cast<size_t>(n));
}

} // namespace

TEST_CASE("an absolute symlink resolves inside the root, not on the host")
{
    TempRoot root;
    mkdir_all(root.dir + "/etc");
    REQUIRE(symlink("/etc", (root.dir + "/link").c_str()) == 0);
    UniqueFd fd = open_in_root(root.fd.get(), "/link", O_PATH);
    CHECK(real(fd.get()) == root.dir + "/etc");
}

TEST_CASE("dot-dot cannot climb out of the root")
{
    TempRoot root;
    REQUIRE(symlink("../../../../", (root.dir + "/up").c_str()) == 0);
    UniqueFd fd = open_in_root(root.fd.get(), "/up/../..", O_PATH);
    CHECK(real(fd.get()) == root.dir);
}

TEST_CASE("mkdir_in_root creates through symlinks without leaving the root")
{
    TempRoot root;
    REQUIRE(symlink("/", (root.dir + "/proc").c_str()) == 0);
    UniqueFd fd = mkdir_in_root(root.fd.get(), "/proc/ctr-test-made-here/sub");
    CHECK(real(fd.get()) == root.dir + "/ctr-test-made-here/sub");
    CHECK_FALSE(path_exists("/ctr-test-made-here"));
}

TEST_CASE("mkfile_in_root creates a file and its parents")
{
    TempRoot root;
    UniqueFd fd = mkfile_in_root(root.fd.get(), "/a/b/file");
    struct stat st;
    REQUIRE(fstat(fd.get(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(split_parent("/a/b/file") == std::make_pair(std::string("/a/b"), std::string("file")));
    CHECK(split_parent("/file") == std::make_pair(std::string("/"), std::string("file")));
}

#include <doctest/doctest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include "error.hpp"
#include "file.hpp"

using namespace ctr;

TEST_CASE("write_file_atomic replaces content and leaves no temp file")
{
    char tmpl[] = "/tmp/ctr-file-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    std::string dir = tmpl;
    write_file_atomic(dir + "/f", "one");
    write_file_atomic(dir + "/f", "two");
    CHECK(read_file(dir + "/f") == "two");
    mkdir_all(dir + "/a/b/c");
    CHECK(path_exists(dir + "/a/b/c"));
    CHECK_THROWS_WITH_AS(read_file(dir + "/missing"), doctest::Contains("missing: No such file"), Error);
    remove_all(dir);
    CHECK_FALSE(path_exists(dir));
}

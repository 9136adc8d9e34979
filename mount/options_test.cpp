#include <doctest/doctest.h>

#include <sys/mount.h>

#include "options.hpp"

using namespace ctr::mnt;

TEST_CASE("mount options split into flags, propagation and data")
{
    auto o = parse_mount_options({"nosuid", "ro", "size=65536k", "mode=755", "rslave", "strictatime"});
    CHECK(o.flags == (MS_NOSUID | MS_RDONLY | MS_STRICTATIME));
    CHECK(o.data == "size=65536k,mode=755");
    REQUIRE(o.propagation.size() == 1);
    CHECK(o.propagation[0] == (MS_SLAVE | MS_REC));
    CHECK_FALSE(o.is_bind());
}

TEST_CASE("a later option overrides an earlier one")
{
    auto o = parse_mount_options({"ro", "rw"});
    CHECK((o.flags & MS_RDONLY) == 0);
    CHECK((o.clear & MS_RDONLY) != 0);
}

TEST_CASE("rbind is a recursive bind")
{
    auto o = parse_mount_options({"rbind"});
    CHECK(o.is_bind());
    CHECK((o.flags & MS_REC) != 0);
    CHECK(parse_propagation("rprivate") == (MS_PRIVATE | MS_REC));
    CHECK(parse_propagation("bogus") == 0);
}

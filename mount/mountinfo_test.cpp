#include <doctest/doctest.h>

#include "mountinfo.hpp"

using namespace ctr::mnt;

TEST_CASE("mountinfo lines are parsed with their propagation tags")
{
    auto m = parse_mountinfo(
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "30 22 0:26 / /sys/fs/cgroup/cpu\\040set rw - cgroup cgroup rw,cpuset\n"
        "31 22 0:27 / /tmp rw master:3 - tmpfs tmpfs rw\n"
        "32 31 0:28 / /tmp rw shared:9 - tmpfs tmpfs rw\n");
    REQUIRE(m.size() == 4);
    CHECK(m[0].shared());
    CHECK(m[1].mountpoint == "/sys/fs/cgroup/cpu set");
    CHECK(m[1].super_options == "rw,cpuset");
    CHECK_FALSE(m[2].shared());
    CHECK(mount_containing(m, "/tmp/x/y").tags == std::vector<std::string>{"shared:9"});
    CHECK(mount_containing(m, "/tmpfoo").mountpoint == "/");
    CHECK(mount_containing(m, "/").mountpoint == "/");
}

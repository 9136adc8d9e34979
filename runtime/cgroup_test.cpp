#include <doctest/doctest.h>

#include "cgroup.hpp"

using namespace ctr::rt;

namespace {

const char* kHybrid =
    "25 24 0:22 / /sys/fs/cgroup/cpu rw,relatime shared:5 - cgroup cgroup rw,cpu\n"
    "26 24 0:23 / /sys/fs/cgroup/memory rw,relatime shared:6 - cgroup cgroup rw,memory\n"
    "27 24 0:24 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "28 24 0:25 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "29 24 0:23 / /mnt/again rw,relatime - cgroup cgroup rw,memory\n"
    "30 24 0:26 / /sys/fs/cgroup/cpu\\040set rw - cgroup cgroup rw,cpuset\n"
    "31 24 0:27 / /tmp rw - tmpfs tmpfs rw\n";

const char* kUnified = "30 24 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";

} // namespace

TEST_CASE("hierarchies are read from mountinfo, once each")
{
    auto h = discover_cgroup_hierarchies(kHybrid);
    REQUIRE(h.size() == 5);
    CHECK(h[0].name == "cpu");
    CHECK(h[0].controllers == std::vector<std::string>{"cpu"});
    CHECK(h[2].controllers == std::vector<std::string>{"name=systemd"});
    CHECK(h[3].v2);
    CHECK(h[4].mountpoint == "/sys/fs/cgroup/cpu set");
    CHECK(cgroup_mode(h) == CgroupMode::Hybrid);
    CHECK(cgroup_mode(discover_cgroup_hierarchies(kUnified)) == CgroupMode::V2);
    h.erase(h.begin() + 3);
    CHECK(cgroup_mode(h) == CgroupMode::V1);
}

TEST_CASE("device rules are written as the v1 devices controller reads them")
{
    CHECK(device_rule_line({false, 'a', std::nullopt, std::nullopt, "rwm"}) == "a *:* rwm");
    CHECK(device_rule_line({true, 'c', 1, 3, "rw"}) == "c 1:3 rw");
    CHECK(device_rule_line({true, 'c', 136, std::nullopt, "rwm"}) == "c 136:* rwm");
    CHECK(default_device_rules().size() == 9);
}

TEST_CASE("a cgroup plan survives the state file")
{
    Cgroup cg = Cgroup::plan("", "abc");
    CHECK(!cg.dirs().empty());
    CHECK(cg.dirs().front().rel == "/ctr/abc");
    Cgroup again = Cgroup::from_json(cg.to_json());
    CHECK(again.dirs().size() == cg.dirs().size());
    CHECK(again.dirs().front().path() == cg.dirs().front().path());
    CHECK(again.mode() == cg.mode());
    CHECK_THROWS(Cgroup::plan("system.slice:ctr:abc", "abc"));
    CHECK(Cgroup::plan("system.slice:ctr:abc", "abc", true).dirs().front().rel == "/system.slice/ctr-abc.scope");
    CHECK(Cgroup::plan("", "abc", true).scope().unit == "ctr-abc.scope");
    CHECK(Cgroup::plan("a-b.slice::x", "abc", true).dirs().front().rel == "/a.slice/a-b.slice/x.scope");
    CHECK(Cgroup::plan("-.slice:p:x", "abc", true).dirs().front().rel == "/p-x.scope");
    for (const char* bad : {"/ctr/abc", "a:b", "a.slice:p:", "nope:p:x", "a--b.slice:p:x", "s.slice:p:x/y",
                            "s.slice:p:sub.slice", "s.slice:p:x:y"})
        CHECK_THROWS(Cgroup::plan(bad, "abc", true));
    CHECK_THROWS(Cgroup::plan("/a/../../b", "abc"));
    CHECK(Cgroup::plan("rel/path/", "abc").dirs().front().rel == "/rel/path");
}

#include <doctest/doctest.h>

#include "error.hpp"
#include "spec.hpp"
#include "spec_default.hpp"

using namespace ctr;
using namespace ctr::rt;

namespace {

Spec parse(Json j) { return parse_spec(j, "/b"); }

Json minimal()
{
    Json j = default_spec();
    j["process"]["terminal"] = false;
    return j;
}

} // namespace

TEST_CASE("the default spec parses, with paths taken from the bundle")
{
    Spec s = parse(default_spec());
    CHECK(s.root_path == "/b/rootfs");
    CHECK(s.root_readonly);
    CHECK(s.process.args == std::vector<std::string>{"sh"});
    CHECK(s.process.rlimits.size() == 1);
    CHECK(s.process.capabilities->bounding.size() == 3);
    CHECK(s.linux.find_namespace("pid") != nullptr);
    CHECK(s.linux.device_rules.size() == 1);
    CHECK_FALSE(s.linux.device_rules[0].allow);
    CHECK(s.mounts.size() == 7);
}

TEST_CASE("wrong types are errors naming the field")
{
    Json j = minimal();
    j["process"]["args"] = "sh";
    CHECK_THROWS_WITH(parse(j), "process.args: expected an array of strings");
    j = minimal();
    j["process"]["user"]["uid"] = "root";
    CHECK_THROWS_WITH(parse(j), "process.user.uid: expected a non-negative integer");
    j = minimal();
    j["mounts"][0]["destination"] = 3;
    CHECK_THROWS_WITH(parse(j), "mounts[0].destination: expected a string");
    j = minimal();
    j.erase("process");
    CHECK_THROWS_WITH(parse(j), "process: required field is missing");
    j = minimal();
    j["process"]["rlimits"][0]["type"] = "RLIMIT_BOGUS";
    CHECK_THROWS_WITH(parse(j), "process.rlimits[0].type: unknown rlimit type RLIMIT_BOGUS");
}

TEST_CASE("linux.seccomp: names are checked with config.json")
{
    Json j = minimal();
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
                             {"flags", {"SECCOMP_FILTER_FLAG_LOG"}},
                             {"syscalls", {{{"names", {"mkdir", "no_such_syscall"}}, {"action", "SCMP_ACT_ERRNO"},
                                            {"errnoRet", 13},
                                            {"args", {{{"index", 1}, {"value", 511}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    CHECK_NOTHROW(parse(j));
    auto bad = [&](const char* pointer, Json value, const char* want) {
        Json k = j;
        k[Json::json_pointer(pointer)] = std::move(value);
        CHECK_THROWS_WITH(parse(k), doctest::Contains(want));
    };
    bad("/linux/seccomp/defaultAction", "SCMP_ACT_MAYBE", "linux.seccomp.defaultAction: unknown seccomp action");
    bad("/linux/seccomp/architectures/0", "SCMP_ARCH_Z80", "unknown seccomp architecture \"SCMP_ARCH_Z80\"");
    bad("/linux/seccomp/flags/0", "SECCOMP_FILTER_FLAG_X", "unknown seccomp flag");
    bad("/linux/seccomp/syscalls/0/args/0/op", "SCMP_CMP_ABOUT", "unknown seccomp operator");
    bad("/linux/seccomp/syscalls/0/args/0/index", 6, "a syscall has arguments 0 to 5");
    bad("/linux/seccomp/syscalls/0/action", "SCMP_ACT_NOTIFY", "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
    bad("/linux/seccomp/defaultAction", "SCMP_ACT_NOTIFY", "cannot be the default");
    j["linux"]["seccomp"]["listenerPath"] = "/run/listener.sock";
    j["linux"]["seccomp"]["listenerMetadata"] = "x=y";
    j["linux"]["seccomp"]["syscalls"][0]["action"] = "SCMP_ACT_NOTIFY";
    Spec s = parse(j);
    CHECK(s.linux.seccomp->notify);
    CHECK(s.linux.seccomp->listener_metadata == "x=y");
    bad("/linux/seccomp/listenerPath", "relative.sock", "listenerPath: must be an absolute path");
}

TEST_CASE("fields not implemented yet are refused by name")
{
    Json j = minimal();
    j["linux"]["netDevices"] = {{"eth0", Json::object()}};
    CHECK_THROWS_WITH(parse(j), "linux.netDevices: not supported by ctr-run yet");
    j = minimal();
    j["linux"]["resources"]["blockIO"] = {{"weight", 5}};
    CHECK_THROWS_WITH(parse(j), "linux.resources.blockIO.weight: expected 10 to 1000, got 5");
    // An empty object asks for nothing and is accepted.
    j = minimal();
    j["linux"]["seccomp"] = Json::object();
    CHECK_NOTHROW(parse(j));
}

TEST_CASE("user namespaces: mappings checked with the namespace")
{
    Json map = Json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
    Json j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "user"}});
    CHECK_THROWS_WITH(parse(j), doctest::Contains("a new user namespace needs uidMappings"));
    j["linux"]["uidMappings"] = map;
    j["linux"]["gidMappings"] = map;
    Spec s = parse(j);
    REQUIRE(s.linux.uid_mappings.size() == 1);
    CHECK(s.linux.uid_mappings[0].host_id == 100000);
    j["linux"]["uidMappings"].push_back({{"containerID", 70000}, {"hostID", 120000}, {"size", 10}});
    CHECK_THROWS_WITH(parse(j), "linux.uidMappings[1]: overlaps an earlier mapping");
    j["linux"]["uidMappings"] = Json::array({{{"containerID", 0}, {"hostID", 1}, {"size", 0}}});
    CHECK_THROWS_WITH(parse(j), "linux.uidMappings[0].size: must be greater than zero");
    j = minimal();
    j["linux"]["uidMappings"] = map;
    j["linux"]["gidMappings"] = map;
    CHECK_THROWS_WITH(parse(j), doctest::Contains("mappings need a user namespace"));
}

TEST_CASE("idmapped mounts: idmap options are taken out, mappings need both lists")
{
    Json map = Json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
    Json j = minimal();
    j["mounts"] = Json::array({{{"destination", "/data"}, {"type", "bind"}, {"source", "/srv"},
                                {"options", {"rbind", "ridmap"}}}});
    CHECK_THROWS_WITH(parse(j), doctest::Contains("idmap without mappings takes the container's"));
    j["mounts"][0]["uidMappings"] = map;
    CHECK_THROWS_WITH(parse(j), doctest::Contains("needs both uidMappings and gidMappings"));
    j["mounts"][0]["gidMappings"] = map;
    Spec s = parse(j);
    CHECK(s.mounts[0].idmap);
    CHECK(s.mounts[0].idmap_recursive);
    CHECK(s.mounts[0].options == std::vector<std::string>{"rbind"});
    j["mounts"][0]["type"] = "tmpfs";
    j["mounts"][0]["options"] = {"idmap"};
    CHECK_THROWS_WITH(parse(j), doctest::Contains("idmapped mounts must be bind mounts"));
}

TEST_CASE("scheduler, ioPriority, personality and timeOffsets")
{
    Json j = minimal();
    j["process"]["scheduler"] = {{"policy", "SCHED_FIFO"}};
    CHECK_THROWS_WITH(parse(j), doctest::Contains("needs a priority of 1..99"));
    j["process"]["scheduler"]["priority"] = 100;
    CHECK_THROWS_WITH(parse(j), "process.scheduler.priority: 100 is out of range 1..99");
    j["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 5}, {"flags", {"SCHED_FLAG_RESET_ON_FORK"}}};
    CHECK(parse(j).process.scheduler->nice == 5);
    j["process"]["scheduler"]["runtime"] = 1000;
    CHECK_THROWS_WITH(parse(j), "process.scheduler.runtime: only for SCHED_DEADLINE");
    j = minimal();
    j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 8}};
    CHECK_THROWS_WITH(parse(j), "process.ioPriority.priority: 8 is out of range 0..7");
    j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_NONE"}};
    CHECK_THROWS_WITH(parse(j), doctest::Contains("unknown value \"IOPRIO_CLASS_NONE\""));
    j = minimal();
    j["linux"]["personality"] = {{"domain", "LINUX64"}};
    CHECK_THROWS_WITH(parse(j), doctest::Contains("linux.personality.domain: unknown execution domain"));
    j = minimal();
    j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 86400}}}};
    CHECK_THROWS_WITH(parse(j), doctest::Contains("needs a new time namespace"));
    j["linux"]["namespaces"].push_back({{"type", "time"}});
    REQUIRE(parse(j).linux.time_offsets.size() == 1);
    j["linux"]["timeOffsets"] = {{"realtime", {{"secs", 1}}}};
    CHECK_THROWS_WITH(parse(j), doctest::Contains("unknown clock \"realtime\""));
}

TEST_CASE("semantic checks")
{
    Json j = minimal();
    j["process"]["cwd"] = "relative";
    CHECK_THROWS_WITH(parse(j), doctest::Contains("process.cwd: must be an absolute path"));
    j = minimal();
    j["linux"]["namespaces"] = Json::array({{{"type", "pid"}}});
    CHECK_THROWS_WITH(parse(j), "linux.namespaces: a mount namespace is required");
    j = minimal();
    j["linux"]["namespaces"].push_back({{"type", "pid"}});
    CHECK_THROWS_WITH(parse(j), doctest::Contains("pid namespace given twice"));
    j = minimal();
    j["mounts"].push_back({{"destination", "/x"}, {"source", "rel"}, {"options", {"rbind"}}});
    CHECK(parse(j).mounts.back().source == "/b/rel");
    j = minimal();
    j["process"]["rlimits"][0]["soft"] = 2048;
    CHECK_THROWS_WITH(parse(j), doctest::Contains("soft limit 2048 is above hard limit 1024"));
}

TEST_CASE("hooks keep their raw form for later stages")
{
    Json j = minimal();
    j["hooks"]["poststop"] = Json::array({{{"path", "/bin/true"}, {"timeout", 3}}});
    Spec s = parse(j);
    REQUIRE(s.hooks.poststop.size() == 1);
    CHECK(*s.hooks.poststop[0].timeout == 3);
    Hooks again = parse_hooks(JsonView(s.hooks_json, "hooks"));
    CHECK(again.poststop[0].path == "/bin/true");
    j["hooks"]["prestart"] = Json::array({{{"path", "relative"}}});
    CHECK_THROWS_WITH(parse(j), "hooks.prestart[0].path: must be an absolute path");
}

TEST_CASE("the rootless spec asks for a user namespace")
{
    Json j = rootless_spec(1000, 1000);
    CHECK(j["linux"]["uidMappings"][0]["hostID"] == 1000);
    CHECK_FALSE(j["linux"].contains("resources"));
}

#include <doctest/doctest.h>

#include "commands.hpp"
#include "error.hpp"

using namespace ctr;
using namespace ctr::img;

TEST_CASE("--format paths, Docker's form included")
{
    Json doc = Json::parse(R"({"config": {"Env": ["A=1"], "Cmd": ["sh"]}, "id": "sha256:x"})");
    CHECK(select_path(doc, ".config.Env") == Json::parse(R"(["A=1"])"));
    CHECK(select_path(doc, "{{.Config.Env}}") == Json::parse(R"(["A=1"])"));
    CHECK(select_path(doc, "{{ .id }}") == "sha256:x");
    CHECK_THROWS_WITH_AS(select_path(doc, ".config.Nope"), doctest::Contains("no key \"Nope\""), Error);
    CHECK_THROWS_AS(select_path(doc, "config"), Error);
    CHECK(select_path(doc, ".") == doc);
}

TEST_CASE("sizes and ages read like docker's")
{
    CHECK(human_size(999) == "999B");
    CHECK(human_size(1500) == "1.5kB");
    CHECK(human_size(4200000) == "4.2MB");
    CHECK(time_ago("") == "-");
    CHECK(time_ago("2000-01-01T00:00:00Z").find("years ago") != std::string::npos);
}

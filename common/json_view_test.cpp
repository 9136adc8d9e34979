#include <doctest/doctest.h>

#include "error.hpp"
#include "json_view.hpp"

using namespace ctr;

TEST_CASE("parse_json names the document on syntax errors")
{
    CHECK_THROWS_WITH_AS(parse_json("{", "config.json"),
                         doctest::Contains("config.json: not valid JSON"), Error);
}

TEST_CASE("parse_json: numbers too large and nesting too deep are errors of ours (found by fuzzing)")
{
    CHECK_THROWS_WITH_AS(parse_json(R"({"limit": 1e400})", "config.json"),
                         doctest::Contains("config.json: not valid JSON: number overflow"), Error);
    std::string deep = std::string(129, '[') + std::string(129, ']');
    CHECK_THROWS_WITH_AS(parse_json(deep, "config.json"),
                         "config.json: not valid JSON: nested deeper than 128 levels", Error);
    std::string ok = std::string(128, '[') + std::string(128, ']');
    CHECK_NOTHROW(parse_json(ok, "x"));
    // Brackets inside strings do not count.
    CHECK_NOTHROW(parse_json("[\"" + std::string(200, '[') + "\\\"\"]", "x"));
}

TEST_CASE("JsonView errors name the field path")
{
    Json j = Json::parse(R"({"process": {"args": "sh", "env": ["A=1", 2], "user": {"uid": -1}}})");
    JsonView root(j, "");
    JsonView process = root.at("process");
    CHECK_THROWS_WITH(process.at("args").strings(), "process.args: expected an array of strings");
    CHECK_THROWS_WITH(process.at("env").strings(), "process.env: expected an array of strings");
    CHECK_THROWS_WITH(process.at("user").at("uid").u32(),
                      "process.user.uid: expected a non-negative integer");
    CHECK_THROWS_WITH(process.at("cwd"), "process.cwd: required field is missing");
    CHECK_THROWS_WITH(root.at("process").at("args").at("x"), "process.args: expected an object");
}

TEST_CASE("JsonView reads typed values")
{
    Json j = Json::parse(R"({"a": [1, 2], "s": "x", "b": true, "n": null, "big": 4294967296,
                            "m": {"k": "v"}})");
    JsonView root(j, "");
    CHECK(root.at("a").items().size() == 2);
    CHECK(root.at("a").items()[1].path() == "a[1]");
    CHECK(root.at("s").str() == "x");
    CHECK(root.at("b").boolean());
    CHECK_FALSE(root.has("n"));
    CHECK_FALSE(root.opt_str("n").has_value());
    CHECK(root.at("big").u64() == 4294967296ULL);
    CHECK_THROWS_WITH(root.at("big").u32(), "big: expected a 32-bit unsigned integer");
    CHECK(root.at("m").string_map().at("k") == "v");
}

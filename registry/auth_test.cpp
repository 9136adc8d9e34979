#include <doctest/doctest.h>

#include <stdlib.h>

#include "auth.hpp"
#include "client.hpp"
#include "error.hpp"
#include "file.hpp"
#include "http.hpp"

using namespace ctr;
using namespace ctr::reg;

TEST_CASE("WWW-Authenticate challenges")
{
    auto c = parse_challenge(R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull")");
    REQUIRE(c.has_value());
    CHECK(c->scheme == "bearer");
    CHECK(c->params.at("realm") == "https://auth.example.com/token");
    CHECK(c->params.at("service") == "registry.example.com");
    CHECK(c->params.at("scope") == "repository:a/b:pull");
    auto b = parse_challenge(R"(Basic realm="Registry Realm")");
    CHECK(b->scheme == "basic");
    CHECK(b->params.at("realm") == "Registry Realm");
    CHECK_FALSE(parse_challenge("").has_value());
}

TEST_CASE("base64 round trip")
{
    CHECK(base64_encode("user:pass") == "dXNlcjpwYXNz");
    CHECK(base64_decode("dXNlcjpwYXNz") == "user:pass");
    CHECK(base64_decode(base64_encode("ab")) == "ab");
    CHECK(base64_decode(base64_encode("a")) == "a");
}

TEST_CASE("credentials from auth files match the registry host")
{
    char tmpl[] = "/tmp/ctr-auth-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    std::string f = std::string(tmpl) + "/auth.json";
    write_file_atomic(f, R"({"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="},
                              "127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"}}})");
    auto hub = credentials_from_file(f, "docker.io");
    REQUIRE(hub.has_value());
    CHECK(hub->user == "hub");
    CHECK(hub->pass == "secret");
    CHECK(credentials_from_file(f, "127.0.0.1:5000")->pass == "pass");
    CHECK_FALSE(credentials_from_file(f, "quay.io").has_value());
    CHECK_FALSE(credentials_from_file(std::string(tmpl) + "/missing.json", "quay.io").has_value());
    AuthOptions o;
    o.creds = parse_creds("a:b:c");
    CHECK(find_credentials("x", o)->pass == "b:c");
    CHECK_THROWS_AS(parse_creds("nocolon"), Error);
    remove_all(tmpl);
}

TEST_CASE("loopback registries are insecure by default, others only when named")
{
    CHECK(is_insecure_registry("127.0.0.1:5000", {}));
    CHECK(is_insecure_registry("localhost:5000", {}));
    CHECK(is_insecure_registry("localhost", {}));
    CHECK_FALSE(is_insecure_registry("registry.example.com", {}));
    CHECK(is_insecure_registry("registry.example.com:5000", {"registry.example.com:5000"}));
}

#include <doctest/doctest.h>

#include "error.hpp"
#include "reference.hpp"

using namespace ctr;
using namespace ctr::img;

TEST_CASE("Docker's normalisation of short names")
{
    CHECK(parse_reference("busybox").str() == "docker.io/library/busybox:latest");
    CHECK(parse_reference("user/app:1.0").str() == "docker.io/user/app:1.0");
    CHECK(parse_reference("index.docker.io/library/alpine").str() == "docker.io/library/alpine:latest");
    CHECK(parse_reference("localhost/app").str() == "localhost/app:latest");
    CHECK(parse_reference("127.0.0.1:5000/busybox").str() == "127.0.0.1:5000/busybox:latest");
    CHECK(parse_reference("quay.io/a/b/c:v1").repository == "a/b/c");
}

TEST_CASE("digests and tags")
{
    std::string d = "sha256:" + std::string(64, 'a');
    Reference r = parse_reference("127.0.0.1:5000/busybox@" + d);
    CHECK(r.tag.empty());
    CHECK(r.digest == d);
    CHECK(r.reference() == d);
    CHECK(r.str() == "127.0.0.1:5000/busybox@" + d);
    Reference both = parse_reference("busybox:1.36@" + d);
    CHECK(both.tag == "1.36");
    CHECK(both.with_digest(d) == "docker.io/library/busybox@" + d);
    CHECK(parse_reference("localhost:5000/app").registry == "localhost:5000");
}

TEST_CASE("malformed references are refused with the reason")
{
    CHECK_THROWS_WITH_AS(parse_reference("Busybox"), doctest::Contains("lowercase"), Error);
    CHECK_THROWS_AS(parse_reference(""), Error);
    CHECK_THROWS_AS(parse_reference("busybox:"), Error);
    CHECK_THROWS_AS(parse_reference("busybox@sha256:abc"), Error);
    CHECK_THROWS_AS(parse_reference("a//b"), Error);
    CHECK_THROWS_AS(parse_reference("busybox:bad tag"), Error);
}
